"""Character Card V2/V3 import (PNG tEXt, JSON, CHARX): unverified fictional personas, every card
field kept, the lorebook as background knowledge, hostile cards refused."""

from __future__ import annotations

import base64
import json
import struct
import zipfile
import zlib
from pathlib import Path

import pytest

from desktop.app import Hearth
from desktop.brain.llm import Sampling
from desktop.call.events import ReplyFinished
from desktop.paths import shipped
from desktop.personas.archive import BundleRejected
from tests.helpers.events import Events, wait_until

PORTRAIT = shipped("personas", "wren", "portrait.png").read_bytes()


def v2_card(name: str = "Captain Mira") -> dict:
    return {"spec": "chara_card_v2", "spec_version": "2.0", "data": {
        "name": name, "description": "{{char}} sails the northern sea.",
        "personality": "bold, kind", "scenario": "A storm is coming.",
        "first_mes": "Ahoy, {{user}}! I'm {{char}}.",
        "mes_example": "<START>\n{{user}}: Hi\n{{char}}: Welcome aboard, friend.",
        "creator_notes": "keep", "system_prompt": "", "post_history_instructions": "",
        "alternate_greetings": ["Hello sailor", "*{{char}} waves.* Over here, {{user}}!", 7],
        "tags": ["sea"], "creator": "Jo Maker",
        "character_version": "1.2", "extensions": {"some.tool": {"keep": True}},
        "character_book": {"entries": [
            {"keys": ["ship", "Gull"], "content": "{{char}}'s ship is the Grey Gull.",
             "enabled": True, "insertion_order": 0, "extensions": {}},
            {"keys": ["secret"], "content": "disabled entry", "enabled": False,
             "insertion_order": 1, "extensions": {}}]}}}


def chunk(kind: bytes, body: bytes) -> bytes:
    return (struct.pack(">I", len(body)) + kind + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))


def png_card(path: Path, cards: dict[str, dict], break_crc: bool = False) -> Path:
    ihdr_end = 8 + 25  # signature + the IHDR chunk
    texts = b"".join(chunk(b"tEXt", key.encode() + b"\0" + base64.b64encode(
        json.dumps(card).encode())) for key, card in cards.items())
    if break_crc:
        texts = texts[:-1] + bytes([texts[-1] ^ 0xFF])
    path.write_bytes(PORTRAIT[:ihdr_end] + texts + PORTRAIT[ihdr_end:])
    return path


@pytest.fixture
def hearth(hearth_home):
    app = Hearth(hearth_home).open()
    yield app
    app.close()


def test_a_v2_png_card_becomes_an_unverified_persona_that_can_chat(hearth, tmp_path: Path
                                                                   ) -> None:
    card = v2_card()
    persona_id = hearth.import_file(png_card(tmp_path / "mira.png", {"chara": card}))
    persona = hearth.library.get(persona_id)
    assert persona.name() == "Captain Mira" and not persona.verified
    assert persona.license["subject"] == "fictional" and persona.owner == "Jo Maker"
    assert persona.greeting() == "Ahoy, you! I'm Captain Mira."
    assert persona.greetings_in("en") == ["Ahoy, you! I'm Captain Mira.", "Hello sailor",
                                          "*Captain Mira waves.* Over here, you!"]
    assert persona.sample_lines == ["Welcome aboard, friend."]
    assert [entry.text for entry in persona.lore] == ["Captain Mira's ship is the Grey Gull."]
    kept = json.loads((hearth.dirs.personas / persona_id / "card.json").read_text())
    assert kept == card  # every field, extensions included
    events = Events()
    conversation = hearth.conversation(persona, events)
    conversation.sampling = Sampling(seed=1, max_tokens=8)
    conversation.start()
    try:
        # The user swiped to another greeting and answered it: the chat begins with it.
        conversation.greeting = persona.greetings_in("en")[2]
        conversation.open_with_greeting()
        turn = conversation.say("Tell me about your ship")
        assert events.wait_for(ReplyFinished, turn_id=turn).full_text
        assert conversation.history[0].text == "*Captain Mira waves.* Over here, you!"
    finally:
        conversation.close()
    # The store writes on its own thread: wait for the rows, not on the clock (under load the
    # read came before the commit).
    wait_until(lambda: len(hearth.store.turns(persona_id)) >= 2, timeout=15)
    assert [(t.role, t.text) for t in hearth.store.turns(persona_id)][:2] == [
        ("assistant", "*Captain Mira waves.* Over here, you!"),
        ("user", "Tell me about your ship")]
    with pytest.raises(BundleRejected, match="already installed"):
        hearth.import_file(tmp_path / "mira.png")


