"""``hearth doctor``: what this machine and this data folder can do, and what to fix.

Each check says what it found and, when something is wrong, what to do. The same checks serve
the first-run screen later; nothing here imports Qt or touches the network.
"""

from __future__ import annotations

import hashlib
import platform
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from desktop.errors import HearthError
from desktop.machine import cpu_flags, ram_bytes, usable_cores
from desktop.models.inventory import Inventory, load_catalog
from desktop.paths import DataDirs

OK, WARN, FAIL = "ok", "warning", "problem"
MIN_FREE_BYTES = 2_000_000_000


@dataclass(frozen=True)
class Check:
    area: str
    status: str  # OK | WARN | FAIL
    found: str
    fix: str = ""


def _gb(size: float) -> str:
    return f"{size / 1e9:.1f} GB"


def check_folder(dirs: DataDirs) -> list[Check]:
    checks = []
    try:
        dirs.ensure()
        probe = dirs.root / ".hearth-write-test"
        probe.write_bytes(b"ok")
        probe.unlink()
        checks.append(Check("data folder", OK, f"{dirs.root} (writable)"))
    except OSError as error:
        return [Check("data folder", FAIL, f"{dirs.root} cannot be written ({error.strerror})",
                      "Fix its permissions, or set HEARTH_HOME to a writable folder.")]
    free = shutil.disk_usage(dirs.root).free
    if free < MIN_FREE_BYTES:
        checks.append(Check("free disk", WARN, f"{_gb(free)} free on the data folder's disk",
                            "Models need 1-3 GB; free some space before downloading."))
    else:
        checks.append(Check("free disk", OK, f"{_gb(free)} free"))
    return checks


def check_machine(root: Path | None = None) -> list[Check]:
    """The machine, the tier Setup recommends for it and, from the data folder at ``root``,
    the last self-test's measurement (the one Setup's recommendation also reads)."""
    from desktop.models.setup import last_self_test

    cores = usable_cores()
    ram = ram_bytes()
    flags = cpu_flags()
    wanted = [f for f in ("avx2", "fma", "avx512f", "neon", "asimd") if f in flags]
    found = (f"{cores} cores, {_gb(ram) if ram else 'unknown'} RAM, "
             f"{platform.machine()}, CPU features: {', '.join(wanted) or 'none of AVX2/NEON'}")
    measured = last_self_test(root) if root is not None else None
    checks = [Check("machine", OK, found), _tier_check(cores, ram, flags, measured),
              _speed_check(measured)]
    if ram and ram < 4e9:
        checks.append(Check("memory", WARN, f"only {_gb(ram)} of RAM",
                            "Use the 0.5B model; close other programs during calls."))
    missing = _missing_for_llama(flags)
    if missing:
        checks.append(Check("cpu", FAIL, f"this processor lacks {', '.join(missing)}, which "
                            "Hearth's language engine was built for",
                            "Use another computer on your network as the engine (Setup), or "
                            "build Hearth for this processor (docs/packaging.md)."))
    return checks


def _missing_for_llama(flags: set[str]) -> list[str]:
    """The instruction sets the installed llama.cpp was compiled for that this CPU lacks."""
    from desktop.brain.llm import missing_cpu_features

    try:
        import llama_cpp
    except ImportError:
        return []  # the models check says it is missing
    return missing_cpu_features(llama_cpp.llama_print_system_info().decode(errors="replace"),
                                flags)


def _tier_check(cores: int, ram: int | None, flags: set[str], measured) -> Check:
    """The model tier Setup recommends here: the same decision (models.setup.recommend) on
    the same saved self-test."""
    from desktop.machine import Machine
    from desktop.models.setup import recommend, tiers_for

    tier = recommend(tiers_for(load_catalog(), ["en"]),
                     Machine(cores, ram, 0, frozenset(flags)), measured)
    return Check("tier", OK, f"{tier.name} suits this machine: {tier.feel}")


def _speed_check(measured) -> Check:
    """What the last self-test measured, in the bench's terms (llama.cpp's pp128 / tg32)."""
    if measured is None:
        return Check("speed", OK, "not measured yet",
                     "Setup > Test this computer measures how soon a persona answers here.")
    rates = (f"llama.cpp prefill {measured.llama_pp128_tok_s} tok/s, decode "
             f"{measured.llama_tg32_tok_s} tok/s" if measured.llama_pp128_tok_s else
             f"decode {measured.tokens_per_s} tok/s")
    found = (f"{measured.model_file} measured {measured.measured_at or 'earlier'}: {rates}; "
             f"the persona starts speaking about "
             f"{measured.estimated_first_audio_ms / 1000:.1f} s after you finish")
    if measured.fast_enough:
        return Check("speed", OK, found)
    return Check("speed", WARN, found, "Choose the lighter tier in Setup, or use a stronger "
                 "computer on your network as the engine.")


