"""The ``hearth`` command: the window by default, plus ``call``, ``bench``, ``memory``,
``doctor``, ``models`` and the persona library's commands."""

from __future__ import annotations

import argparse
import logging
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hearth", description="Offline calls with personas.")
    parser.add_argument("--lang", help="UI language (en, zh); default: the system's")
    parser.add_argument("--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command")
    bench = sub.add_parser("bench", help="measure speed on random-weight models of real shapes")
    bench.add_argument("--json", action="store_true", help="print one JSON object")
    bench.add_argument("--models", nargs="*", default=["0.5b", "1.5b"],
                       help="which model shapes to measure (0.5b, 1.5b)")
    bench.add_argument("--turns", type=int, default=10)
    bench.add_argument("--quick", action="store_true", help="fewer samples (smoke test)")
    bench.add_argument("--parts", nargs="*",
                       default=["tts", "render", "face", "llm", "turns", "memory", "selftest",
                                "voice"],
                       choices=["tts", "render", "face", "llm", "turns", "memory", "selftest",
                                "voice"],
                       help="which measurements to run (default: all)")
    bench.add_argument("--voice-turns", type=int, default=20,
                       help="spoken questions (each also talked over) per model")
    bench.add_argument("--voice-replies", type=int, default=100,
                       help="replies played with their echo in the microphone, counting "
                            "false barge-ins")
    from desktop.likeness.cli import add_parser as add_likeness

    add_likeness(sub)
    memory = sub.add_parser("memory", help="export or forget what Hearth keeps of a persona")
    memory_sub = memory.add_subparsers(dest="memory_command", required=True)
    export = memory_sub.add_parser("export", help="print (or write) everything as JSON")
    export.add_argument("--persona", required=True, help="persona id, e.g. org.hearth.wren")
    export.add_argument("--out", help="write to this file instead of standard output")
    forget = memory_sub.add_parser("forget", help="delete all memories and history of a "
                                                  "persona, leaving no trace in the files")
    forget.add_argument("--persona", required=True)
    forget.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    memory_sub.add_parser("dismiss", help="stop showing the notice about a repaired "
                                          "conversation file")
    restore = memory_sub.add_parser("restore", help="put a backup back in place of the "
                                                    "conversation file (Hearth must be closed)")
    restore.add_argument("--backup", help="the backup file (default: the daily backup)")
    doctor = sub.add_parser("doctor", help="check this machine, the audio devices, the models "
                                           "and the data folder, and say what to fix")
    doctor.add_argument("--no-hash", action="store_true",
                        help="skip re-hashing installed models (faster)")
    models = sub.add_parser("models", help="list or download the catalog's models")
    models_sub = models.add_subparsers(dest="models_command", required=True)
    listing = models_sub.add_parser("list", help="the catalog, and what is installed")
    download = models_sub.add_parser("download", help="download and verify a catalog model")
    download.add_argument("model_id")
    add = models_sub.add_parser("add", help="check a GGUF model or piper voice from disk and "
                                            "copy it into the models folder")
    add.add_argument("file")
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
    create = sub.add_parser("create", help="make a persona of your own from a photo and a "
                                           "description, exported as a .persona signed with "
                                           "your key")
    create.add_argument("--name", required=True)
    create.add_argument("--photo", help="a PNG or JPEG (optional with --face: the face's own "
                                        "footage gives the portrait)")
    create.add_argument("--face", help="a photoreal face folder made by hearth likeness build "
                                       "(OUT/face); its consent record comes with it")
    create.add_argument("--consent", choices=["own", "permission", "none"],
                        help="whose face is in the photo: own (yours), permission (someone "
                             "who gave you leave), none (not a real person: a drawing, a "
                             "character); asked when not given")
    create.add_argument("--evidence", help="with --consent permission: the evidence of it (a "
                                           "signed release, a recording); without it the "
                                           "persona stays on this computer")
    create.add_argument("--description", required=True, help="about 200 characters")
    create.add_argument("--greeting", default="")
    create.add_argument("--sample", action="append", default=[], help="how it writes (repeat)")
    create.add_argument("--language", default="en")
    create.add_argument("--voice", help="a catalog voice id")
    create.add_argument("--out", help="the .persona file to write (may be left out with "
                                      "--install)")
    create.add_argument("--install", action="store_true", help="also install it")
    trust = sub.add_parser("trust", help="trust a persona publisher's key (only if you know "
                                         "who they are)")
    trust.add_argument("name")
    trust.add_argument("key", help="base64 Ed25519 public key")
    region = sub.add_parser("region", help="show or set your country or region (for personas "
                                           "licensed only in some)")
    region.add_argument("code", nargs="?", help="two-letter ISO code, e.g. GB")
    remover = sub.add_parser("remove", help="remove an installed persona (its memories stay)")
    remover.add_argument("persona_id")
    importer = sub.add_parser("import", help="check and install a .persona bundle, or a "
                                             "signed revocation list (.json)")
    importer.add_argument("file")
    importer.add_argument("--downgrade", action="store_true",
                          help="install an older version over a newer one, on purpose")
    rotate = sub.add_parser("rotate", help="accept a publisher's new key, signed by its old one")
    rotate.add_argument("file")
    call = sub.add_parser("call", help="a hands-free call in the terminal: talk, and the "
                                       "persona answers; Ctrl+C hangs up")
    call.add_argument("--persona", required=True, help="persona id, e.g. org.hearth.wren")
    call.add_argument("--seconds", type=float, help="hang up after this long")
    call.add_argument("--input", help="microphone (PortAudio device name or index)")
    call.add_argument("--output", help="speaker (PortAudio device name or index)")
    call.add_argument("--no-echo-cancel", action="store_true",
                      help="for headsets: skip echo cancellation")
    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) == 1 and argv[0].endswith(".persona"):
        argv = ["import", *argv]  # `hearth FILE.persona`, as the installers register it
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    if args.command == "bench":
        from desktop.bench import run_bench

        return run_bench(args)
    if args.command == "memory":
        return run_memory(args)
    if args.command == "call":
        from desktop.call.terminal import run_call

        return run_call(args.persona, args.seconds, not args.no_echo_cancel, args.input,
                        args.output)
    if args.command == "doctor":
        from pathlib import Path

        from desktop.doctor import FAIL, report, run_checks
        from desktop.paths import DataDirs

        catalog = Path(args.catalog) if args.catalog else None
        checks = run_checks(DataDirs.default(), not args.no_hash, catalog)
        print(report(checks))
        return 1 if any(check.status == FAIL for check in checks) else 0
    if args.command == "models":
        return run_models(args)
    if args.command == "remote":
        return run_remote(args)
    if args.command == "import":
        return run_import(args)
    if args.command == "create":
        return run_create(args)
    if args.command == "likeness":
        from desktop.likeness.cli import run as run_likeness

        return run_likeness(args)
    if args.command == "rotate":
        from pathlib import Path

        return _library_action(lambda hearth: "Hearth now trusts the new key of "
                               f"{hearth.rotate_publisher_key(Path(args.file))}.")
    if args.command == "trust":
        print("Warning: a trusted publisher can vouch for likenesses of real people. Trust only "
              "a publisher you know.", file=sys.stderr)

        def trust(hearth) -> str:
            hearth.trust_publisher(args.name, args.key)
            return f"Hearth now trusts {args.name}."

        return _library_action(trust)
    if args.command == "region":
        def region(hearth) -> str:
            if args.code:
                return f"Your country or region is now {hearth.set_region(args.code)}."
            current = hearth.region()
            return (f"Your country or region: {current}." if current else
                    "Hearth does not know your country or region: hearth region CODE sets it.")

        return _library_action(region)
    if args.command == "remove":
        def remove(hearth) -> str:
            hearth.remove_persona(args.persona_id)
            return (f"Removed {args.persona_id}. Its memories are kept: hearth memory export or "
                    "forget --persona to handle them.")

        return _library_action(remove)
    from desktop.ui.run import run_gui

    return run_gui(args.lang)


