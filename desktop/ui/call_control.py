"""The call, seen from the window: ring and greet, listen hands-free when the listening
models are installed (else the user types), mute, the devices, the face, and hanging up. It
drives the window's Conversation; everything here runs on the Qt thread, and what takes time
(loading the recognizer) goes through the bridge to a worker."""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QMainWindow

from desktop.call.events import Hearing, ReplyFinished
from desktop.call.frames import BUSY_CORES
from desktop.call.session import Conversation
from desktop.errors import HearthError


class CallControl(QObject):
    def __init__(self, window: QMainWindow) -> None:
        # The MainWindow (not imported here: it imports this module).
        super().__init__(window)
        self.window = window
        self.in_call = False
        self.hands_free = None  # desktop.call.listening.HandsFreeCall while one runs
        self._started = 0.0  # monotonic, when the call connected
        self._clock = QTimer(self)  # the call timer, once a second
        self._clock.setInterval(1000)
        self._clock.timeout.connect(self._tick)

    def start_call(self) -> None:
        """Ring, greet, and listen (hands-free) when the listening models are installed;
        otherwise greet and let the user type."""
        window = self.window
        if window.conversation is None or window.persona is None or self.in_call:
            return
        window.show_page(1)
        self.in_call = True
        self._started = time.monotonic()
        window.call.hangup.setEnabled(True)
        window.call.caption.setText("")
        self._tick()
        self._clock.start()
        window.transcript.marker(self.tr("Call started"))
        window.render_transcript()
        window.conversation.set_spoken(True)
        self._start_face()
        window.call.start.setEnabled(False)
        if not window.conversation.spoken:
            window.show_problems_text([self.tr("No voice or speaker: replies appear as "
                                                 "captions.")])
        conversation = window.conversation
        window.call.hearing.setText(self.tr("Connecting…"))
        # Loading the recognizer takes a moment: on a worker, never on the Qt thread.
        window.bridge.background(lambda: window.hearth.listen(conversation, window.bridge.post),
                                 lambda call: self._listening(conversation, call),
                                 lambda error: self._typed_call(conversation, error),
                                 name="listen")

    def _listening(self, conversation: Conversation, call) -> None:
        window = self.window
        if not self.in_call or conversation is not window.conversation:
            call.hang_up()  # hung up (or switched persona) while it was connecting
            return
        self.hands_free = call
        window.call.mute.setEnabled(True)

    def _typed_call(self, conversation: Conversation, error: Exception) -> None:
        window = self.window
        if not self.in_call or conversation is not window.conversation:
            return
        window.call.hearing.setText(self.tr("Type to talk."))
        window.show_problems_text([str(error)])
        conversation.greet()

    def mute(self, muted: bool) -> None:
        if self.hands_free is not None:
            self.hands_free.mute(muted)

    def heard(self, event: Hearing) -> None:
        window = self.window
        you = self.tr("You")
        if not event.final:
            window.call.hearing.setText(f"{you}: {event.text}…")
            return
        window.call.hearing.setText(f"{you}: {event.text}" if event.text else "")
        if event.text:
            window.transcript.spoke(event.text)
            window.render_transcript()

    def listening_state(self, state: str) -> None:
        window = self.window
        texts = {"listening": self.tr("Listening…"), "muted": self.tr("Muted"),
                 "no-microphone": self.tr("No microphone: type to talk."), "off": ""}
        # A state the listen thread posted just before the user pressed Mute is drained
        # after the press: the call's own flag says what is true now. The button shows it
        # without saying it back to the call (its toggled signal would unmute the call, and
        # the next stale state mute it again).
        call = self.hands_free
        muted = call is not None and call.muted
        if muted and state in ("listening", "hearing"):
            state = "muted"
        elif call is not None and not muted and state == "muted":
            state = "listening"
        showing_words = window.call.hearing.text().startswith(self.tr("You") + ":")
        if state in texts and not (state == "listening" and showing_words):
            window.call.hearing.setText(texts[state])
        blocked = window.call.mute.blockSignals(True)
        window.call.mute.setChecked(muted)
        window.call.mute.blockSignals(blocked)

    def fill_devices(self) -> None:
        """The microphones and speakers PortAudio offers; 'System default' first."""
        window = self.window
        from desktop.voice.audio_out import AudioUnavailable, load_sounddevice

        window.call.microphones.clear()
        window.call.speakers.clear()
        window.call.microphones.addItem(self.tr("System default microphone"), None)
        window.call.speakers.addItem(self.tr("System default speaker"), None)
        try:
            devices = load_sounddevice().query_devices()
        except (AudioUnavailable, OSError):
            return
        for index, device in enumerate(devices):
            name = str(device["name"])
            if device["max_input_channels"] > 0:
                window.call.microphones.addItem(name, index)
            if device["max_output_channels"] > 0:
                window.call.speakers.addItem(name, index)

    def microphone_chosen(self, row: int) -> None:
        window = self.window
        device = window.call.microphones.itemData(row)
        window.hearth.input_device = device
        if self.hands_free is not None:
            from desktop.voice.audio_in import AudioInput

            self.hands_free.use_microphone(lambda: AudioInput(device).open())

    def speaker_chosen(self, row: int) -> None:
        window = self.window
        device = window.call.speakers.itemData(row)
        if window.conversation is None:
            window.hearth.output_device = device
            return
        try:
            window.hearth.use_speaker(window.conversation, device)
        except HearthError as error:
            window.show_problems_text([str(error)])

    def _start_face(self) -> None:
        window = self.window
        if window.face_loop is None:
            window.face_loop = window.hearth.face_loop(window.persona, window.animator,
                                                       window.mailbox,
                                                       conversation=window.conversation)
        if window.face_loop is not None:
            window.call.face.mailbox = window.mailbox
            window.face_loop.start()

    def hang_up(self) -> None:
        window = self.window
        if not self.in_call:
            return
        self.in_call = False
        call, self.hands_free = self.hands_free, None
        if call is not None:
            call.hang_up()
        window.call.mute.setChecked(False)
        window.call.mute.setEnabled(False)
        window.call.hearing.setText("")
        if window.conversation is not None:
            window.conversation.set_spoken(False)
        if window.face_loop is not None:
            window.face_loop.stop()
        window.call.face.mailbox = None
        window.call.face.update()
        window.call.start.setEnabled(True)
        window.call.hangup.setEnabled(False)
        self._clock.stop()
        ended = self.tr("Call ended · {length}").format(length=self._length())
        window.call.timer.setText("")
        window.call.caption.setText(ended)  # the call-ended card, until the next call
        window.transcript.marker(ended)
        window.render_transcript()

    def _length(self) -> str:
        seconds = int(time.monotonic() - self._started)
        return f"{seconds // 60}:{seconds % 60:02d}"

    def _tick(self) -> None:
        self.window.call.timer.setText(self._length())

    def show_meter(self, event: ReplyFinished) -> None:
        """The last turn's latency: end of speech -> transcript -> first token -> first
        audio for a spoken turn; sent -> first token -> first audio for a typed one."""
        times = event.times
        steps = [("transcribed", self.tr("transcript")), ("first_token", self.tr("first word")),
                 ("first_audio_played", self.tr("first sound"))]
        start = self.tr("end of speech") if times.speech_ended is not None else self.tr("sent")
        parts = [start]
        for key, label in steps:
            value = times.since_speech_ms(key)
            if value is not None:
                parts.append(f"{label} {value:.0f} ms")
        busy = times.others_busy_cores
        note = ""
        if busy is not None and busy >= BUSY_CORES:  # the machine, not the persona, is slow
            note = " · " + self.tr("this computer is busy with other programs ({cores:.1f} "
                                   "cores)").format(cores=busy)
        if len(parts) > 1:
            self.window.call.meter.setText(" → ".join(parts) + note)