def check_audio(load: Callable | None = None) -> list[Check]:
    from desktop.voice.audio_out import AudioUnavailable, load_sounddevice

    try:
        sd = (load or load_sounddevice)()
        devices = sd.query_devices()
    except AudioUnavailable as error:
        return [Check("audio", FAIL, error.problem, error.fix)]
    except Exception as error:  # PortAudio itself failed to start
        return [Check("audio", FAIL, f"PortAudio could not list devices ({error})",
                      "Check the sound system (PulseAudio/PipeWire) is running.")]
    outputs = [d["name"] for d in devices if d["max_output_channels"] > 0]
    inputs = [d["name"] for d in devices if d["max_input_channels"] > 0]
    checks = [Check("PortAudio", OK, f"version {sd.get_portaudio_version()[1]}")]
    if outputs:
        checks.append(Check("speaker", OK, f"{len(outputs)} output device(s): "
                                           f"{', '.join(outputs[:4])}"))
    else:
        checks.append(Check("speaker", FAIL, "no output device",
                            "Connect headphones or speakers; replies stay text until then."))
    if inputs:
        checks.append(Check("microphone", OK, f"{len(inputs)} input device(s)"))
    else:
        checks.append(Check("microphone", WARN, "no input device",
                            "Connect a microphone for hands-free calls; typing still works."))
    return checks


def check_models(dirs: DataDirs, verify_hashes: bool = True,
                 catalog_path: Path | None = None) -> list[Check]:
    inventory = Inventory(dirs)
    checks = []
    catalog = {entry.file: entry for entry in load_catalog(catalog_path)}
    for path in inventory.llm_files():
        checks.append(_check_file(path, catalog.get(path.name), verify_hashes, _gguf_problem))
    for name in inventory.voices():
        path = inventory.voice_dir / f"{name}.onnx"
        checks.append(_check_file(path, catalog.get(path.name), verify_hashes, _voice_problem))
    if not inventory.llm_files():
        checks.append(Check("language model", FAIL, f"none in {inventory.llm_dir}",
                            "Run: hearth models download qwen2.5-1.5b-instruct-q4_k_m (or put a "
                            "GGUF chat model there)."))
    if not inventory.voices():
        checks.append(Check("voice", WARN, f"no piper voice in {inventory.voice_dir}",
                            "Run: hearth models download en_US-lessac-medium; replies are text "
                            "only until then."))
    checks += _listening_checks(inventory)
    face = inventory.face_detector_file()
    checks.append(Check("face detector", OK, f"{face.name} ({_gb(face.stat().st_size)})")
                  if face is not None else
                  Check("face detector", OK, "not installed (optional: the persona creator "
                                             "then asks you to place the eyes and mouth)",
                        "To have faces found: hearth models download yunet-face"))
    return checks


def _listening_checks(inventory: Inventory) -> list[Check]:
    """The recognizer and the VAD: present and well-formed (cheap checks only: the doctor
    never hands a model to sherpa-onnx, which can end the process on a bad one)."""
    from desktop.voice.asr import RecognizerUnusable
    from desktop.voice.recognizers import check_folder

    checks = []
    for folder in inventory.recognizers():
        try:
            model = check_folder(folder)[0]
        except RecognizerUnusable as error:
            checks.append(Check("speech recognizer", FAIL, f"{folder.name}: {error.problem}",
                                f"Delete {folder} and download it again in Setup."))
            continue
        checks.append(Check("speech recognizer", OK, f"{folder.name}/{model.name} "
                                                     f"({_gb(model.stat().st_size)})"))
    vad = inventory.vad_file()
    if vad is not None:
        checks.append(Check("voice activity", OK, f"{vad.name} ({_gb(vad.stat().st_size)})"))
    downloads = {"asr": "sense-voice-zh-en-ja-ko-yue-int8", "vad": "silero-vad-v5"}
    for missing in inventory.missing_listening():
        checks.append(Check("speech recognizer" if missing.kind == "asr" else "voice activity",
                            WARN, f"none in {missing.folder}",
                            f"{missing.purpose} Download it in Setup, or run: hearth models "
                            f"download {downloads[missing.kind]}"))
    return checks


def _gguf_problem(path: Path) -> str | None:
    with path.open("rb") as handle:
        if handle.read(4) != b"GGUF":
            return "not a GGUF file"
    return None


def _voice_problem(path: Path) -> str | None:
    from desktop.voice.tts import check_voice_files

    try:
        check_voice_files(path)
    except HearthError as error:
        return error.problem
    return None


def _check_file(path: Path, entry, verify: bool, problem: Callable[[Path], str | None]
                ) -> Check:
    kind = "language model" if path.suffix == ".gguf" else "voice"
    size = path.stat().st_size
    wrong = problem(path)
    if wrong:
        return Check(kind, FAIL, f"{path.name}: {wrong}",
                     f"Delete {path} and download it again.")
    if entry is None:
        return Check(kind, OK, f"{path.name} ({_gb(size)}, not in the catalog: not verified)")
    if entry.size is not None and size != entry.size:
        return Check(kind, FAIL, f"{path.name} has {size} bytes, the catalog says {entry.size}",
                     f"It is truncated or another file: delete it and run hearth models "
                     f"download {entry.id}.")
    if verify and entry.sha256:
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            while block := handle.read(1 << 20):
                digest.update(block)
        if digest.hexdigest() != entry.sha256:
            return Check(kind, FAIL, f"{path.name} does not match its catalog SHA-256",
                         f"Delete it and run hearth models download {entry.id}.")
        return Check(kind, OK, f"{path.name} ({_gb(size)}, SHA-256 verified)")
    return Check(kind, OK, f"{path.name} ({_gb(size)})")


