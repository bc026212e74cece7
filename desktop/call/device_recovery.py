"""The hands-free call's devices (a mixin of desktop.call.listening.HandsFreeCall): a
microphone that disappears mid-call leaves the call running in text, with a banner, and is
reopened once a second until one is back; a speaker that disappears turns replies into text
the same way; a change the sound server makes by itself (hot-plug) is said."""

from __future__ import annotations

import time

from desktop.call.events import ListeningState, Notice
from desktop.voice.audio_out import AudioUnavailable
from desktop.voice.devices import describe_change

REOPEN_EVERY_S = 1.0
DEVICE_POLL_S = 1.5


class DeviceRecovery:
    """Runs on the call's threads: ``_watch_devices`` on the listen thread before each
    read, ``_devices_loop`` on its own."""

    def _devices_loop(self) -> None:
        """Tell the user when the sound server moved the call to other devices (hot-plug)."""
        before = self.read_devices()
        while self._running:
            time.sleep(DEVICE_POLL_S)
            after = self.read_devices()
            if before is not None and after is not None:
                for level, text in describe_change(before, after):
                    self.listener(Notice(level, text))
            before = after if after is not None else before

    def _watch_devices(self) -> None:
        now = self.clock()
        microphone = self.microphone
        if microphone is not None and microphone.lost:
            microphone.close()
            self.microphone = None
            self.turns.reset()
            self.conversation.animator.set_listening(None)
            self.listener(Notice("warning", "The microphone stopped (was it unplugged?). "
                                            "The call goes on: type to talk. Listening resumes "
                                            "when a microphone is back."))
            self.listener(ListeningState("no-microphone"))
            self._last_mic_try = now
        elif microphone is None and now - self._last_mic_try >= REOPEN_EVERY_S:
            self._last_mic_try = now
            try:
                self.microphone = self.open_microphone()
            except AudioUnavailable:
                return
            self.vad.reset()
            if self.raw_vad is not None:
                self.raw_vad.reset()
            self._vad_base, self._windows = self._position, 0
            self.listener(Notice("info", "Microphone connected: Hearth is listening again."))
            self.listener(ListeningState("muted" if self.muted else "listening"))
        output = self.conversation.output
        if output is not None and output.error and not self._speaker_lost:
            self._speaker_lost = True
            self._last_speaker_try = now
            self.conversation.replace_output(None)
            output.close()
            self.listener(Notice("warning", "The speaker stopped (was it unplugged?). Replies "
                                            "appear as text until a speaker is back."))
        elif self._speaker_lost and self.open_speaker is not None and (
                now - self._last_speaker_try >= REOPEN_EVERY_S):
            self._last_speaker_try = now
            try:
                speaker = self.open_speaker()
            except AudioUnavailable:
                return
            self._speaker_lost = False
            self.conversation.replace_output(speaker)
            self.listener(Notice("info", "Speaker connected: replies are spoken again."))