def _library_action(action) -> int:
    """Run ``action(hearth)`` on the persona library and settings (the conversation file is
    not opened, so these work while the window runs); print its message or the error."""
    from desktop.app import Hearth
    from desktop.errors import HearthError
    from desktop.paths import DataDirs

    try:
        message = action(Hearth(DataDirs.default().ensure()))
    except HearthError as error:
        print(f"hearth: {error}", file=sys.stderr)
        return 1
    print(message)
    return 0


def run_memory(args: argparse.Namespace) -> int:
    from desktop.app import Hearth
    from desktop.errors import HearthError
    from desktop.memory.store import export_json
    from desktop.paths import DataDirs

    dirs = DataDirs.default()
    if args.memory_command == "restore":
        from pathlib import Path

        from desktop.memory.store import restore_backup

        backup = Path(args.backup) if args.backup else dirs.database.with_name(
            dirs.database.name + ".bak-daily")
        if not backup.is_file():
            print(f"hearth: there is no backup at {backup}.", file=sys.stderr)
            return 1
        try:
            kept = restore_backup(dirs.database, backup)
        except HearthError as error:
            print(f"hearth: {error}", file=sys.stderr)
            return 1
        print(f"Restored {backup.name}; the file it replaced is kept as {kept.name}.")
        return 0
    try:
        hearth = Hearth(dirs).open()
    except HearthError as error:
        print(f"hearth: {error}", file=sys.stderr)
        return 1
    try:
        if args.memory_command == "dismiss":
            count = len(hearth.store.notices())
            hearth.dismiss_store_notices()
            print(f"Dismissed {count} notice(s)." if count else "There was no notice.")
            return 0
        _print_notices(hearth)
        if args.memory_command == "export":
            text = export_json(hearth.export_memory(args.persona))
            if args.out:
                with open(args.out, "w", encoding="utf-8") as handle:
                    handle.write(text + "\n")
                print(f"Wrote {args.out}", file=sys.stderr)
            else:
                print(text)
            return 0
        if not args.yes:
            copies = hearth.store.kept_copies()
            also = (f" Hearth also cleans the {len(copies)} older cop"
                    f"{'y' if len(copies) == 1 else 'ies'} of the conversation file kept "
                    "after a repair or a restore; a damaged one is deleted."
                    if copies else "")
            answer = input(f"Forget every memory and conversation with {args.persona}?{also} "
                           "This cannot be undone. Type 'forget' to confirm: ")
            if answer.strip().lower() != "forget":
                print("Nothing was deleted.", file=sys.stderr)
                return 1
        report = hearth.forget(args.persona)
        print(f"Forgot {report.facts} memories, {report.turns} messages and {report.calls} "
              f"calls of {args.persona}; removed {len(report.backups_removed)} old backups.")
        if report.copies_scrubbed:
            print(f"Also forgotten in the kept copies: {', '.join(report.copies_scrubbed)}.")
        if report.copies_deleted:
            print("Deleted the damaged copies (they could not be cleaned; what could be read of "
                  f"them was recovered earlier): {', '.join(report.copies_deleted)}.")
        return 0
    finally:
        hearth.close()


