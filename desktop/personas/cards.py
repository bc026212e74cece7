"""Character Card V2 / V3 import: PNG with a ``chara`` (V2) or ``ccv3`` (V3) tEXt chunk, plain
JSON, or a CHARX zip with ``card.json``. A card carries no license, consent or signature, so it
becomes an *unverified fictional* persona. Every field of the card is kept verbatim in
``card.json`` beside the persona (the specs ask importers to preserve what they do not use,
``extensions`` included); the lorebook becomes the persona's background knowledge.

Same hostility rules as bundles (docs/reliability.md §1.8): tEXt chunks only, CRCs checked, base64
and JSON size caps, strict JSON, images decoded in a child process, atomic install.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import shutil
import struct
import time
import unicodedata
import zipfile
import zlib
from pathlib import Path

from desktop.face.contract import DEFAULT_RIG
from desktop.personas.archive import (
    ARCHIVE_ERRORS,
    BundleRejected,
    check_local_header,
    check_name,
    strict_json,
)
from desktop.personas.library import MAX_GREETINGS

MAX_CARD_FILE = 32 << 20
MAX_CARD_JSON = 2 << 20
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png_text_chunks(data: bytes) -> dict[str, bytes]:
    """The tEXt chunks of a PNG, with every chunk's CRC checked."""
    if not data.startswith(PNG_MAGIC):
        raise BundleRejected("The file is not a PNG image.", "Choose a character card.")
    chunks: dict[str, bytes] = {}
    index = len(PNG_MAGIC)
    while index + 12 <= len(data):
        (length,) = struct.unpack(">I", data[index:index + 4])
        kind = data[index + 4:index + 8]
        body = data[index + 8:index + 8 + length]
        if len(body) != length or index + 12 + length > len(data):
            raise BundleRejected("The card image is truncated.")
        (crc,) = struct.unpack(">I", data[index + 8 + length:index + 12 + length])
        if zlib.crc32(kind + body) & 0xFFFFFFFF != crc:
            raise BundleRejected("The card image is damaged (a chunk's checksum is wrong).")
        if kind == b"tEXt":
            keyword, _, text = body.partition(b"\0")
            chunks[keyword.decode("latin-1")] = text
        if kind == b"IEND":
            break
        index += 12 + length
    return chunks


def read_card(path: Path) -> tuple[dict, bytes | None]:
    """The card's JSON (V3 preferred over V2) and its image, if it came as one."""
    if path.stat().st_size > MAX_CARD_FILE:
        raise BundleRejected("The character card file is too large.")
    data = path.read_bytes()
    image = None
    if data.startswith(PNG_MAGIC):
        chunks = png_text_chunks(data)
        encoded = chunks.get("ccv3") or chunks.get("chara")
        if encoded is None:
            raise BundleRejected("This PNG has no character card inside.",
                                 "Choose a card exported by a character card editor.")
        if len(encoded) > MAX_CARD_JSON * 4 // 3 + 4:
            raise BundleRejected("The card's text is too large.")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except ValueError as error:
            raise BundleRejected("The card's text is not valid base64.") from error
        card, image = strict_json(raw, "character card"), data
    elif data[:2] == b"PK":
        card, image = _read_charx(data)
    else:
        if len(data) > MAX_CARD_JSON:
            raise BundleRejected("The card's JSON is too large.")
        card = strict_json(data, "character card")
    if not isinstance(card, dict):
        raise BundleRejected("The file is not a character card.")
    return card, image


def _read_charx(data: bytes) -> tuple[dict, bytes | None]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except ARCHIVE_ERRORS as error:
        raise BundleRejected("The CHARX file is not a valid zip.") from error
    names = [check_name(i.filename) for i in archive.infolist()]
    for info in archive.infolist():
        check_local_header(data, info, info.filename, "CHARX file")
    if len(names) > 256 or "card.json" not in names:
        raise BundleRejected("The CHARX file has no card.json.")
    info = archive.getinfo("card.json")
    if info.file_size > MAX_CARD_JSON:
        raise BundleRejected("The CHARX card.json is too large.")
    try:
        raw = archive.read(info)
    except ARCHIVE_ERRORS as error:
        raise BundleRejected("The CHARX card.json is damaged.") from error
    card = strict_json(raw, "character card")
    image = None
    data = card.get("data") if isinstance(card, dict) else None
    assets = data.get("assets") if isinstance(data, dict) else None
    by_form = {unicodedata.normalize("NFC", n): n for n in names}
    for asset in assets if isinstance(assets, list) else []:
        if not isinstance(asset, dict):
            continue
        uri = str(asset.get("uri", ""))
        if asset.get("type") == "icon" and uri.startswith("embeded://"):
            # The icon's name in card.json may be in another Unicode normalisation form
            # than the zip's member name: compare them in one form.
            inner = by_form.get(unicodedata.normalize("NFC", uri.removeprefix("embeded://")))
            if inner is not None and archive.getinfo(inner).file_size <= 16 << 20:
                try:
                    image = archive.read(inner)
                except ARCHIVE_ERRORS as error:
                    raise BundleRejected("The CHARX icon is damaged.") from error
                break
    return card, image


