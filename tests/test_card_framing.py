"""A card's picture is framed as a face: a full-body 2:3 portrait is cut to head and
shoulders around the face the detector finds, letterboxed (never squashed) when none is
found, and then shown still with a speaking indicator, never with a mouth on a dress."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from desktop.app import Hearth
from desktop.face.animator import FaceAnimator
from desktop.face.loading import load_face_source, load_portrait
from desktop.face.source import FaceMoment, StillFace, WarpFace
from desktop.paths import DataDirs
from tests.test_cards import chunk, v2_card


def card_png(path: Path, bgr: np.ndarray) -> Path:
    data = cv2.imencode(".png", bgr)[1].tobytes()
    text = chunk(b"tEXt", b"chara\0" + base64.b64encode(json.dumps(v2_card()).encode()))
    path.write_bytes(data[:33] + text + data[33:])
    return path


def full_body(face: bool) -> np.ndarray:
    """A 2:3 picture, dark, with a bright square where a face is (the fixture detector finds
    the brightest cell; see desktop/fixtures/face_detector.py)."""
    image = np.full((600, 400, 3), 40, np.uint8)
    cv2.rectangle(image, (150, 380), (250, 590), (90, 60, 140), -1)  # a dress
    if face:
        image[60:150, 155:245] = 250
    return image


def imported(home: DataDirs, tmp_path: Path, picture: np.ndarray):
    hearth = Hearth(home).open()
    try:
        persona_id = hearth.import_file(card_png(tmp_path / "card.png", picture))
        return hearth.library.get(persona_id)
    finally:
        hearth.close()


def test_a_full_body_card_is_cut_to_head_and_shoulders_around_its_face(
        hearth_home: DataDirs, tmp_path: Path) -> None:
    persona = imported(hearth_home, tmp_path, full_body(face=True))
    portrait = load_portrait(persona)
    assert portrait.shape == (512, 512, 3)  # square, cut around the face: not squashed
    bright = np.argwhere(portrait.mean(axis=2) > 200)
    # Zoomed to the face (a plain letterbox would leave it at 2 % of the square), in the
    # upper middle where a head-and-shoulders portrait has it.
    assert len(bright) > 0.1 * 512 * 512
    assert bright[:, 0].mean() < 300 and 128 < bright[:, 1].mean() < 384
    assert persona.rig is not None and -0.6 < persona.rig.mouth_center[1] < 0.6
    kept = cv2.imread(str(persona.folder / "card-image.png"))
    assert kept.shape[:2] == (600, 400)  # the picture as it came is kept
    assert isinstance(load_face_source(persona, FaceAnimator()), WarpFace)


def test_a_card_with_no_face_is_letterboxed_and_shown_still_while_it_speaks(
        hearth_home: DataDirs, tmp_path: Path) -> None:
    persona = imported(hearth_home, tmp_path, full_body(face=False))
    assert persona.rig is None
    portrait = load_portrait(persona)
    assert portrait.shape == (512, 512, 3)
    # The whole 2:3 picture is inside, at 2:3 (341 x 512 from x = 85), on a darker blurred
    # backdrop: the dress is where it belongs and keeps its proportions.
    assert tuple(portrait[450, 256]) == (140, 60, 90)
    assert tuple(portrait[450, 205]) == (40, 40, 40) and tuple(portrait[450, 305]) == (40,) * 3
    assert portrait[300, 20].max() < 40
    animator = FaceAnimator()
    source = load_face_source(persona, animator)
    assert isinstance(source, StillFace)
    quiet = source.frame(FaceMoment(0.0, 1.0, False, False))
    assert np.array_equal(quiet, source.portrait)
    from desktop.face.visemes import VisemeTrack

    animator.add_speech(VisemeTrack.from_alignments([("a", 16000)], 16000, 0.0))
    talking = source.frame(FaceMoment(0.5, 1.0, True, False))
    changed = np.argwhere(np.any(talking != quiet, axis=2))
    assert len(changed) > 0 and changed[:, 0].min() > 420  # only the indicator, at the bottom


def test_without_a_detector_square_pictures_keep_the_centred_guess(tmp_path: Path,
                                                                   hearth_home: DataDirs
                                                                   ) -> None:
    shutil.rmtree(hearth_home.models / "face")
    tall = imported(hearth_home, tmp_path, full_body(face=True))
    assert tall.rig is None  # a 2:3 picture without a detector: never a guessed mouth
    square = np.full((400, 400, 3), 90, np.uint8)
    card = dict(v2_card("Square Sam"))
    data = cv2.imencode(".png", square)[1].tobytes()
    text = chunk(b"tEXt", b"chara\0" + base64.b64encode(json.dumps(card).encode()))
    (tmp_path / "sq.png").write_bytes(data[:33] + text + data[33:])
    hearth = Hearth(hearth_home).open()
    try:
        persona = hearth.library.get(hearth.import_file(tmp_path / "sq.png"))
    finally:
        hearth.close()
    from desktop.face.contract import DEFAULT_RIG

    assert persona.rig is not None and list(persona.rig.mouth_center) == \
        DEFAULT_RIG["mouth_center"]


@pytest.mark.parametrize("shape", [(900, 300), (300, 900), (512, 512)])
def test_letterboxing_keeps_the_whole_picture_at_its_own_aspect(shape) -> None:
    from desktop.personas.framing import letterbox

    picture = np.full((*shape, 3), 200, np.uint8)
    boxed = letterbox(picture)
    assert boxed.shape == (512, 512, 3)
    inside = np.argwhere(boxed.mean(axis=2) > 190)
    height = inside[:, 0].max() - inside[:, 0].min() + 1
    width = inside[:, 1].max() - inside[:, 1].min() + 1
    assert width / height == pytest.approx(shape[1] / shape[0], rel=0.03)


def test_two_personas_loading_at_once_open_one_speaker(hearth_home: DataDirs, pulse,
                                                       monkeypatch) -> None:
    """Clicking a second persona while the first still loads ran two loaders at once: each
    opened a speaker and one was dropped running, so PortAudio called a freed callback and
    the app died (SIGILL) taking the call-view screenshot of a card."""
    import threading

    from desktop.voice.audio_out import AudioOutput

    opened = []
    real_open = AudioOutput.open

    def counting_open(self):
        opened.append(self)
        return real_open(self)

    monkeypatch.setattr(AudioOutput, "open", counting_open)
    hearth = Hearth(hearth_home).open()
    try:
        persona = hearth.library.list()[0]
        loaders = [threading.Thread(target=hearth.load_engines, args=(persona,))
                   for _ in range(3)]
        for loader in loaders:
            loader.start()
        for loader in loaders:
            loader.join(timeout=120)
        assert len(opened) == 1 and hearth.engines.output is opened[0]
    finally:
        hearth.close()


def test_the_user_places_the_face_of_an_installed_persona_and_the_call_follows(
        window, qtbot, tmp_path: Path) -> None:
    persona_id = window.hearth.import_file(card_png(tmp_path / "c.png", full_body(False)))
    window.populate_library(select=persona_id)
    qtbot.waitUntil(lambda: window.persona is not None and window.persona.id == persona_id,
                    timeout=30000)
    assert window.persona.rig is None  # no face found: shown still
    window.face_button.click()
    editor = window.face_editor
    editor.move_point("left_eye", (-0.1, -0.5))
    editor.move_point("right_eye", (0.1, -0.5))
    editor.move_point("mouth", (0.0, -0.3))
    window.face_dialog.accept()
    qtbot.waitUntil(lambda: window.persona.rig is not None, timeout=10000)
    assert window.persona.rig.mouth_center == (0.0, -0.3)
    assert isinstance(load_face_source(window.persona, FaceAnimator()), WarpFace)
    window.hearth.place_face(persona_id, (-0.1, -0.5), (0.1, -0.5), None)
    assert window.hearth.library.get(persona_id).rig is None
    with pytest.raises(Exception, match="comes with Hearth"):
        window.hearth.place_face("org.hearth.wren", (-0.1, -0.5), (0.1, -0.5), (0, 0))
