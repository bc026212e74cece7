"""``hearth doctor``, ``hearth models`` and ``hearth remote``: the machine, the models, and a
server on the network."""

from __future__ import annotations

import argparse
import sys


def add_parsers(sub) -> None:
    doctor = sub.add_parser("doctor", help="check this machine, the audio devices, the models "
                                           "and the data folder, and say what to fix")
    doctor.add_argument("--no-hash", action="store_true",
                        help="skip re-hashing installed models (faster)")
    models = sub.add_parser("models", help="list or download the catalog's models")
    models_sub = models.add_subparsers(dest="models_command", required=True)
    listing = models_sub.add_parser("list", help="the catalog, and what is installed")
    download = models_sub.add_parser("download", help="download and verify a catalog model")
    download.add_argument("model_id", help="a catalog id (hearth models list shows them)")
    add = models_sub.add_parser("add", help="check a GGUF model or piper voice from disk and "
                                            "copy it into the models folder")
    add.add_argument("file", help="a .gguf, a piper .onnx beside its .onnx.json, a Silero VAD "
                                  ".onnx, or a SenseVoice folder")
    for command in (doctor, listing, download):
        command.add_argument("--catalog", help="use this catalog file instead of the shipped one")
    remote = sub.add_parser("remote", help="use an OpenAI-compatible server on your network "
                                           "instead of the local model")
    remote_sub = remote.add_subparsers(dest="remote_command", required=True)
    remote_set = remote_sub.add_parser("set", help="use the server at URL")
    remote_set.add_argument("url", help="e.g. http://192.168.1.20:8080")
    remote_set.add_argument("--model", default="default", help="the model name it serves")
    remote_sub.add_parser("off", help="go back to the local model")
    remote_sub.add_parser("test", help="ask the server one short question")
    devices = sub.add_parser("devices", help="the microphones and speakers Hearth can use "
                                             "(for hearth call --input/--output)")
    devices.set_defaults(run=run_devices)
    selftest = sub.add_parser("selftest", help="load every engine Hearth is made of on its "
                                               "test models, speak a sentence, draw a face, "
                                               "and say what is broken")
    selftest.add_argument("--only", nargs="+", metavar="CHECK",
                          choices=["llama", "voice", "speaker", "face", "recognizer", "echo",
                                   "memory", "qt"], help="run only these checks")
    selftest.set_defaults(run=run_selftest)
    doctor.set_defaults(run=run_doctor)
    models.set_defaults(run=run_models)
    remote.set_defaults(run=run_remote)


def run_devices(args: argparse.Namespace) -> int:
    from desktop.voice.audio_out import AudioUnavailable, load_sounddevice

    try:
        devices = load_sounddevice().query_devices()
    except (AudioUnavailable, OSError) as error:
        print(f"hearth: {error}", file=sys.stderr)
        return 1
    print("microphones:")
    for index, device in enumerate(devices):
        if device["max_input_channels"] > 0:
            print(f"  {index:3d}  {device['name']}")
    print("speakers:")
    for index, device in enumerate(devices):
        if device["max_output_channels"] > 0:
            print(f"  {index:3d}  {device['name']}")
    print("Use the number or the name: hearth call --input N --output N")
    return 0


def run_selftest(args: argparse.Namespace) -> int:
    from desktop.selftest import run_selftest as run_checks

    frozen = " (installed app)" if getattr(sys, "frozen", False) else ""
    print(f"Hearth self-test{frozen}: each engine in turn.", flush=True)
    results = run_checks(report=lambda r: print(
        f"  {'ok  ' if r.ok else 'FAIL'}  {r.name}: {r.detail}", flush=True), only=args.only)
    broken = [r for r in results if not r.ok]
    if broken:
        print(f"{len(broken)} of {len(results)} checks failed: see above.")
        return 1
    print(f"All {len(results)} checks passed.")
    return 0


def run_doctor(args: argparse.Namespace) -> int:
    from pathlib import Path

    from desktop.doctor import FAIL, report, run_checks
    from desktop.paths import DataDirs

    catalog = Path(args.catalog) if args.catalog else None
    checks = run_checks(DataDirs.default(), not args.no_hash, catalog)
    print(report(checks))
    return 1 if any(check.status == FAIL for check in checks) else 0