def _text(value: object, cap: int = 8000) -> str:
    return str(value or "")[:cap]


def _macros(text: str, name: str) -> str:
    return re.sub(r"\{\{char\}\}", name, re.sub(r"\{\{user\}\}", "you", text, flags=re.I),
                  flags=re.I)


def card_to_persona(card: dict) -> dict:
    """The library's persona.json for a card (unverified, fictional)."""
    spec = card.get("spec")
    data = card.get("data") if spec in ("chara_card_v2", "chara_card_v3") else card
    if not isinstance(data, dict) or not _text(data.get("name")).strip():
        if spec is None and isinstance(card.get("entries"), dict | list):
            raise BundleRejected(
                "This is a lorebook (world info), not a character card.",
                "Import the character card it belongs to; Hearth reads a lorebook inside its "
                "card (character_book). Nothing was installed.")
        raise BundleRejected("The character card has no name.")
    name = _text(data["name"], 80).strip()
    language = "zh" if re.search(r"[\u4e00-\u9fff]", name + _text(data.get("description"))) \
        else "en"
    samples = [_macros(line.split(":", 1)[1].strip(), name)
               for line in _text(data.get("mes_example"), 20000).splitlines()
               if line.lower().startswith("{{char}}:") and line.split(":", 1)[1].strip()][:12]
    book = data.get("character_book") if isinstance(data.get("character_book"), dict) else {}
    alternates = data.get("alternate_greetings")
    alternates = alternates if isinstance(alternates, list) else []
    lore = [{"keys": [str(k) for k in entry.get("keys", [])][:20],
             "text": _macros(_text(entry.get("content"), 2000), name)}
            for entry in (book.get("entries") or [])[:200]
            if isinstance(entry, dict) and entry.get("enabled", True) and entry.get("content")]
    # One identity per character, whatever the container (PNG, JSON, CHARX add different
    # wrapping to the same card): who it is, who made it, and how it is described.
    identity = [name, _text(data.get("creator")), _text(data.get("description"))[:2000]]
    digest = hashlib.sha256(json.dumps(identity, ensure_ascii=False).encode()).hexdigest()[:10]
    slug = re.sub(r"[^a-z0-9]+", "-", unicodedata.normalize("NFKD", name).encode(
        "ascii", "ignore").decode().lower()).strip("-")[:30] or "card"
    description = "\n\n".join(part for part in (
        _macros(_text(data.get("description")), name),
        _macros(_text(data.get("scenario")), name)) if part.strip())
    return {
        "format": "hearth-persona-installed-1",
        "id": f"card.{slug}-{digest}", "version": 1, "names": {language: name},
        "languages": [language], "description": description or name,
        "personality": _macros(_text(data.get("personality")), name),
        "greetings": {language: _macros(_text(data.get("first_mes"), 1000), name)},
        "alternate_greetings": {language: [
            _macros(_text(text, 1000), name) for text in alternates[:MAX_GREETINGS]
            if isinstance(text, str) and text.strip()]},
        "sample_lines": samples, "portrait": "portrait.png", "face_rig": DEFAULT_RIG,
        "voice": {}, "lore": lore,
        "license": {"subject": "fictional",
                    "licensor": _text(data.get("creator"), 120) or "unknown (character card)",
                    "modes": ["text", "voice_call", "video_call"],
                    "disclosure": {
                        "en": f"{name} is a fictional AI character from a character card.",
                        "zh": f"{name}是来自角色卡的虚构 AI 角色。"}},
    }


def _frame_card_image(portrait: Path, find_face) -> dict | None:
    """Re-frame the checked portrait (already a PNG within the pixel cap) in place."""
    import cv2
    import numpy as np

    from desktop.personas.framing import frame_portrait

    original = portrait.read_bytes()
    portrait.with_name("card-image.png").write_bytes(original)
    bgr = cv2.imdecode(np.frombuffer(original, np.uint8), cv2.IMREAD_COLOR)
    square, rig = frame_portrait(bgr, find_face)
    portrait.write_bytes(cv2.imencode(".png", square)[1].tobytes())
    return rig


