"""The composition root: builds engines, the pipeline and the store from the data folder.

No Qt here: the window (desktop.ui) and the command line both build on ``Hearth``. Every
engine that cannot be built becomes a ``Problem`` with words for the user, and whatever can
still work keeps working: no voice means text replies, no speaker means silent captions, no
language model means the app opens and says where to put one.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from desktop.brain.engine import prompt_cache
from desktop.brain.llm import LocalLLM, Sampling
from desktop.budget import CpuBudget
from desktop.call.events import Listener, Notice
from desktop.call.session import Conversation
from desktop.call.video import FaceLoop, FrameMailbox
from desktop.errors import HearthError
from desktop.face.animator import FaceAnimator
from desktop.face.loading import load_face_source
from desktop.machine import OtherLoad
from desktop.memory.forget import ForgetReport
from desktop.memory.store import Store
from desktop.models.inventory import Inventory, Missing
from desktop.paths import DataDirs, shipped
from desktop.personas.bundle import Imported, Inspection, import_bundle, inspect_bundle
from desktop.personas.library import Persona, PersonaLibrary
from desktop.personas.publishers import trusted_publishers
from desktop.personas.revocation import Revocations
from desktop.personas.signing import verify_rotation
from desktop.settings import Settings
from desktop.voice.audio_out import AudioOutput, AudioUnavailable
from desktop.voice.tts import PiperTTS

log = logging.getLogger(__name__)


@dataclass
class Problem:
    """Something missing or broken, said the way the screen says it."""

    part: str  # "llm" | "voice" | "speaker" | "face" | "store" | "notice" (kept until dismissed)
    text: str


@dataclass
class Engines:
    llm: LocalLLM | None = None
    tts: PiperTTS | None = None
    output: AudioOutput | None = None
    recognizer: object = None  # desktop.voice.asr.SpeechRecognizer, loaded on the first call
    partial_recognizer: object = None  # a second one, for partial transcripts
    problems: list[Problem] = field(default_factory=list)


class Hearth:
    def __init__(self, dirs: DataDirs, budget: CpuBudget | None = None,
                 output_device: int | str | None = None,
                 input_device: int | str | None = None) -> None:
        self.dirs = dirs
        self.budget = budget or CpuBudget.for_machine()
        self.library = PersonaLibrary(dirs)
        self.inventory = Inventory(dirs)
        self.output_device = output_device
        self.input_device = input_device
        self.store: Store | None = None
        # Called (from the store's writer thread) when saving is stuck or works again.
        self.store_listeners: list[Callable[[str | None], None]] = []
        self.engines = Engines()
        # The window loads a persona's engines on a worker thread; a second click on another
        # persona starts a second loader before the first is done. Two loaders at once would
        # each open a speaker and drop one still running: PortAudio then calls into a freed
        # callback and the process dies (seen as SIGILL/SIGSEGV). One loader at a time.
        self._engines_lock = threading.RLock()
        self._llm_path: Path | None = None
        self._voice_path: Path | None = None
        self._refused_recognizers: set[Path] = set()  # streaming ones that failed to load

    def open(self) -> Hearth:
        """Open the data folder. Raises HearthError when it cannot be used at all (another
        Hearth has it open, it is read-only); a damaged database is recovered instead, and
        ``store_problems()`` says so."""
        self.dirs.ensure()
        self.store = Store(self.dirs.database, on_problem=self._store_problem).open()
        return self

    def _store_problem(self, text: str | None) -> None:
        for listener in list(self.store_listeners):
            listener(text)

    def store_problems(self) -> list[Problem]:
        """What the user must know about the conversation file right now."""
        problems = []
        if self.store is None:
            return problems
        # Notices stay until dismissed: a recovery found by a command-line command, or by an
        # earlier start, is still shown (and the window offers to dismiss them).
        problems += [Problem("notice", text) for text in self.store.notices()]
        if self.store.read_only_reason:
            problems.append(Problem("store", self.store.read_only_reason))
        if self.store.problem:
            problems.append(Problem("store", self.store.problem))
        return problems

    def dismiss_store_notices(self) -> None:
        if self.store is not None:
            self.store.dismiss_notices()

    # -- memory ------------------------------------------------------------------------
    def export_memory(self, persona_id: str) -> dict:
        return self.store.export_persona(persona_id)

    def forget(self, persona_id: str) -> ForgetReport:
        """Forget everything about conversations with this persona: the database rows, their
        search index, WAL and backups (Store.forget_persona), the model's KV cache, and the
        persona's LLM state cache files, which are rebuilt on the next call."""
        report = self.store.forget_persona(persona_id).result(timeout=300)
        cache = prompt_cache(self.engines.llm)
        if cache is not None:
            cache.clear_context()
        LocalLLM.drop_saved_states(self.dirs.cache, persona_id)
        return report

    def close(self) -> None:
        if self.engines.output is not None:
            self.engines.output.close()
        if self.store is not None:
            self.store.close()

    # -- what is missing -------------------------------------------------------------
    def missing_models(self, persona: Persona) -> list[Missing]:
        return self.inventory.missing(persona.languages, persona.voices)

    # -- engines -------------------------------------------------------------------------
    def load_engines(self, persona: Persona, want_voice: bool = True) -> Engines:
        """Load (or reuse) what this persona needs; never raises for a missing part."""
        with self._engines_lock:
            return self._load_engines(persona, want_voice)

    def _load_engines(self, persona: Persona, want_voice: bool) -> Engines:
        engines = self.engines
        engines.problems = [Problem(m.kind, m.message()) for m in self.missing_models(persona)]
        settings = Settings.load(self.dirs.root)
        if settings.remote_url:
            from desktop.brain.remote import RemoteLLM

            if not isinstance(engines.llm, RemoteLLM) or engines.llm.base_url != (
                    settings.remote_url.rstrip("/")):
                engines.llm = RemoteLLM(settings.remote_url, settings.remote_model)
                self._llm_path = None
            # Not a fault, but the user must always know where their words go.
            engines.problems = [p for p in engines.problems if p.part != "llm"]
            engines.problems.append(Problem("remote", engines.llm.disclosure()))
        llm_path = None if settings.remote_url else self.inventory.choose_llm(settings.llm_file)
        if llm_path is not None and (engines.llm is None or llm_path != self._llm_path):
            try:
                engines.llm = LocalLLM.load(llm_path, self.budget.llm)
                self._llm_path = llm_path
            except HearthError as error:
                engines.problems.append(Problem("llm", str(error)))
        chosen = settings.voices.get(persona.id)
        chosen_path = self.inventory.voice_dir / f"{chosen}.onnx" if chosen else None
        voice_path = (chosen_path if chosen_path is not None and chosen_path.is_file() else
                      persona.bundled_voice() or self.inventory.choose_voice(
                          persona.voices, persona.languages))
        if voice_path is None:  # never speak with another persona's voice
            engines.tts, self._voice_path = None, None
        if want_voice and voice_path is not None and (
            engines.tts is None or voice_path != self._voice_path
        ):
            try:
                engines.tts = PiperTTS.load(voice_path, threads=self.budget.tts_threads)
                self._voice_path = voice_path
            except HearthError as error:
                engines.problems.append(Problem("voice", str(error)))
        if engines.tts is not None:
            engines.tts.speaking_rate = settings.speaking_rate(persona.id)
        if want_voice and engines.output is None:
            try:
                engines.output = AudioOutput(self.output_device).open()
            except AudioUnavailable as error:
                engines.problems.append(Problem("speaker", str(error)))
        return engines

    def import_revocations(self, path: Path) -> int:
        settings = Settings.load(self.dirs.root)
        return Revocations(self.dirs.root).import_list(
            path, trusted_publishers(settings.trusted_publishers))

    def remove_persona(self, persona_id: str) -> None:
        """Remove an installed persona from the library. Its memories stay (export or forget
        them separately); a bundled persona cannot be removed."""
        import shutil

        folder = self.dirs.personas / persona_id
        if not (folder / "persona.json").is_file():
            raise HearthError(f"{persona_id} is not an installed persona.",
                              "Only personas you imported can be removed.")
        trash = self.dirs.personas / f".removed-{persona_id}"
        shutil.rmtree(trash, ignore_errors=True)
        os.replace(folder, trash)  # out of the library in one step, then deleted
        shutil.rmtree(trash, ignore_errors=True)
        LocalLLM.drop_saved_states(self.dirs.cache, persona_id)

    def place_face(self, persona_id: str, left_eye: tuple[float, float],
                   right_eye: tuple[float, float], mouth: tuple[float, float] | None) -> None:
        """Where the face is in an installed persona's portrait, placed by the user (grid
        coordinates); ``mouth`` None: there is no face, show the portrait still. Written to
        the persona's own persona.json (the signed manifest is not touched)."""
        from desktop.face.contract import rig_from_points

        persona = self.library.get(persona_id)
        if persona.folder is None:
            raise HearthError(f"{persona.name()} comes with Hearth; its face cannot be moved.",
                              "Create a persona of your own to place a face.")
        self._edit_persona(persona, lambda data: data.update(
            face_rig=rig_from_points(left_eye, right_eye, mouth) if mouth else None))

    def rename_persona(self, persona_id: str, name: str) -> None:
        """Give a persona of the user's own or from a character card another name. A verified
        persona keeps the name its licensor signed."""
        persona = self.library.get(persona_id)
        name = " ".join(name.split())[:80]
        if not name:
            raise HearthError("A persona needs a name.", "Type one.")
        if persona.folder is None or persona.verified:
            raise HearthError(f"{persona.name()} is named by its licensor; the name stays.",
                              "Only your own personas and character cards can be renamed.")
        self._edit_persona(persona, lambda data: data.update(
            names={language: name for language in data.get("names") or {"en": name}}))

    def _edit_persona(self, persona: Persona, change: Callable[[dict], None]) -> None:
        """Change an installed persona's own persona.json, atomically (the signed manifest,
        if any, is not touched)."""
        path = persona.folder / "persona.json"
        data = json.loads(path.read_text(encoding="utf-8"))
        change(data)
        partial = path.with_name("persona.json.part")
        partial.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(partial, path)

    def import_file(self, path: Path, on_conflict: str | None = None) -> str:
        """Import whatever the user dropped or named: a .persona bundle, a character card
        (PNG, JSON, CHARX) or a revocation list. Returns the persona id (or
        "revocations:VERSION"). ``on_conflict``: for a card already installed, "replace" or
        "keep-both" (else CardAlreadyInstalled)."""
        if path.suffix == ".persona":
            done = self.import_bundle(path)
            return done.persona_id
        if path.suffix == ".json" and b"hearth-revocations-1" in path.read_bytes()[:4096]:
            version = self.import_revocations(path)
            return f"revocations:{version}"
        from desktop.personas.cards import import_card

        wren = json.loads(shipped("personas", "wren", "persona.json").read_text(encoding="utf-8"))
        placeholder = (shipped("personas", "wren", "portrait.png").read_bytes(), wren["face_rig"])
        finder = self.find_face if self.inventory.face_detector_file() is not None else None
        return import_card(path, self.dirs.personas, placeholder, finder, on_conflict)

    def trust_publisher(self, name: str, key_b64: str) -> None:
        """Add a publisher key the user chose to trust (the window warns before calling)."""
        import base64
        import binascii

        try:
            raw = base64.b64decode(key_b64.strip(), validate=True)
        except (binascii.Error, ValueError) as error:
            raise HearthError("That publisher key is not valid base64.",
                              "Paste the key exactly as the publisher gave it.") from error
        if len(raw) != 32 or not name.strip():
            raise HearthError("That is not an Ed25519 publisher key (32 bytes) with a name.",
                              "Paste the key exactly as the publisher gave it.")
        settings = Settings.load(self.dirs.root)
        settings.trusted_publishers[name.strip()] = key_b64.strip()
        settings.save(self.dirs.root)

    def rotate_publisher_key(self, path: Path) -> str:
        """Accept a publisher's new key, signed by the key Hearth trusts for it now."""
        settings = Settings.load(self.dirs.root)
        name, new_key = verify_rotation(path.read_bytes(),
                                        trusted_publishers(settings.trusted_publishers))
        settings.trusted_publishers[name] = new_key
        settings.save(self.dirs.root)
        return name

    def inspect_bundle(self, path: Path) -> Inspection:
        """Check a .persona without installing it (for the confirmation screen)."""
        settings = Settings.load(self.dirs.root)
        return inspect_bundle(path, self.dirs.personas, self.trusted_for_import(settings),
                              region=settings.effective_region(), revoked=self._revoked())

    def import_bundle(self, path: Path, allow_downgrade: bool = False) -> Imported:
        """Check and install a .persona bundle (desktop.personas.bundle)."""
        settings = Settings.load(self.dirs.root)
        return import_bundle(path, self.dirs.personas, self.trusted_for_import(settings),
                             allow_downgrade=allow_downgrade,
                             region=settings.effective_region(), revoked=self._revoked())

    def _revoked(self):
        """What the installed revocation list switches off, checked at import too (a revoked
        bundle never installs as "verified")."""
        from desktop.personas.bundle import Revoked

        listing = Revocations(self.dirs.root)
        return Revoked({k: v.since for k, v in listing.revoked().items()},
                       frozenset(listing.revoked_keys()))

    def trusted_for_import(self, settings: Settings):
        """The publishers Hearth trusts, plus the user's own key for the personas they made
        themselves (ids under ``user.``; desktop.personas.creator)."""
        from desktop.personas.creator import OWN_PREFIX, OWN_PUBLISHER, own_public_key

        trusted = trusted_publishers(settings.trusted_publishers)
        own = own_public_key(self.dirs.root / "keys")
        if own is not None and OWN_PUBLISHER not in trusted:
            trusted[OWN_PUBLISHER] = own
            trusted.prefixes[OWN_PUBLISHER] = (OWN_PREFIX,)
        return trusted

    def region(self) -> str | None:
        """The user's country or region, for licenses limited to some territories."""
        return Settings.load(self.dirs.root).effective_region()

    def set_region(self, code: str) -> str:
        code = code.strip().upper()
        if len(code) != 2 or not code.isalpha() or not code.isascii():
            raise HearthError(f"{code!r} is not a country or region code.",
                              "Use the two-letter ISO code, for example US, GB, DE or CN.")
        settings = Settings.load(self.dirs.root)
        settings.region = code
        settings.save(self.dirs.root)
        return code

    def conversation(self, persona: Persona, listener: Listener,
                     animator: FaceAnimator | None = None,
                     language: str | None = None) -> Conversation:
        """The conversation with ``persona``; ``language``: the user's (the window's), used
        when the persona speaks it (the greeting, the AI notice, the apologies)."""
        settings = Settings.load(self.dirs.root)
        persona.user_name = settings.user_name  # in the prompt: how to address the user
        engines = self.load_engines(persona)
        revocations = Revocations(self.dirs.root)
        revoked = revocations.revoked().get(str(persona.license.get("revocation_id", "")))
        key_revoked = persona.publisher_key_id in revocations.revoked_keys()
        blocked = persona.license_problem(self.region()) or (
            f"its license was revoked on {revoked.since[:10]} ({revoked.reason})"
            if revoked else None) or (
            "the publisher key that vouched for it was revoked" if key_revoked else None)
        stale = revocations.staleness_warning()
        if stale:
            engines.problems.append(Problem("revocations", stale))
        if blocked:
            # Enforced here, outside the prompt: no engine is given to a persona whose
            # license does not allow use now.
            engines.problems.append(Problem(
                "license", f"{persona.name()} cannot be used: {blocked}. Your conversations "
                           "with it are kept; you can export or delete them."))
        return Conversation(
            persona, self.store, None if blocked else engines.llm, listener, tts=engines.tts,
            output=engines.output, animator=animator, cache_dir=self.dirs.cache,
            budget=self.budget, sampling=Sampling(max_tokens=settings.max_tokens()),
            language=language if language in persona.languages else None, load=OtherLoad(),
        )

    def find_face(self, bgr_square: np.ndarray) -> dict[str, tuple[float, float]] | None:
        """The eyes and mouth in a square photo (desktop.face.detector), or None when no face
        detector is installed or none was found: then the user places the points."""
        path = self.inventory.face_detector_file()
        if path is None:
            return None
        from desktop.face.detector import FaceDetector
        from desktop.trial import trial_load_once

        trial_load_once("face", path)  # a broken file fails in a child, never here
        return FaceDetector.load(path).find(bgr_square)

    def listen(self, conversation: Conversation, listener: Listener, *,
               echo_cancel: bool = True, greet: bool = True, ring: bool = True):
        """Make ``conversation`` a hands-free call (desktop.call.listening): load the
        recognizer and the VAD, open the microphone, ring, greet, listen. Raises HearthError
        with what to install when listening cannot work; typing still does."""
        from desktop.call.listening import HandsFreeCall
        from desktop.voice.audio_in import AudioInput
        from desktop.voice.devices import read_sound_server
        from desktop.voice.vad import SileroVAD

        missing = self.inventory.missing_listening()
        if missing:
            raise HearthError("Hands-free calls need: " + " ".join(
                m.message() for m in missing), "Or type your messages in the call.")
        if conversation.llm is None:
            raise HearthError("This persona cannot answer: no language model is available.",
                              "Install one in Setup.")
        recognizer, partial_recognizer = self._recognizers(conversation.persona.languages)
        vad = SileroVAD.load(self.inventory.vad_file(), threads=1)
        echo = None
        if echo_cancel:
            try:
                from desktop.voice.echo import EchoCanceller

                echo = EchoCanceller.load()
            except HearthError as error:
                listener(Notice("warning", f"{error} Use a headset, or the persona may hear "
                                           "itself."))
        conversation.set_spoken(True)
        return HandsFreeCall(
            conversation, vad, recognizer, listener,
            open_microphone=lambda: AudioInput(self.input_device).open(),
            open_speaker=self._reopen_speaker,
            echo=echo, read_devices=read_sound_server, partial_recognizer=partial_recognizer,
        ).start(ring=ring, greet=greet)

    def _reopen_speaker(self) -> AudioOutput:
        with self._engines_lock:
            old = self.engines.output
            self.engines.output = AudioOutput(self.output_device).open()
            if old is not None:
                old.close()  # a stream is always closed, never just dropped
            return self.engines.output

    def _recognizers(self, languages: Iterable[str] = ()) -> tuple[object, object]:
        """The speech recognizer for a call in ``languages`` (desktop.voice.recognizers),
        and for SenseVoice a second instance for partial transcripts on a machine with a
        core for each (desktop.call.listening: a partial then never delays the final
        transcript; it costs the model's memory once more, ~0.3 GB for SenseVoice-Small).
        A streaming recognizer needs none: its partials are what it has decoded so far.
        Loaded once (a real one takes a second or two)."""
        from desktop.voice.recognizers import load_for_call, load_recognizer
        from desktop.voice.streaming_asr import is_streaming_folder

        loaded = self.engines.recognizer
        recognizer, problem = load_for_call(self.inventory, languages, self.budget.tts_threads,
                                            loaded, self._refused_recognizers)
        if problem is not None:
            self.engines.problems.append(Problem("asr", problem))
        if recognizer is not loaded:
            self.engines.recognizer = recognizer
            self.engines.partial_recognizer = None
            if self.budget.cores >= 2 and not is_streaming_folder(recognizer.folder):
                try:
                    self.engines.partial_recognizer = load_recognizer(
                        recognizer.folder, threads=self.budget.tts_threads)
                except Exception:  # out of memory, say: partials then queue with the rest
                    log.exception("A second recognizer for partials could not be loaded")
        return recognizer, self.engines.partial_recognizer

    def use_speaker(self, conversation: Conversation, device: int | str | None) -> None:
        """Switch speakers mid-call (the face and the listening follow the conversation's)."""
        speaker = AudioOutput(device).open()  # raises AudioUnavailable: the old one stays
        old = conversation.output
        conversation.replace_output(speaker)
        self.engines.output, self.output_device = speaker, device
        if old is not None:
            old.close()

    def face_loop(self, persona: Persona, animator: FaceAnimator, mailbox: FrameMailbox,
                  size: int = 512, conversation: Conversation | None = None
                  ) -> FaceLoop | None:
        """The face, kept in time with the speaker of ``conversation`` (whichever it is at
        the moment), or with the app's speaker."""
        try:
            source = load_face_source(persona, animator, size, self.budget.render_threads)
        except HearthError as error:
            self.engines.problems.append(Problem("face", str(error)))
            animator.attach_drive(None)
            return None
        return FaceLoop(source, animator, lambda: self._speaker_of(conversation), mailbox)

    def _speaker_of(self, conversation: Conversation | None) -> AudioOutput | None:
        return conversation.output if conversation is not None else self.engines.output