def run_models(args: argparse.Namespace) -> int:
    from pathlib import Path
    from urllib.parse import urlparse

    from desktop.errors import HearthError
    from desktop.models.download import Downloader, Progress
    from desktop.models.install import install
    from desktop.models.inventory import Inventory, load_catalog
    from desktop.paths import DataDirs

    chosen = getattr(args, "catalog", None)
    catalog = load_catalog(Path(chosen) if chosen else None)
    inventory = Inventory(DataDirs.default().ensure())
    if args.models_command == "list":
        from desktop.models.setup import model_rows

        rows = model_rows(catalog, inventory)
        widths = [max(len(getattr(row, field)) for row in rows)
                  for field in ("id", "kind", "languages", "size")]
        for row in rows:
            print(f"{row.id:<{widths[0]}}  {row.kind:<{widths[1]}}  "
                  f"{row.languages:<{widths[2]}}  {row.size:>{widths[3]}}  {row.state}")
        return 0
    if args.models_command == "add":
        from desktop.models.sideload import accept_local_file

        try:
            path = accept_local_file(Path(args.file), inventory.dirs.models)
        except HearthError as error:
            print(f"hearth: {error}", file=sys.stderr)
            return 1
        print(f"Checked and installed {path}")
        return 0
    entry = next((e for e in catalog if e.id == args.model_id), None)
    if entry is None:
        print(f"hearth: no model {args.model_id!r} in the catalog; see: hearth models list",
              file=sys.stderr)
        return 1

    def show(progress: Progress) -> None:
        if progress.connecting:
            print(f"Connecting to {urlparse(entry.url).hostname}…", file=sys.stderr)
            return
        total = f"{progress.total / 1e6:.1f}" if progress.total else "?"
        left = progress.seconds_left()
        eta = f", {left:.0f} s left" if left is not None else ""
        print(f"\r{progress.done / 1e6:.1f} / {total} MB at "
              f"{progress.bytes_per_s / 1e6:.1f} MB/s{eta}   ", end="", file=sys.stderr)

    # A model made of several files (a recognizer: model and tokens) comes whole.
    parts = [e for e in catalog if entry.folder and e.folder == entry.folder
             and e.kind == entry.kind] or [entry]
    try:
        for part in parts:
            path = install(part, inventory, Downloader(progress=show))
            print(f"\nInstalled {path}", file=sys.stderr)
    except HearthError as error:
        print(f"\nhearth: {error}", file=sys.stderr)
        return 1
    return 0


def run_remote(args: argparse.Namespace) -> int:
    import time

    from desktop.brain.llm import Sampling
    from desktop.brain.prompt import Message, PersonaPrompt
    from desktop.brain.remote import RemoteLLM, RemoteUnavailable, check_server_url
    from desktop.errors import HearthError
    from desktop.paths import DataDirs
    from desktop.settings import Settings

    dirs = DataDirs.default().ensure()
    settings = Settings.load(dirs.root)
    if args.remote_command == "set":
        try:
            url = check_server_url(args.url)
        except HearthError as error:
            print(f"hearth: {error}", file=sys.stderr)
            return 2
        settings.remote_url, settings.remote_model = url, args.model
        settings.save(dirs.root)
        print(RemoteLLM(url).disclosure())
        return 0
    if args.remote_command == "off":
        settings.remote_url = None
        settings.save(dirs.root)
        print("Hearth uses the local model again; nothing leaves this computer.")
        return 0
    if not settings.remote_url:
        print("hearth: no remote engine is set; use: hearth remote set URL", file=sys.stderr)
        return 1
    engine = RemoteLLM(settings.remote_url, settings.remote_model)
    persona = PersonaPrompt("org.hearth.test", "Test", "A test persona.", "Brief.", ("Hi.",))
    started = time.monotonic()
    first = None
    try:
        pieces = []
        for piece in engine.stream(persona, [Message("user", "Say hello in five words.")],
                                   sampling=Sampling(max_tokens=24)):
            first = first or time.monotonic()
            pieces.append(piece)
    except RemoteUnavailable as error:
        print(f"hearth: {error}", file=sys.stderr)
        return 1
    print("".join(pieces).strip())
    if first is not None:
        print(f"first token after {(first - started) * 1000:.0f} ms", file=sys.stderr)
    return 0
