"""The listening half of a call: microphone -> echo canceller -> VAD -> turn-taking -> ASR,
driving the same Conversation that typed chat uses (``say``, ``typing``, ``stop_speaking``).

Worker threads, so that decoding never delays the decisions that must be fast:

    listen: every 16 ms reads the microphone ring and the speaker's tap, cancels the echo,
            runs the VAD window by window, feeds TurnTaker and acts on its events at once
            (a barge-in flushes playback from this thread, within one VAD window of being
            sure).
    asr:    decodes what the listen thread hands it, in order: the utterance's segments as
            the user talks (desktop.call.segments: each once, cut between words), partial
            captions (only the newest is worth decoding), a speculative final transcript
            the moment the user pauses, and at end-of-turn the reply request, which finds
            that transcript usually already done. Partials and finals decode only the tail
            since the last segment, so their cost does not grow with the utterance; a final
            whose tail held no speech is the segments' text, with no decode at all.
    partials: with a recognizer of its own (``partial_recognizer``), the newest partial,
            beside the asr thread, so that the decodes the reply waits for never queue
            behind one (desktop.call.recognition).

With a streaming recognizer (desktop.voice.streaming_asr) there are no segments, tails or
partials: the listen thread feeds the asr thread every read of the user's speech, the
stream's text is the caption and the draft, and the final is the stream settled at the
pause (one chunk's decode).

Overlap that hides latency: partial transcripts and decoded segments prefill the LLM while
the user is still talking (``Conversation.typing``); the moment they pause, the final
transcript is decoded and the reply is started as a held turn (``say(held=True)``):
generated and synthesized during the end-of-turn silence, heard only once that silence
confirms the turn is over (``release``), dropped without a trace if the user goes on
(``withdraw``). The reply's first clause is spoken as soon as it exists
(desktop.call.sentences).

Timekeeping: VAD windows are placed on the captured stream's own clock (samples since the
call began), which is exact; a stream position is turned into monotonic time from the moment
of the read that delivered it, so the latency meter starts when the user stopped talking,
not when we noticed.

A microphone that disappears mid-call leaves the call running in text, with a banner, and is
reopened once a second until one is back; a speaker that disappears turns replies into text
the same way.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from desktop.call.device_recovery import DeviceRecovery
from desktop.call.echo_judge import EchoJudge, ring_tone
from desktop.call.events import Listener, ListeningState, Notice
from desktop.call.frames import Stop
from desktop.call.recognition import PartialDecode, Recognition
from desktop.call.segments import AsrJob, Segmenter, StableText
from desktop.call.session import Conversation
from desktop.call.turns import (
    BargeIn,
    SpeechPaused,
    SpeechResumed,
    SpeechStarted,
    TurnEnded,
    TurnTaker,
)
from desktop.voice.asr import Transcript
from desktop.voice.audio_in import AudioInput
from desktop.voice.audio_out import AudioOutput, AudioUnavailable
from desktop.voice.devices import DeviceSnapshot
from desktop.voice.echo import EchoCanceller
from desktop.voice.engines import Recognizer, StreamingRecognition
from desktop.voice.vad import WINDOW, SileroVAD

log = logging.getLogger(__name__)
RATE = 16000
READ_EVERY_S = 0.016
# The VAD confirms speech a window or two after it began; keep audio from before the onset
# so the recognizer hears the first syllable.
PREROLL_S = 0.3
PARTIAL_EVERY_S = 0.4
# Partials of a long utterance cost more (SenseVoice-Small: ~70 ms per second of audio on one
# core): space them so the recognizer is idle at least two thirds of the time, and the final
# decode at the user's pause rarely waits behind one.
PARTIAL_DUTY = 3.0
MIN_PARTIAL_TAIL_S = 0.3
KEEP_S = 30.0  # audio kept for the utterance being heard; longer turns keep their last 30 s
# Speech this soon after the user's previous turn ended is that turn going on (a thinking
# pause, not the end): the reply to the first half is dropped, even if it had begun.
CONTINUATION_GAP_S = 0.8


@dataclass
class ListeningStats:
    """What happened in this call, for the bench and the tests."""

    turns: int = 0
    barge_ins: int = 0
    # Speech while a reply was being prepared but before any of it was heard: the user had
    # not finished, so the reply was dropped and the end-of-turn wait lengthened.
    continuations: int = 0
    partials: int = 0
    segments: int = 0  # pieces of utterances decoded while the user was still talking
    chunks_fed: int = 0  # pieces of audio a streaming recognizer heard while the user talked
    empty_turns: int = 0  # speech the recognizer found no words in
    speculative_hits: int = 0  # replies started at the pause and released at end of turn
    stop_ms: list[float] = field(default_factory=list)  # barge-in: onset -> playback flushed
    # The user's pause -> the final decode starting: it follows the decode of the segment the
    # pause closed (or the wait for the partial that holds it), and a partial on the asr
    # thread's recognizer.
    final_wait_ms: list[float] = field(default_factory=list)
    # The end of speech -> the pause heard (the VAD window after the last word, read every
    # 16 ms): the part of "transcript ready" no recognizer can save.
    pause_heard_ms: list[float] = field(default_factory=list)
    # The final decode itself (a streaming recognizer: the padded last chunk; SenseVoice:
    # the tail since the last segment): with the two above, the whole of "transcript ready".
    final_decode_ms: list[float] = field(default_factory=list)
    # Segments closed by a pause whose words a partial still decoding held (not decoded
    # again beside it).
    segments_from_partials: int = 0


class HandsFreeCall(DeviceRecovery, Recognition):
    def __init__(
        # Long: every piece of state the call's threads share is named here, once, with who
        # owns it
        self,
        conversation: Conversation,
        vad: SileroVAD,
        recognizer: Recognizer,
        listener: Listener,
        *,
        open_microphone: Callable[[], AudioInput],
        open_speaker: Callable[[], AudioOutput] | None = None,
        echo: EchoCanceller | None = None,
        turns: TurnTaker | None = None,
        read_devices: Callable[[], DeviceSnapshot | None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        partial_recognizer: Recognizer | None = None,
        on_cut: Callable[[np.ndarray, float], None] | None = None,
    ) -> None:
        self.conversation = conversation
        self.vad = vad
        self.recognizer = recognizer
        # A streaming recognizer hears the utterance as it is spoken (desktop.call.recognition):
        # the listen thread then feeds it every read instead of cutting segments and partials.
        self.streaming = isinstance(recognizer, StreamingRecognition)
        # Partials on a recognizer of their own, on their own thread: a partial begun just
        # before the user stops (it takes ~0.4 s on a slow CPU) then never holds up the
        # segment and final decodes the reply waits for. Without one, partials queue with
        # the rest and are skipped when newer audio waits.
        self.partial_recognizer = partial_recognizer
        # Told of every stretch of audio cut for a decode, and where it begins (seconds from
        # the utterance's start, its pre-roll included): the bench's scripted recognizer
        # gives each piece the words spoken there.
        self.on_cut = on_cut
        self._partials: queue.Queue = queue.Queue(maxsize=1)  # the newest partial only
        self.listener = listener
        self.open_microphone = open_microphone
        self.open_speaker = open_speaker
        self.echo = echo
        self.turns = turns or TurnTaker()
        self.read_devices = read_devices
        self.clock = clock
        self.stats = ListeningStats()
        self.microphone: AudioInput | None = None
        self.muted = False
        self._running = False
        self._threads: list[threading.Thread] = []
        self._jobs: queue.Queue = queue.Queue()
        # Audio since the current utterance began (absolute sample positions).
        self._audio = np.zeros(0, np.float32)
        self._audio_start = 0
        self._position = 0  # samples processed since the call began
        self._read_at = 0.0  # monotonic time of the read that ended at _position
        self._vad_base = 0  # absolute sample where the VAD's current stream began
        self._windows = 0
        self._utterance = 0
        self._version = 0
        self._utterance_start = 0
        self._segmenter = Segmenter()  # listen thread: where the next segment begins
        self._stable = StableText()  # asr thread: the segments' text
        self._typed: tuple[int, str] = (-1, "")  # the newest draft (utterance, text)
        # The segments' text and the draft are shared by the asr and partial threads.
        self._text_lock = threading.Lock()
        self._segments_posted = 0  # listen thread
        self._fed = 0  # listen thread: absolute sample up to which a streaming recognizer has audio
        self._stream: tuple[int, object] | None = None  # asr thread: (utterance, its stream)
        self._heard_so_far = ""  # asr thread: the stream's newest text
        self._segments_decoded = 0  # asr thread
        self._last_partial = 0.0
        self._partial_cost_s = 0.0
        self._partial_decode: PartialDecode | None = None  # the newest partial's, shared
        self._last_probability = 0.0  # the newest VAD window's
        self._final: tuple[int, Transcript, float] | None = None
        # The held reply started at the user's pause: (version, turn id).
        self._speculative: tuple[int, int] | None = None
        self._speculation_lock = threading.Lock()
        self._last_mic_try = 0.0
        self._speaker_lost = False
        self._last_speaker_try = 0.0
        self._last_turn_end = -1e9  # stream seconds
        # While our own ring plays nobody is expected to talk: the echo canceller trains on
        # the ring (it learns the room before the first word), and turn-taking waits.
        self._deaf_until = 0.0
        self._echo_judge = EchoJudge() if echo is not None else None
        # With a canceller, a second detector hears the raw microphone: AEC3 attenuates a
        # user who talks over the persona, the raw signal does not.
        self.raw_vad: SileroVAD | None = None  # loaded in start(): constructors stay cheap

    # -- lifecycle ----------------------------------------------------------------------
    def start(self, ring: bool = True, greet: bool = True) -> HandsFreeCall:
        """Pick up: ring briefly, greet, and listen. A microphone that cannot be opened is
        not fatal: the call runs in text and listening starts when one appears."""
        if self.echo is not None and self.raw_vad is None:
            self.raw_vad = SileroVAD.load(self.vad.path, self.vad.threads)
        try:
            self.microphone = self.open_microphone()
        except AudioUnavailable as error:
            self.listener(Notice("warning", f"{error} The call goes on in text."))
            self.listener(ListeningState("no-microphone"))
        output = self.conversation.output
        if output is not None:
            output.drain_played()
        if ring and output is not None and output.is_open and self.conversation.spoken:
            tone = ring_tone(output.rate)
            output.enqueue(tone, output.rate, 0)
            # Until the ring's sound (and its echo) is over.
            self._deaf_until = self.clock() + len(tone) / output.rate + output.latency + 0.3
        self._running = True
        self.conversation.hands_free = True
        workers = [("listen", self._listen_loop), ("asr", self._asr_loop)]
        if self.partial_recognizer is not None:
            workers.append(("partials", self._partial_loop))
        if self.read_devices is not None:
            workers.append(("devices", self._devices_loop))
        for name, target in workers:
            thread = threading.Thread(target=target, name=f"call-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        if greet:
            self.conversation.greet()
        self.conversation.prepare_backchannels()  # after the greeting: it must not wait
        if self.microphone is not None:
            self.listener(ListeningState("listening"))
        return self

    def hang_up(self) -> None:
        self._running = False
        self.conversation.hands_free = False
        self._jobs.put(Stop())
        self._post_partial(Stop())
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()
        if self.microphone is not None:
            self.microphone.close()
            self.microphone = None
        self.conversation.animator.set_listening(None)
        self.listener(ListeningState("off"))

    def mute(self, muted: bool) -> None:
        """Muted: nothing the microphone hears reaches the call (it is still read, and the
        audio dropped, so unmuting does not replay what was said meanwhile)."""
        self.muted = muted
        if muted:
            self.turns.reset()
            self.conversation.animator.set_listening(None)
        self.listener(ListeningState("muted" if muted else "listening"))

    def use_microphone(self, open_microphone: Callable[[], AudioInput]) -> None:
        """Switch microphones mid-call (the listen thread opens the new one)."""
        self.open_microphone = open_microphone
        microphone, self.microphone = self.microphone, None
        if microphone is not None:
            microphone.close()
        self._last_mic_try = 0.0

    # -- the listen thread ----------------------------------------------------------------
    def _listen_loop(self) -> None:
        while self._running:
            time.sleep(READ_EVERY_S)
            try:
                self._watch_devices()
                self._listen_once()
            except Exception:
                log.exception("Listening failed for one read; going on")

    def _listen_once(self) -> None:
        # Long: one 16 ms read, window by window in the order the decisions depend on
        # (echo, VAD, the segment cut, turn events, partials); split, the order is lost
        microphone = self.microphone
        if microphone is None:
            return
        near = microphone.read()
        output = self.conversation.output
        far = (output.read_played(RATE) if output is not None and output.is_open
               else np.zeros(0, np.float32))
        if self.muted:
            return
        read_at = self.clock()
        raw_probabilities: list[float] = []
        if self.echo is not None:
            near = self.echo.process(near, far)
            self._echo_judge.add(self.echo.last_input, far)
            raw_probabilities = self.raw_vad.push(self.echo.last_input)
        if not len(near):
            return
        self._append(near, read_at)
        replying, heard = self.conversation.replying()
        audible = replying and (heard or (output is not None and output.queued_frames() > 0))
        for index, probability in enumerate(self.vad.push(near)):
            self._windows += 1
            end_s = (self._vad_base + self._windows * WINDOW) / RATE
            if self._echo_judge is not None:
                # Whatever we played (reply or ring) while the user is quiet teaches the echo.
                verdict = self._echo_judge.next_window(self.turns.state == "silent")
                if verdict == "echo":
                    probability = 0.0  # explained by what we played (its tail too)
                elif verdict == "user" and index < len(raw_probabilities):
                    probability = max(probability, raw_probabilities[index])
            self._last_probability = probability
            if read_at < self._deaf_until:
                continue
            if self.turns.state in ("speaking", "paused") and not self.streaming:
                # Before the window's turn events: a pause it starts then decodes only what
                # follows the cut (the segment before it is decoded first, in order).
                config = self.turns.config
                floor = config.threshold - config.hysteresis
                pausing = self.turns.state == "speaking" and probability < floor
                segment = self._segmenter.close_at(probability, round(end_s * RATE),
                                                   config.threshold, floor, pausing)
                if segment is not None:
                    self._segments_posted += 1
                    self._jobs.put(AsrJob("segment", self._utterance, self._version,
                                          self._audio_between(*segment), 0.0, self.clock(),
                                          self._segments_posted, pausing))
            for event in self.turns.update(probability, end_s, audible):
                self._on_turn_event(event, replying, heard)
        if self.streaming:
            self._feed()  # the newest audio, heard as it comes: no partials to schedule
            return
        # Partials sharing the asr thread are spaced by their cost; on a recognizer and thread
        # of their own they never hold up a segment or the final, so the newest one follows
        # the last at once (a slow CPU otherwise had one partial in a short question).
        every = (PARTIAL_EVERY_S if self.partial_recognizer is not None
                 else max(PARTIAL_EVERY_S, PARTIAL_DUTY * self._partial_cost_s))
        # No partial while the user trails off or pauses: the recognizer has one thread, and
        # a partial begun just before the pause would hold up the final decode behind it.
        # Nor for a sliver after a cut: a syllable or two, not worth a decode's fixed cost.
        if (self.turns.state == "speaking" and self._last_probability >= self.turns.config.threshold
                and read_at - self._last_partial >= every
                and self._position - self._segmenter.cut >= MIN_PARTIAL_TAIL_S * RATE):
            self._last_partial = read_at
            self._post("partial")

    def _append(self, samples: np.ndarray, read_at: float) -> None:
        self._audio = np.concatenate([self._audio, samples])
        self._position += len(samples)
        self._read_at = read_at
        # Keep the utterance (from its pre-roll) or, between utterances, the pre-roll only.
        keep_from = self._position - int(KEEP_S * RATE)
        if self.turns.state == "silent":
            keep_from = self._position - int(PREROLL_S * RATE)
        cut = max(0, keep_from - self._audio_start)
        if cut:
            self._audio = self._audio[cut:]
            self._audio_start += cut

    def _monotonic(self, stream_s: float) -> float:
        return self._read_at - (self._position - stream_s * RATE) / RATE

    def _audio_between(self, start: int, end: int | None = None) -> np.ndarray:
        """Audio of the stream from sample ``start`` to ``end`` (default: the newest)."""
        begin = max(0, start - self._audio_start)
        piece = self._audio[begin:None if end is None else max(begin, end - self._audio_start)
                            ].copy()
        if self.on_cut is not None:
            self.on_cut(piece, (start - self._utterance_start) / RATE)
        return piece

    def _feed(self, pausing: bool = False) -> None:
        """A streaming recognizer's audio since the last feed, while the user speaks (and,
        ``pausing``, up to their pause). The silence of a pause is held back: the reply
        starts during it and needs the cores (the stream decoding it beside piper's first
        chunk put the first words ~35 ms later); it is fed when the user goes on."""
        state = self.turns.state
        if (state == "speaking" or (pausing and state == "paused")) and (
                self._position > self._fed):
            self._jobs.put(AsrJob("feed", self._utterance, self._version,
                                  self._audio_between(self._fed), 0.0, self.clock()))
            self._fed = self._position

    def _post(self, kind: str, speech_ended: float = 0.0) -> None:
        """A decode of the utterance's tail (since its last segment). A final whose tail has
        no speech in it carries no audio: the segments before it are the transcript. With
        a streaming recognizer a final carries none either: the stream has it all."""
        if self.streaming:
            if kind != "partial":
                self._feed(pausing=True)  # the audio up to this window first, in order
                self._jobs.put(AsrJob(kind, self._utterance, self._version,
                                      np.zeros(0, np.float32), speech_ended, self.clock()))
            return
        silent = kind in ("final", "end") and not self._segmenter.heard_since_cut
        # The cut starts at the utterance; a silent tail is not even copied.
        tail = (np.zeros(0, np.float32) if silent
                else self._audio_between(self._segmenter.cut))
        job = AsrJob(kind, self._utterance, self._version, tail, speech_ended, self.clock(),
                     self._segments_posted)
        if kind == "partial" and self.partial_recognizer is not None:
            self._post_partial(job)
        else:
            self._jobs.put(job)

    def _post_partial(self, job: AsrJob | Stop) -> None:
        """Into the partial thread's one-slot mailbox: a newer partial replaces one not yet
        begun."""
        while True:
            try:
                self._partials.put_nowait(job)
                return
            except queue.Full:
                with contextlib.suppress(queue.Empty):
                    self._partials.get_nowait()

    def _on_turn_event(self, event: object, replying: bool, heard: bool) -> None:
        if isinstance(event, BargeIn):
            onset = self._monotonic(event.at)
            if self.conversation.stop_speaking():
                self.stats.stop_ms.append((self.clock() - onset) * 1000.0)
                if heard and event.at - self._last_turn_end >= CONTINUATION_GAP_S:
                    self.stats.barge_ins += 1
                else:
                    self._continued()
        elif isinstance(event, SpeechStarted):
            if replying and self.conversation.stop_speaking():
                self._continued()
            self._utterance += 1
            self._version += 1
            self._utterance_start = max(self._audio_start,
                                        int((event.at - PREROLL_S) * RATE))
            self._segmenter.start(self._utterance_start)
            self._fed = self._utterance_start
            self._last_partial = self.clock()
            self.conversation.animator.set_listening(self.clock())
            self.listener(ListeningState("hearing"))
        elif isinstance(event, SpeechPaused):
            # Decode and start the reply now; heard only if the pause is the end of turn.
            self._post("final", self._monotonic(event.at))
        elif isinstance(event, SpeechResumed):
            self._version += 1
            self._drop_speculation()
        elif isinstance(event, TurnEnded):
            self._last_turn_end = event.ended_at
            self._post("end", self._monotonic(event.ended_at))
            self.conversation.animator.set_listening(None)
            self.listener(ListeningState("listening"))

    def _drop_speculation(self) -> None:
        with self._speculation_lock:
            speculative, self._speculative = self._speculative, None
        if speculative is not None:
            self.conversation.withdraw(speculative[1])

    def _continued(self) -> None:
        """The user went on talking before the reply to their last words was heard (or
        right as it began): they had not finished, so the reply goes and we wait longer."""
        self.stats.continuations += 1
        self.turns.turn_was_not_over()