def _persona_of(card: dict) -> dict:
    """card_to_persona, with a field of the wrong JSON type (a lorebook's keys as a number,
    ``data`` as a list) refused with a message instead of a traceback."""
    try:
        return card_to_persona(card)
    except (TypeError, AttributeError, ValueError, KeyError) as error:
        raise BundleRejected(f"The character card's fields are not what a character card "
                             f"holds ({str(error)[:100]}).",
                             "Export it again from the character card editor.") from error


def import_card(path: Path, personas_dir: Path, placeholder: tuple[bytes, dict],
                find_face=None, on_conflict: str | None = None) -> str:
    """Install a character card; returns the new persona id. A card without an image gets
    ``placeholder`` (Hearth's drawn portrait and its face rig) until the user sets one. A
    card's own picture is framed around the face ``find_face`` finds (desktop.personas.
    framing); the picture as it came is kept beside it as ``card-image.png``. The same
    character already installed is CardAlreadyInstalled unless ``on_conflict`` is "replace"
    (the new card in its place, memories kept) or "keep-both" (a second persona)."""
    card, image = read_card(path)
    persona = _persona_of(card)
    if image is None:
        persona["face_rig"] = placeholder[1]
    target = personas_dir / persona["id"]
    if target.exists() and on_conflict == "keep-both":
        persona["id"] = _free_id(personas_dir, persona["id"])
        names = persona["names"]
        persona["names"] = {k: f"{v} (2)" for k, v in names.items()}
        target = personas_dir / persona["id"]
    elif target.exists() and on_conflict != "replace":
        raise CardAlreadyInstalled(next(iter(persona["names"].values())), persona["id"])
    personas_dir.mkdir(parents=True, exist_ok=True)
    staging = personas_dir / f".import-{os.getpid()}-{time.monotonic_ns()}"
    staging.mkdir(mode=0o700)
    try:
        portrait = staging / "portrait.png"
        portrait.write_bytes(image or placeholder[0])
        from desktop.personas.member_checks import check_image

        check_image(portrait, "portrait.png")
        if image is not None:
            persona["face_rig"] = _frame_card_image(portrait, find_face)
        (staging / "card.json").write_text(json.dumps(card, ensure_ascii=False, indent=1),
                                           encoding="utf-8")
        (staging / "persona.json").write_text(json.dumps(persona, ensure_ascii=False, indent=1),
                                              encoding="utf-8")
        from desktop.personas.library import load_persona

        load_persona(staging)
        old = None
        if target.exists():  # replace: the new card in, the old one out (its memories stay)
            old = personas_dir / f".replaced-{persona['id']}-{time.monotonic_ns()}"
            os.replace(target, old)
        os.replace(staging, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return persona["id"]


class CardAlreadyInstalled(BundleRejected):
    """The same character is installed already: the user chooses to replace it (its
    memories stay) or to keep both."""

    def __init__(self, name: str, persona_id: str) -> None:
        super().__init__(f"{name} is already installed (the same character card).",
                         "Replace it (its memories stay) or keep both: hearth import FILE "
                         "--replace or --keep-both. Nothing was changed.")
        self.name = name
        self.persona_id = persona_id


def _free_id(personas_dir: Path, persona_id: str) -> str:
    number = 2
    while (personas_dir / f"{persona_id}-{number}").exists():
        number += 1
    return f"{persona_id}-{number}"


# Card fields a persona in Hearth does not use, in the user's words. Hearth writes its own
# prompt (docs/reliability.md §7.1): a card's system prompt, post-history instructions and
# depth prompts are never followed.
DROPPED = {
    "system_prompt": "its own system prompt",
    "post_history_instructions": "instructions after the history",
    "creator_notes": "the creator's notes",
    "group_only_greetings": "greetings for group chats",
}


def dropped_from_card(folder: Path | None) -> list[str]:
    """What the character card an installed persona came from carried that Hearth does not
    use (nothing for a persona that is not from a card)."""
    card = folder / "card.json" if folder is not None else None
    if card is None or not card.is_file():
        return []
    try:
        data = json.loads(card.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return dropped_fields(data) if isinstance(data, dict) else []


def dropped_fields(card: dict) -> list[str]:
    """What this card carries that Hearth does not use."""
    data = card.get("data") if isinstance(card.get("data"), dict) else card
    found = [words for key, words in DROPPED.items() if data.get(key)]
    extensions = data.get("extensions") if isinstance(data.get("extensions"), dict) else {}
    if extensions.get("depth_prompt"):
        found.append("a depth prompt")
    return found