def _print_notices(hearth) -> None:
    """A command that opens the data folder says what the window would: a repaired file."""
    for problem in hearth.store_problems():
        if problem.part == "notice":
            print(f"hearth: {problem.text} (Shown until you dismiss it in the window or run "
                  "hearth memory dismiss.)", file=sys.stderr)


def run_models(args: argparse.Namespace) -> int:
    from pathlib import Path

    from desktop.errors import HearthError
    from desktop.models.download import Downloader, Progress
    from desktop.models.install import install
    from desktop.models.inventory import Inventory, load_catalog
    from desktop.paths import DataDirs

    chosen = getattr(args, "catalog", None)
    catalog = load_catalog(Path(chosen) if chosen else None)
    inventory = Inventory(DataDirs.default().ensure())
    if args.models_command == "list":
        for entry in catalog:
            size = f"{entry.size / 1e9:.2f} GB" if entry.size else "size unknown"
            state = "installed" if entry.destination(inventory).is_file() else "not installed"
            print(f"{entry.id:32} {entry.kind:6} {','.join(entry.languages):6} {size:13} "
                  f"{state}")
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
    from desktop.brain.remote import RemoteLLM, RemoteUnavailable
    from desktop.paths import DataDirs
    from desktop.settings import Settings

    dirs = DataDirs.default().ensure()
    settings = Settings.load(dirs.root)
    if args.remote_command == "set":
        settings.remote_url, settings.remote_model = args.url, args.model
        settings.save(dirs.root)
        print(RemoteLLM(args.url).disclosure())
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


def _ask_photo_consent() -> str | None:
    if not sys.stdin.isatty():
        return None
    print("Whose face is in this photo?\n  1) mine\n  2) someone who gave me permission\n"
          "  3) nobody real (a drawing, a character)", file=sys.stderr)
    return {"1": "own", "2": "permission", "3": "none"}.get(input("1, 2 or 3: ").strip())