def test_v3_is_preferred_over_v2_in_a_png(hearth, tmp_path: Path) -> None:
    v3 = {**v2_card("Mira Three"), "spec": "chara_card_v3", "spec_version": "3.0"}
    persona_id = hearth.import_file(png_card(tmp_path / "both.png",
                                             {"chara": v2_card("Mira Two"), "ccv3": v3}))
    assert hearth.library.get(persona_id).name() == "Mira Three"


def test_json_and_charx_cards(hearth, tmp_path: Path) -> None:
    json_card = tmp_path / "card.json"
    json_card.write_text(json.dumps(v2_card("Json Jane")))
    jane = hearth.library.get(hearth.import_file(json_card))
    assert jane.name() == "Json Jane"
    v3 = {**v2_card("Charx Carl"), "spec": "chara_card_v3", "spec_version": "3.0"}
    v3["data"]["assets"] = [{"type": "icon", "uri": "embeded://assets/icon/main.png",
                             "name": "main", "ext": "png"}]
    charx = tmp_path / "carl.charx"
    with zipfile.ZipFile(charx, "w") as archive:
        archive.writestr("card.json", json.dumps(v3))
        archive.writestr("assets/icon/main.png", PORTRAIT)
    carl = hearth.library.get(hearth.import_file(charx))
    assert carl.name() == "Charx Carl" and carl.portrait_path.is_file()


@pytest.mark.parametrize("case, match", [
    ("bad-crc", "checksum"), ("no-card", "no character card"), ("dup-keys", "repeats a key"),
    ("no-name", "no name"), ("charx-slip", "parent segment"),
])
def test_hostile_cards_are_refused_and_nothing_is_installed(hearth, tmp_path: Path, case: str,
                                                            match: str) -> None:
    if case == "bad-crc":
        path = png_card(tmp_path / "c.png", {"chara": v2_card()}, break_crc=True)
    elif case == "no-card":
        path = tmp_path / "plain.png"
        path.write_bytes(PORTRAIT)
    elif case == "dup-keys":
        path = tmp_path / "d.json"
        path.write_text('{"spec": "chara_card_v2", "spec": "x", "data": {}}')
    elif case == "no-name":
        path = tmp_path / "n.json"
        path.write_text(json.dumps({"spec": "chara_card_v2", "data": {"name": " "}}))
    else:
        path = tmp_path / "slip.charx"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("card.json", json.dumps(v2_card()))
            archive.writestr("../../evil.png", PORTRAIT)
    before = sorted(p.name for p in hearth.dirs.personas.iterdir())
    with pytest.raises(BundleRejected, match=match):
        hearth.import_file(path)
    assert sorted(p.name for p in hearth.dirs.personas.iterdir()) == before


def test_one_character_is_one_persona_whatever_the_container(hearth, tmp_path: Path) -> None:
    """The same card as JSON, CHARX and PNG once installed twice and once failed with
    "{'en': 'Elena Torres'} is already installed": one identity, a readable name, and the
    user's choice to replace it (memories kept) or keep both."""
    from desktop.personas.cards import CardAlreadyInstalled

    card = v2_card("Elena Torres")
    as_json = tmp_path / "elena.json"
    as_json.write_text(json.dumps(card))
    as_charx = tmp_path / "elena.charx"
    v3 = {**card, "spec": "chara_card_v3", "spec_version": "3.0"}
    with zipfile.ZipFile(as_charx, "w") as archive:
        archive.writestr("card.json", json.dumps(v3))
    as_png = png_card(tmp_path / "elena.png", {"chara": card})
    first = hearth.import_file(as_json)
    for other in (as_charx, as_png):
        with pytest.raises(CardAlreadyInstalled) as refused:
            hearth.import_file(other)
        assert str(refused.value).startswith("Elena Torres is already installed")
    hearth.store.append_turn(first, "user", "remember me").result(timeout=5)
    assert hearth.import_file(as_charx, "replace") == first  # the same persona, replaced
    assert [t.text for t in hearth.store.turns(first)] == ["remember me"]
    second = hearth.import_file(as_png, "keep-both")
    assert second != first and hearth.library.get(second).name() == "Elena Torres (2)"
    assert sorted(p.id for p in hearth.library.list() if "elena" in p.id) == sorted(
        [first, second])
    assert not [p for p in hearth.dirs.personas.iterdir() if p.name.startswith(".")]