def check_database(dirs: DataDirs) -> list[Check]:
    path = dirs.database
    if not path.exists():
        return [Check("conversations", OK, "no conversations yet")]
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = conn.execute("PRAGMA quick_check").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            facts = _count(conn, "facts")
            turns = _count(conn, "turns")
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:
        return [Check("conversations", FAIL, f"{path.name} cannot be read ({error})",
                      "Start Hearth: it keeps the file aside and recovers what it can.")]
    if result != "ok":
        return [Check("conversations", FAIL, f"{path.name} is damaged ({result})",
                      "Start Hearth: it keeps the file aside and recovers what it can.")]
    backup = path.with_name(path.name + ".bak-daily")
    backed = "a daily backup exists" if backup.exists() else "no backup yet"
    return [Check("conversations", OK, f"{path.name}: {turns} messages, {facts} memories, "
                                       f"schema {version}, {_gb(path.stat().st_size)}; {backed}")]


def check_kept_copies(dirs: DataDirs) -> list[Check]:
    """Copies of the conversation file moved aside by a repair or a restore, and notices about
    a repair the user has not dismissed yet: doctor never says "ok" over a damaged file."""
    from desktop.memory.recovery import kept_copies, pending_notices

    checks = [Check("conversations", WARN, f"repaired on {notice['at'][:16].replace('T', ' ')}"
                    f" UTC: {notice['text']}",
                    "Dismiss this notice in the window or with: hearth memory dismiss")
              for notice in pending_notices(dirs.database)]
    for copy in kept_copies(dirs.database):
        size = sum(Path(str(copy) + s).stat().st_size for s in ("", "-wal")
                   if Path(str(copy) + s).exists())
        if ".damaged-" in copy.name:
            checks.append(Check(
                "conversations", WARN, f"{copy.name} is the damaged file a repair kept "
                f"({_gb(size)})", f"What could be read of it is in {dirs.database.name}. Keep it "
                "for an expert, or delete it (forgetting a persona deletes it too)."))
        else:
            checks.append(Check(
                "conversations", OK, f"{copy.name} is the file a restore replaced ({_gb(size)})",
                f"To go back to it: hearth memory restore --backup {copy}"))
    return checks


def check_publishers(listing: bytes | None = None) -> list[Check]:
    """The shipped publisher list must carry the app root's signature (RELIABILITY §3)."""
    from desktop.paths import asset
    from desktop.personas.archive import BundleRejected
    from desktop.personas.publishers import read_publisher_list

    try:
        data = asset("keys", "publishers.json").read_bytes() if listing is None else listing
        publishers = read_publisher_list(data)
    except (OSError, BundleRejected) as error:
        problem = getattr(error, "problem", None) or str(error)
        return [Check("trusted publishers", FAIL, problem,
                      "Reinstall Hearth from its official download. Until then no persona "
                      "counts as verified, and likenesses of real people cannot be installed.")]
    return [Check("trusted publishers", OK,
                  f"{len(publishers)} publisher(s), list signed by Hearth's root key")]


def check_revocations(dirs: DataDirs) -> list[Check]:
    """The revocation list: none yet is fine; a stale or unreadable one is said."""
    from desktop.personas.revocation import Revocations

    listing = Revocations(dirs.root)
    if not listing.path.is_file():
        return [Check("revocation list", OK, "none imported yet")]
    warning = listing.staleness_warning()
    if warning:
        return [Check("revocation list", WARN, warning,
                      "Import the newest list from your persona's publisher: hearth import "
                      "LIST.json")]
    return [Check("revocation list", OK,
                  f"{len(listing.revoked())} persona(s) and {len(listing.revoked_keys())} "
                  "key(s) revoked")]


def _count(conn: sqlite3.Connection, table: str) -> int:
    try:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    except sqlite3.DatabaseError:
        return 0


def run_checks(dirs: DataDirs, verify_hashes: bool = True,
               catalog_path: Path | None = None) -> list[Check]:
    return [*check_folder(dirs), *check_machine(dirs.root), *check_audio(),
            *check_models(dirs, verify_hashes, catalog_path), *check_database(dirs),
            *check_kept_copies(dirs),
            *check_publishers(), *check_revocations(dirs)]


def report(checks: list[Check]) -> str:
    marks = {OK: "ok  ", WARN: "warn", FAIL: "FAIL"}
    lines = []
    for check in checks:
        lines.append(f"[{marks[check.status]}] {check.area}: {check.found}")
        if check.fix:
            lines.append(f"       -> {check.fix}")
    problems = sum(check.status == FAIL for check in checks)
    lines.append("All good." if not problems else f"{problems} problem(s) to fix.")
    return "\n".join(lines)