def run_create(args: argparse.Namespace) -> int:
    import re
    import tempfile
    from pathlib import Path

    from desktop.app import Hearth
    from desktop.errors import HearthError
    from desktop.face.contract import rig_from_points
    from desktop.likeness.build import sha256_file
    from desktop.paths import DataDirs
    from desktop.personas.creator import (
        PersonaDraft,
        export_draft,
        read_consent,
        square_photo,
        user_signer,
    )

    dirs = DataDirs.default().ensure()
    slug = re.sub(r"[^a-z0-9]+", "-", args.name.lower()).strip("-")[:40] or "persona"
    if not args.photo and not args.face:
        print("hearth: give --photo (a PNG or JPEG) or --face (from hearth likeness build).",
              file=sys.stderr)
        return 2
    if not args.out and not args.install:
        print("hearth: say where to write the persona (--out FILE.persona), or --install it.",
              file=sys.stderr)
        return 2
    try:
        photo, points = b"", None
        if args.photo:
            photo, square = square_photo(Path(args.photo).read_bytes())
            points = Hearth(dirs).find_face(square)
            if points is None and not args.face:
                print("No face found (or no face detector installed: hearth models download "
                      "yunet-face); the face is assumed centred.", file=sys.stderr)
        draft = PersonaDraft(f"user.{slug}", args.name, args.description, photo, args.language,
                             sample_lines=args.sample, greeting=args.greeting, voice=args.voice,
                             face_rig=rig_from_points(**points) if points else None)
        if args.face:
            draft.face_dir = Path(args.face)
            consent = read_consent(draft.face_dir)
            draft.likeness, draft.consent_statement = consent["basis"], consent["statement"]
            draft.evidence_sha256 = list(consent["evidence_sha256"])
        else:
            basis = args.consent or _ask_photo_consent()
            if basis is None:
                print("hearth: say whose face is in the photo: --consent own, --consent "
                      "permission or --consent none (not a real person).", file=sys.stderr)
                return 2
            if basis != "none":
                draft.likeness = basis
                draft.evidence_sha256 = [sha256_file(Path(args.photo))] if basis == "own" else []
        if args.evidence:
            draft.evidence_sha256.append(sha256_file(Path(args.evidence)))
        signer = user_signer(dirs.root / "keys")
        if args.out:
            path = export_draft(draft, Path(args.out), signer)
            print(f"Wrote {path}, signed with your key.")
        if args.install:
            with tempfile.TemporaryDirectory() as scratch:
                # A private likeness is never left on disk as a file: installed, then gone.
                args.file = str(Path(args.out) if args.out else export_draft(
                    draft, Path(scratch) / f"{slug}.persona", signer, allow_private=True))
                return run_import(args)
    except HearthError as error:
        print(f"hearth: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"hearth: {error.filename or args.photo} cannot be read ({error.strerror}).",
              file=sys.stderr)
        return 1
    return 0


def run_import(args: argparse.Namespace) -> int:
    from pathlib import Path

    from desktop.app import Hearth
    from desktop.errors import HearthError
    from desktop.paths import DataDirs

    try:
        hearth = Hearth(DataDirs.default()).open()
    except HearthError as error:
        print(f"hearth: {error}", file=sys.stderr)
        return 1
    _print_notices(hearth)
    source = Path(args.file)
    if not source.is_file():
        hearth.close()
        print(f"hearth: {source} is {'a folder' if source.is_dir() else 'not there'}; give "
              "a .persona bundle, a character card (PNG, JSON, CHARX) or a revocation list.",
              file=sys.stderr)
        return 1
    try:
        if not args.file.endswith(".persona"):
            result = hearth.import_file(Path(args.file))
            if result.startswith("revocations:"):
                print(f"Installed revocation list version {result.split(':')[1]}; revoked "
                      "personas stop working now, their memories are kept.")
                from desktop.personas.revocation import Revocations

                stale = Revocations(hearth.dirs.root).staleness_warning()
                if stale:
                    print(f"hearth: {stale}", file=sys.stderr)
            else:
                card = hearth.library.get(result)
                print(f"Installed {card.name()} ({result}) from a character card: "
                      "unverified, fictional.")
            return 0
        done = hearth.import_bundle(Path(args.file),
                                    allow_downgrade=getattr(args, "downgrade", False))
    except HearthError as error:
        print(f"hearth: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"hearth: {args.file} cannot be read ({error.strerror}).", file=sys.stderr)
        return 1
    finally:
        hearth.close()
    persona = hearth.library.get(done.persona_id)
    status = (f"verified (publisher: {done.verification.publisher})"
              if done.verification.verified else "unverified")
    license_ = persona.license
    print(f"Installed {persona.name()} ({done.persona_id}) version {done.version}: {status}.")
    print(f"Owner of the likeness: {persona.owner}; subject: {license_.get('subject', '?')}; "
          f"allowed: {', '.join(license_.get('modes', ['text']))}; valid until: "
          f"{license_.get('valid_until', 'no end date')}.")
    if done.replaced_version is not None:
        print(f"It replaces version {done.replaced_version}; your memories of it are kept.")
    return 0


def gui_main() -> int:
    return main(sys.argv[1:])


if __name__ == "__main__":
    raise SystemExit(main())
