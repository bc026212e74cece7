"""A call in the real window with a hearth-face-v2 persona: the call view shows the recorded
loop at its own 512 px, the generator draws the mouth while the persona speaks and is not
called while nobody speaks."""

from __future__ import annotations

import json

import numpy as np
import pytest

from desktop.face.neural import NeuralFace
from desktop.face.source import FaceMoment
from desktop.fixtures.face_v2 import write_face_folder
from desktop.likeness.build import Consent
from tests.test_face_v2 import SMALL

pytestmark = pytest.mark.gui


@pytest.fixture
def gui_hearth(hearth_home, tmp_path):
    from desktop.app import Hearth
    from desktop.ui.screenshot import install_v2_persona

    face = write_face_folder(tmp_path / "likeness" / "face", SMALL, frames=30, side=512)
    (tmp_path / "likeness" / "consent.json").write_text(
        json.dumps(Consent("own").record(["0" * 64])))
    hearth = Hearth(hearth_home).open()
    hearth.v2_persona = install_v2_persona(hearth, face)
    yield hearth
    hearth.close()


def test_a_call_with_a_v2_face_shows_the_footage_and_draws_the_mouth_while_speaking(
        window, qtbot, gui_hearth) -> None:
    window.populate_library(select=gui_hearth.v2_persona)
    qtbot.waitUntil(lambda: window.conversation is not None
                    and window.conversation.persona.id == gui_hearth.v2_persona, timeout=30000)
    window.call_button.click()
    window.call.start.click()
    qtbot.waitUntil(lambda: window.face_loop is not None and window.mailbox.latest()
                    is not None, timeout=10000)
    face = window.face_loop.source
    assert isinstance(face, NeuralFace)
    assert window.mailbox.latest().image.shape == (512, 512, 3)  # the loop's own resolution
    # The greeting is spoken: the generator draws frames while it plays.
    qtbot.waitUntil(lambda: face.timings.model_calls > 10, timeout=30000)
    painted = window.call.face.painted_frames
    qtbot.waitUntil(lambda: window.call.face.painted_frames > painted + 5, timeout=10000)
    image = window.call.face.current_image()
    assert (image.width(), image.height()) == (512, 512)
    window.call.hangup.click()
    qtbot.waitUntil(lambda: window.conversation.output is None
                    or window.conversation.output.is_idle(), timeout=10000)
    calls = face.timings.model_calls
    for _ in range(7):
        frame = face.frame(FaceMoment(0.0, 100.0, False, False))
    assert face.timings.model_calls <= calls + 5  # easing out, then never again
    assert np.array_equal(frame, face.loop[face.clock.index])
