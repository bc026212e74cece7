"""Takes the screenshots for docs/ from real windows (run under Xvfb).

    xvfb-run -a python -m desktop.ui.screenshot docs/call-view.png         (hands-free, mid-reply)
    xvfb-run -a python -m desktop.ui.screenshot docs/setup-screen.png setup  (first run)
    xvfb-run -a python -m desktop.ui.screenshot docs/call-v2-face.png face DIR/face
        (a call with a hearth-face-v2 persona built by hearth likeness build, mid-greeting)
    xvfb-run -a python -m desktop.ui.screenshot docs/call-full-body-card.png card
        (a call with a full-body 2:3 character card, mid-greeting)
    xvfb-run -a python -m desktop.ui.screenshot docs screens en|zh
        (the chat mid-conversation, Settings, a persona's details)

Uses the fixture models (built on the fly) in a temporary data folder.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication


def setup_screen(target: str) -> int:
    """The first-run screen as a new user sees it: an empty data folder, the real catalog."""
    home = Path(tempfile.mkdtemp(prefix="hearth-setup-shot-"))
    os.environ["HEARTH_HOME"] = str(home)
    from desktop.paths import DataDirs
    from desktop.ui.pages import STYLE
    from desktop.ui.setup_view import SetupDialog

    app = QApplication(sys.argv)
    dialog = SetupDialog(DataDirs(home).ensure(), ["en", "zh"])
    dialog.setStyleSheet(STYLE)  # as it looks over the main window, whose style it inherits
    dialog.show()

    def shoot() -> None:
        if "cores" not in dialog.machine_label.text():
            QTimer.singleShot(200, shoot)
            return
        dialog.grab().save(target)
        app.quit()

    QTimer.singleShot(500, shoot)
    app.exec()
    return 0


def private_sound_server(microphone: bool = False):
    """A private PulseAudio server with a null sink, so the persona has a speaker even on a
    machine without one (None if PulseAudio cannot start). ``microphone``: a second sink
    whose monitor is the microphone, for a shot that 'speaks' into it."""
    from desktop.fixtures.pulse import PulseServer

    try:
        pulse = PulseServer().start()
    except RuntimeError:
        return None
    pulse.apply_to_environment()
    if microphone:
        try:
            pulse.load_module("module-null-sink", "sink_name=hearth_mic", "rate=48000",
                              "channels=1")
            pulse.set_default_source("hearth_mic.monitor")
        except RuntimeError:
            pulse.stop()
            return None
    return pulse


def full_body_card(path: Path) -> Path:
    """A drawn full-body character card (2:3 PNG with a chara chunk): our own artwork."""
    import base64
    import json
    import struct
    import zlib

    import cv2
    import numpy as np

    from desktop.face.portrait_art import draw_portrait

    head, _rig = draw_portrait()
    canvas = np.zeros((768, 512, 3), np.uint8)
    canvas[:] = head[-1:, :, :]  # the background's lower colour, continued
    canvas[:512] = head
    cv2.fillPoly(canvas, [np.array([[170, 470], [342, 470], [420, 768], [92, 768]])],
                 (70, 112, 104), cv2.LINE_AA)
    cv2.fillPoly(canvas, [np.array([[200, 600], [312, 600], [360, 768], [152, 768]])],
                 (52, 88, 82), cv2.LINE_AA)
    png = cv2.imencode(".png", cv2.cvtColor(canvas, cv2.COLOR_RGB2BGR))[1].tobytes()
    card = {"spec": "chara_card_v2", "spec_version": "2.0", "data": {
        "name": "Marin", "description": "{{char}} keeps the lighthouse and loves long walks.",
        "personality": "calm, curious", "first_mes": "Oh, hello! I'm {{char}}.",
        "mes_example": "", "scenario": "", "creator": "Hearth docs"}}
    body = b"chara\0" + base64.b64encode(json.dumps(card).encode())
    text = struct.pack(">I", len(body)) + b"tEXt" + body + struct.pack(
        ">I", zlib.crc32(b"tEXt" + body) & 0xFFFFFFFF)
    path.write_bytes(png[:33] + text + png[33:])
    return path


def install_v2_persona(hearth, face_dir: Path) -> str:
    from desktop.personas.creator import PersonaDraft, export_draft, read_consent, user_signer

    consent = read_consent(face_dir)
    draft = PersonaDraft("user.eileen", "Eileen", "A retired astronaut who loves to talk "
                         "about flight, the sea and the stars.", b"", face_dir=face_dir,
                         greeting="Hello! It is good to see you. What shall we talk about?",
                         likeness=consent["basis"], evidence_sha256=consent["evidence_sha256"],
                         consent_statement=consent["statement"])
    bundle = export_draft(draft, hearth.dirs.root / "eileen.persona",
                          user_signer(hearth.dirs.root / "keys"))
    return hearth.import_bundle(bundle).persona_id


def main(target: str, scene: str = "call", face_dir: str | None = None) -> int:
    # Long: a scripted tour of the window for the docs' screenshots, one scene after another
    home = Path(tempfile.mkdtemp(prefix="hearth-shot-"))
    os.environ["HEARTH_HOME"] = str(home)
    from desktop.app import Hearth
    from desktop.fixtures.build import build_fixture_models
    from desktop.paths import DataDirs
    from desktop.ui.main_window import MainWindow

    pulse = private_sound_server(microphone=True)
    dirs = DataDirs(home).ensure()
    build_fixture_models(dirs.models)
    if scene == "card":
        import shutil

        shutil.rmtree(dirs.models / "face")  # the fixture detector finds no real faces
    app = QApplication(sys.argv)
    hearth = Hearth(dirs).open()
    chosen = None
    if scene == "face" and face_dir:
        chosen = install_v2_persona(hearth, Path(face_dir))
    elif scene == "card":
        chosen = hearth.import_file(full_body_card(home / "marin.png"))
    window = MainWindow(hearth)
    window.resize(1100, 760)
    window.show()
    if chosen is not None:
        window.populate_library(select=chosen)

    def start() -> None:
        if window.conversation is None or (
                chosen is not None and window.conversation.persona.id != chosen):
            QTimer.singleShot(200, start)
            return
        window.call_button.click()
        window.call.start.click()
        window.call.latency.click()  # the meter, on demand
        QTimer.singleShot(200, talk)

    def talk() -> None:
        if scene != "call":
            QTimer.singleShot(200, greeting)
            return
        if window.hands_free is None or "Wren" not in window.call.caption.text():
            QTimer.singleShot(200, talk)
            return
        window.stop_reply()  # the user talks over the greeting
        if pulse is not None:
            from desktop.fixtures.speech import SPEECH

            pulse.play(SPEECH / "user-question.wav", "hearth_mic")
        QTimer.singleShot(200, shoot)

    def shoot() -> None:
        meter = window.call.meter.text()
        if pulse is not None and not (meter.startswith(window.tr("end of speech"))
                                      and window.call.caption.text()):
            QTimer.singleShot(100, shoot)
            return
        window.grab().save(target)
        app.quit()

    best: dict = {"score": -1.0, "shot": None, "polls": 0}

    def greeting() -> None:
        # Mid-greeting: the persona's face speaking. For a v2 face, keep the shot whose
        # generated mouth is most open (differs most from the recorded loop frame) over a
        # few seconds of speech; the card is shown still with its speaking indicator.
        loop = window.face_loop
        output = window.conversation.output if window.conversation else None
        spoken = output is not None and output.is_open and not output.is_idle() and \
            output.seconds(output.played_frames()) > 0.6
        face = getattr(loop, "source", None)
        timings = getattr(face, "timings", None)
        if not spoken or (timings is not None and timings.model_calls < 10):
            if best["shot"] is not None:
                finish()
                return
            QTimer.singleShot(50, greeting)
            return
        frame = window.mailbox.latest()
        score = 0.0
        if timings is not None and frame is not None:
            import numpy as np

            x0, y0, x1, y1 = face.boxes[face.clock.index]
            recorded = face.loop[face.clock.index][y0:y1, x0:x1].astype(np.float32)
            score = float(np.abs(frame.image[y0:y1, x0:x1].astype(np.float32)
                                 - recorded).mean())
        if score > best["score"] and window.call.caption.text():
            best.update(score=score, shot=window.grab())
        best["polls"] += 1
        if best["polls"] >= 60 or (timings is None and best["shot"] is not None):
            finish()
            return
        QTimer.singleShot(50, greeting)

    def finish() -> None:
        (best["shot"] or window.grab()).save(target)
        app.quit()

    return _tour(app, hearth, pulse, start)


def _tour(app: QApplication, hearth, pulse, first_step) -> int:
    """Run a scripted tour from ``first_step`` until it quits the app, then close up."""
    QTimer.singleShot(300, first_step)
    app.exec()
    hearth.close()
    if pulse is not None:
        pulse.stop()
    return 0


def window_screens(folder: str, language: str = "en") -> int:
    """The chat's greetings to swipe, the chat mid-conversation, the Settings screen and a
    persona's details, in ``language``: FOLDER/chat-greeting-LANG.png, FOLDER/chat-LANG.png,
    FOLDER/settings-LANG.png, FOLDER/persona-LANG.png."""
    # Long: a scripted tour of three screens, one after another, each waited for on its state
    home = Path(tempfile.mkdtemp(prefix="hearth-screens-"))
    os.environ["HEARTH_HOME"] = str(home)
    from desktop.app import Hearth
    from desktop.fixtures.build import build_fixture_models
    from desktop.paths import DataDirs
    from desktop.ui.main_window import MainWindow
    from desktop.ui.run import install_translator

    pulse = private_sound_server()
    dirs = DataDirs(home).ensure()
    build_fixture_models(dirs.models)
    app = QApplication(sys.argv)
    used = install_translator(app, language)
    hearth = Hearth(dirs).open()
    card = hearth.import_file(full_body_card(home / "marin.png"))
    window = MainWindow(hearth, language=used)
    window.resize(1100, 760)
    window.show()
    out = Path(folder)

    def chat() -> None:
        if window.conversation is None or not window.chat.send.isEnabled():
            QTimer.singleShot(200, chat)
            return
        from PySide6.QtCore import QUrl

        window.chat.transcript.anchorClicked.emit(QUrl("hearth:greeting/1"))  # swiped once
        window.grab().save(str(out / f"chat-greeting-{used}.png"))
        window.chat.input.setText("你好，任！今天海边怎么样？" if used == "zh" else
                                  "Hello Wren! How was the sea today?")
        window.chat.send.click()
        QTimer.singleShot(200, replied)

    def replied() -> None:
        history = window.conversation.history
        if not history or history[-1].role != "assistant" or window.chat.stop.isEnabled():
            QTimer.singleShot(200, replied)
            return
        window.grab().save(str(out / f"chat-{used}.png"))
        window.settings_button.click()
        QTimer.singleShot(500, settings)

    def settings() -> None:
        dialog = window.settings_dialog
        dialog.user_name.setText("Sam")
        dialog.grab().save(str(out / f"settings-{used}.png"))
        dialog.reject()
        window.populate_library(select=card)
        QTimer.singleShot(300, details)

    def details() -> None:
        if window.persona is None or window.persona.id != card:
            QTimer.singleShot(200, details)
            return
        window.details_button.click()
        QTimer.singleShot(500, shoot_details)

    def shoot_details() -> None:
        box = window.details_box[0]
        box.grab().save(str(out / f"persona-{used}.png"))
        box.close()
        app.quit()

    return _tour(app, hearth, pulse, chat)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[2] == "screens":
        raise SystemExit(window_screens(sys.argv[1], *sys.argv[3:4]))
    if len(sys.argv) > 2 and sys.argv[2] == "setup":
        raise SystemExit(setup_screen(sys.argv[1]))
    raise SystemExit(main(sys.argv[1] if len(sys.argv) > 1 else "call-view.png",
                          *sys.argv[2:4]))
