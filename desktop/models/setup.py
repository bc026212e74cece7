"""First run: which models fit this machine, getting them, and whether calls will feel fast.

No Qt here: the setup screen (desktop.ui.setup_view) drives these, and tests drive them
directly. The self-test measures the real pipeline on the chosen models, for the truth about
this machine rather than a hardware label.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from desktop.errors import HearthError
from desktop.machine import Machine
from desktop.models.download import DownloadCancelled, Downloader, Progress
from desktop.models.install import install, source_of
from desktop.models.inventory import CatalogEntry, Inventory


@dataclass(frozen=True)
class Tier:
    name: str
    llm_id: str
    feel: str
    min_ram_mb: int
    min_cores: int
    entries: tuple[CatalogEntry, ...] = ()

    def download_mb(self) -> int:
        return sum(_approx_mb(entry) for entry in self.entries)


TIERS = (
    ("Light", "qwen2.5-0.5b-instruct-q4_k_m", 3_000, 1,
     "Quick, short and simple replies; runs on almost any laptop."),
    ("Standard", "qwen2.5-1.5b-instruct-q4_k_m", 6_000, 4,
     "Natural conversation with good memory; needs a recent laptop."),
    ("Rich", "qwen2.5-3b-instruct-q4_k_m", 12_000, 8,
     "The most thoughtful replies; needs a strong computer."),
)


def _approx_mb(entry: CatalogEntry) -> int:
    if entry.size:
        return round(entry.size / 1e6)
    return entry.approx_mb or 0


def tiers_for(catalog: list[CatalogEntry], languages: list[str]) -> list[Tier]:
    """Each tier: its language model, one voice per persona language, and the listening
    models (a recognizer for the persona's languages and the voice activity detector)."""
    voices = tuple(next((e for e in catalog if e.kind == "voice" and language in e.languages),
                        None) for language in languages)
    listening = tuple(e for e in catalog if e.kind in ("asr", "vad")
                      and set(languages) <= set(e.languages))
    helpers = tuple(e for e in catalog if e.kind == "face")  # any language
    tiers = []
    for name, llm_id, ram, cores, feel in TIERS:
        llm = next((e for e in catalog if e.id == llm_id), None)
        if llm is None:
            continue
        entries = (llm, *(v for v in voices if v is not None), *listening, *helpers)
        tiers.append(Tier(name, llm_id, feel, ram, cores, entries))
    return tiers


def recommend(tiers: list[Tier], machine: Machine, measured: SelfTest | None = None) -> Tier:
    """The richest tier this machine has the memory and cores for (else the lightest). An x86
    CPU without AVX2 runs llama.cpp several times slower: the lightest. A label is not a
    measurement: when the last self-test (``measured``) found the chosen tier's model slow on
    this machine, the tier below it. The one tier decision: Setup, the self-test and
    ``hearth doctor`` all ask this, with the same saved self-test."""
    ram_mb = (machine.ram_bytes or 0) / 1e6
    x86 = not machine.features & {"neon", "asimd"}
    if x86 and machine.features and "avx2" not in machine.features:
        return tiers[0]
    fitting = [t for t in tiers if ram_mb >= t.min_ram_mb and machine.cores >= t.min_cores]
    best = fitting[-1] if fitting else tiers[0]
    index = tiers.index(best)
    model_file = best.entries[0].file if best.entries else None
    if (measured is not None and not measured.fast_enough and index > 0
            and measured.model_file == model_file):
        return tiers[index - 1]
    return best


@dataclass
class QueueState:
    file: str = ""
    file_done: int = 0
    file_total: int | None = None
    overall_done: int = 0
    overall_total: int = 0
    bytes_per_s: float = 0.0
    finished: list[str] = field(default_factory=list)
    error: str | None = None
    state: str = "idle"  # idle | running | paused | cancelled | done | failed


class DownloadQueue:
    """Installs a list of catalog entries one after the other on a worker thread. Pause keeps
    the partial file (resume continues it, also after a restart); cancel deletes it."""

    def __init__(self, entries: list[CatalogEntry], inventory: Inventory,
                 on_change: Callable[[QueueState], None] = lambda _s: None,
                 client=None) -> None:
        self.entries = entries
        self.inventory = inventory
        self.on_change = on_change
        self.client = client
        self.status = QueueState(overall_total=sum(_approx_mb(e) for e in entries) * 1_000_000)
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None
        self._discard = False

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._cancel = threading.Event()
        self._discard = False
        self.status.state, self.status.error = "running", None
        self._thread = threading.Thread(target=self._run, name="downloads", daemon=True)
        self._thread.start()

    def pause(self) -> None:
        self._cancel.set()

    def cancel(self) -> None:
        self._discard = True
        self._cancel.set()
        if self._thread is None or not self._thread.is_alive():
            self._discard_parts()
            self.status.state = "cancelled"
            self.on_change(self.status)

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        done_before = 0
        for entry in self.entries:
            target = entry.destination(self.inventory)
            if target.is_file() and entry.id not in self.status.finished:
                self.status.finished.append(entry.id)
            if entry.id in self.status.finished:
                done_before += _approx_mb(entry) * 1_000_000
                continue
            self.status.file = entry.file

            def progress(p: Progress, base: int = done_before) -> None:
                self.status.state = "connecting" if p.connecting else "running"
                self.status.file_done, self.status.file_total = p.done, p.total
                self.status.overall_done = base + p.done
                self.status.bytes_per_s = p.bytes_per_s
                self.on_change(self.status)

            downloader = Downloader(self.client, progress=progress, cancel=self._cancel)
            try:
                install(entry, self.inventory, downloader)
            except DownloadCancelled:
                if self._discard:
                    self._discard_parts()
                self.status.state = "cancelled" if self._discard else "paused"
                self.on_change(self.status)
                return
            except HearthError as error:
                self.status.state, self.status.error = "failed", str(error)
                self.on_change(self.status)
                return
            self.status.finished.append(entry.id)
            done_before += _approx_mb(entry) * 1_000_000
        self.status.state = "done"
        self.on_change(self.status)

    def _discard_parts(self) -> None:
        for entry in self.entries:
            target = entry.destination(self.inventory)
            for path in (target, Path(f"{target}.json")):
                path.with_name(path.name + ".part").unlink(missing_ok=True)


@dataclass(frozen=True)
class SelfTest:
    first_token_ms: float
    tokens_per_s: float
    tts_first_chunk_ms: float | None
    tts_real_time_factor: float | None
    face_fps: float | None
    estimated_first_audio_ms: float
    verdict: str
    fast_enough: bool
    # llama.cpp's own rates, measured as the bench measures them (desktop.brain.speed)
    llama_pp128_tok_s: float | None = None
    llama_tg32_tok_s: float | None = None
    model_file: str = ""  # the language model measured
    measured_at: str = ""  # ISO date and time


SELF_TEST_FILE = "selftest.json"


def save_self_test(root: Path, result: SelfTest) -> bool:
    """Keep the last self-test, for ``hearth doctor`` and the tier Setup recommends. A disk
    that refuses it (full, read-only) costs only the record: the verdict is still shown, and
    doctor goes on showing the record before it (or "not measured yet"); returns whether it
    was kept."""
    import contextlib
    import json
    import logging
    import os
    from dataclasses import asdict

    path = root / SELF_TEST_FILE
    partial = path.with_name(path.name + ".part")
    try:
        partial.write_text(json.dumps(asdict(result), indent=2), encoding="utf-8")
        os.replace(partial, path)
    except OSError as error:
        logging.getLogger(__name__).warning("The self-test could not be kept (%s)", error)
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        return False
    return True


def last_self_test(root: Path) -> SelfTest | None:
    """The saved self-test, or None when there is none or the file is not one (a file says
    what it holds; its fields are checked, not trusted)."""
    import json
    from dataclasses import fields

    try:
        data = json.loads((root / SELF_TEST_FILE).read_text(encoding="utf-8"))
        known = {f.name: f for f in fields(SelfTest)}
        if not isinstance(data, dict) or not set(data) <= set(known):
            return None
        result = SelfTest(**data)
    except (OSError, ValueError, TypeError):
        return None
    numbers = (result.first_token_ms, result.tokens_per_s, result.estimated_first_audio_ms)
    if not all(isinstance(n, int | float) and not isinstance(n, bool) for n in numbers) or (
            not isinstance(result.fast_enough, bool) or not isinstance(result.model_file, str)):
        return None
    return result


def self_test(llm_path: Path, voice_path: Path | None, budget=None,
              seconds: float = 20.0, face_persona=None) -> SelfTest:
    """About ``seconds`` of measuring the chosen models the way a call uses them: the warm
    first token and decode speed of the LLM, piper's first chunk and speed, and (given a
    ``face_persona``) how many face frames per second the built-in renderer draws at 256 px. First
    audio is then first token + the first spoken piece (at most 20 characters, about 4 tokens:
    desktop.call.sentences) + the voice's first chunk of such a piece. The first token here
    includes reading the user's message, which a call mostly does while they are still talking,
    so the estimate errs on the slow side."""
    # Long: the self-test is one scripted turn (load, speak, reply, render) measured step by step
    from desktop.brain.llm import LocalLLM
    from desktop.brain.prompt import Message, PersonaPrompt
    from desktop.budget import CpuBudget

    budget = budget or CpuBudget.for_machine()
    persona = PersonaPrompt("org.hearth.selftest", "Sam", "A friendly test persona.", "Warm.",
                            ("Hello there!",))
    from desktop.brain.speed import measure_rates

    llm = LocalLLM.load(llm_path, budget.llm, n_ctx=1024)
    llama = measure_rates(llm, budget.llm, repeats=2)
    llm.warm(persona, None)
    deadline = time.monotonic() + seconds * 0.7
    firsts, rates = [], []
    # Count tokens, not text pieces: a piece can hold several tokens (or wait for the rest of
    # a character), which would make the decode rate meaningless.
    while time.monotonic() < deadline or not firsts:
        history = [Message("user", f"Tell me about day {len(firsts)}")]
        prompt = llm.format.persona_prefix(persona) + llm.format.conversation(history)
        started = time.monotonic()
        first = None
        count = 0
        for _token in llm.model.generate(prompt, temp=0.7, top_k=40, top_p=0.9):
            first = first or time.monotonic()
            count += 1
            if count == 24:
                break
        firsts.append((first - started) * 1000)
        if count > 1:
            rates.append((count - 1) / max(time.monotonic() - first, 1e-6))
    first_token = sorted(firsts)[len(firsts) // 2]
    rate = sorted(rates)[len(rates) // 2] if rates else 0.0
    tts_first = rtf = None
    if voice_path is not None:
        from desktop.voice.tts import PiperTTS

        tts = PiperTTS.load(voice_path, threads=budget.tts_threads)
        started = time.monotonic()
        chunks = tts.synthesize("Oh, it is so good")  # a first piece's length
        chunk = next(iter(chunks))
        tts_first = (time.monotonic() - started) * 1000
        rtf = (tts_first / 1000) / max(len(chunk.audio) / chunk.sample_rate, 1e-6)
    face_fps = None
    if face_persona is not None:
        from desktop.face.contract import FaceParams
        from desktop.face.loading import load_builtin_renderer

        renderer = load_builtin_renderer(face_persona, 256, budget.render_threads)
        frames, started = 0, time.monotonic()
        while time.monotonic() - started < max(1.0, seconds * 0.1):
            params = FaceParams()
            params["jaw_open"] = (frames % 10) / 10
            renderer.render(params)
            frames += 1
        face_fps = round(frames / (time.monotonic() - started), 1)
    clause_ms = 4 / rate * 1000 if rate > 0 else 10_000
    estimate = first_token + clause_ms + (tts_first or 0)
    fast = estimate <= 1500
    if face_fps is not None and face_fps < 25:
        fast = False
    if fast:
        verdict = (f"Calls will feel natural here: the persona starts speaking about "
                   f"{estimate / 1000:.1f} s after you finish.")
    else:
        verdict = (f"Calls will feel slow here: about {estimate / 1000:.1f} s before the "
                   "persona starts speaking. Choose the lighter tier, or use a stronger "
                   "computer on your network as a remote engine.")
    return SelfTest(round(first_token, 1), round(rate, 1),
                    None if tts_first is None else round(tts_first, 1),
                    rtf, face_fps, round(estimate, 1), verdict, fast,
                    llama.prefill_tok_s, llama.decode_tok_s, llm_path.name,
                    datetime.now().isoformat(timespec="seconds"))


@dataclass(frozen=True)
class Installed:
    path: Path
    kind: str
    size_bytes: int


def installed_models(inventory: Inventory) -> list[Installed]:
    found = [Installed(p, "llm", p.stat().st_size) for p in inventory.llm_files()]
    for name in inventory.voices():
        path = inventory.voice_dir / f"{name}.onnx"
        found.append(Installed(path, "voice", path.stat().st_size))
    for folder in inventory.recognizers():
        found.append(Installed(folder, "asr", sum(p.stat().st_size for p in folder.iterdir()
                                                  if p.is_file())))
    vad = inventory.vad_file()
    if vad is not None:
        found.append(Installed(vad, "vad", vad.stat().st_size))
    face = inventory.face_detector_file()
    if face is not None:
        found.append(Installed(face, "face", face.stat().st_size))
    return found


def remove_model(item: Installed) -> None:
    """Delete an installed model (a voice with its settings file, a recognizer's folder, and
    any partial download)."""
    if item.path.is_dir():
        shutil.rmtree(item.path, ignore_errors=True)
        return
    for path in (item.path, Path(f"{item.path}.json"),
                 item.path.with_name(item.path.name + ".part")):
        path.unlink(missing_ok=True)


@dataclass(frozen=True)
class ModelRow:
    """One line of ``hearth models list``: a catalog entry, or a model added from disk."""

    id: str
    kind: str
    languages: str
    size: str
    state: str


def model_rows(catalog: list[CatalogEntry], inventory: Inventory) -> list[ModelRow]:
    """The catalog with what is installed, then what was added from disk. A file where a
    catalog model belongs but of another size is not that model."""
    rows, claimed = [], set()
    for entry in catalog:
        target = entry.destination(inventory)
        approx = entry.size or (entry.approx_mb or 0) * 1_000_000
        size = _size(approx, exact=bool(entry.size)) if approx else "size unknown"
        source = source_of(inventory, target) if target.is_file() else None
        if not target.is_file():
            state = "not installed"
        elif source == entry.id or (source is None and (
                not entry.size or target.stat().st_size == entry.size)):
            # No record: installed before Hearth kept them; the benefit of the doubt.
            state, _ = "installed", claimed.add(target)
        else:
            state = "a different file is in its place"
        rows.append(ModelRow(entry.id, entry.kind, ",".join(entry.languages), size, state))
    for item in installed_models(inventory):
        inside = {item.path, *(item.path.iterdir() if item.path.is_dir() else ())}
        if not inside & claimed:
            rows.append(ModelRow(item.path.name, item.kind, "", _size(item.size_bytes),
                                 "added from disk"))
    return rows


def _size(size: float, exact: bool = True) -> str:
    text = f"{size / 1e9:.2f} GB" if size >= 1e9 else f"{size / 1e6:.0f} MB" if size >= 1e6 \
        else f"{size / 1e3:.0f} kB"
    return text if exact else f"about {text}"
