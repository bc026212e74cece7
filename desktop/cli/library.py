"""``hearth create``, ``import``, ``rotate``, ``trust``, ``region`` and ``remove``: the persona
library and who Hearth trusts."""

from __future__ import annotations

import argparse
import sys

from desktop.cli.memory import print_notices


def add_parsers(sub) -> None:
    create = sub.add_parser("create", help="make a persona of your own from a photo and a "
                                           "description, exported as a .persona signed with "
                                           "your key")
    create.add_argument("--name", required=True, help="the persona's name, as the window shows it")
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
    create.add_argument("--greeting", default="", help="what it says when a call connects")
    create.add_argument("--sample", action="append", default=[], help="how it writes (repeat)")
    create.add_argument("--language", default="en", help="the language it speaks: en or zh")
    create.add_argument("--voice", help="a catalog voice id")
    create.add_argument("--out", help="the .persona file to write (may be left out with "
                                      "--install)")
    create.add_argument("--install", action="store_true", help="also install it")
    trust = sub.add_parser("trust", help="trust a persona publisher's key (only if you know "
                                         "who they are)")
    trust.add_argument("name", help="the publisher's name, as its bundles sign")
    trust.add_argument("key", help="base64 Ed25519 public key")
    region = sub.add_parser("region", help="show or set your country or region (for personas "
                                           "licensed only in some)")
    region.add_argument("code", nargs="?", help="two-letter ISO code, e.g. GB")
    remover = sub.add_parser("remove", help="remove an installed persona (its memories stay)")
    remover.add_argument("persona_id", help="the persona's id (hearth personas lists them)")
    importer = sub.add_parser("import", help="check and install a .persona bundle, a character "
                                             "card (PNG, JSON or CHARX, V2 or V3), or a signed "
                                             "revocation list (.json)")
    importer.add_argument("file", help="the .persona, .png, .json or .charx file")
    choice = importer.add_mutually_exclusive_group()
    choice.add_argument("--replace", action="store_true",
                        help="a character card already installed: put this one in its place "
                             "(its memories stay)")
    choice.add_argument("--keep-both", action="store_true",
                        help="a character card already installed: install this one beside it")
    importer.add_argument("--downgrade", action="store_true",
                          help="install an older version over a newer one, on purpose")
    rotate = sub.add_parser("rotate", help="accept a publisher's new key, signed by its old one")
    rotate.add_argument("file", help="the key rotation statement (.json) from the publisher")
    personas = sub.add_parser("personas", help="the installed personas: id, name, who licensed "
                                               "them, verified or not")
    personas.set_defaults(run=run_personas)
    create.set_defaults(run=run_create)
    importer.set_defaults(run=run_import)
    rotate.set_defaults(run=run_rotate)
    trust.set_defaults(run=run_trust)
    region.set_defaults(run=run_region)
    remover.set_defaults(run=run_remove)


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


def run_personas(args: argparse.Namespace) -> int:
    from desktop.app import Hearth
    from desktop.paths import DataDirs

    hearth = Hearth(DataDirs.default().ensure())
    region = hearth.region()
    rows = []
    for persona in hearth.library.list():
        state = "verified" if persona.verified else "unverified"
        blocked = persona.license_problem(region)
        rows.append((persona.id, persona.name(), f"{state}, {persona.owner}"
                     + (f"; not available: {blocked}" if blocked else "")))
    width = max((len(row[0]) for row in rows), default=0)
    for persona_id, name, detail in rows:
        print(f"{persona_id:<{width}}  {name}  ({detail})")
    for problem in hearth.library.problems:
        print(f"hearth: {problem}", file=sys.stderr)
    return 0


def run_rotate(args: argparse.Namespace) -> int:
    from pathlib import Path

    return _library_action(lambda hearth: "Hearth now trusts the new key of "
                           f"{hearth.rotate_publisher_key(Path(args.file))}.")


def run_trust(args: argparse.Namespace) -> int:
    print("Warning: a trusted publisher can vouch for likenesses of real people. Trust only "
          "a publisher you know.", file=sys.stderr)

    def trust(hearth) -> str:
        hearth.trust_publisher(args.name, args.key)
        return f"Hearth now trusts {args.name}."

    return _library_action(trust)


def run_region(args: argparse.Namespace) -> int:
    def region(hearth) -> str:
        if args.code:
            return f"Your country or region is now {hearth.set_region(args.code)}."
        current = hearth.region()
        return (f"Your country or region: {current}." if current else
                "Hearth does not know your country or region: hearth region CODE sets it.")

    return _library_action(region)


def run_remove(args: argparse.Namespace) -> int:
    def remove(hearth) -> str:
        hearth.remove_persona(args.persona_id)
        return (f"Removed {args.persona_id}. Its memories are kept: hearth memory export or "
                "forget --persona to handle them.")

    return _library_action(remove)


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

    from desktop.errors import HearthError
    from desktop.paths import DataDirs
    from desktop.personas.creator import export_draft, user_signer

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
        draft = _draft(args, dirs, slug)
        if draft is None:
            print("hearth: say whose face is in the photo: --consent own, --consent "
                  "permission or --consent none (not a real person).", file=sys.stderr)
            return 2
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


def _draft(args: argparse.Namespace, dirs, slug: str):
    """The persona the arguments describe, with its consent record; None when nobody said
    whose face the photo shows."""
    from pathlib import Path

    from desktop.app import Hearth
    from desktop.face.contract import rig_from_points
    from desktop.likeness.build import sha256_file
    from desktop.personas.creator import PersonaDraft, read_consent, square_photo

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
            return None
        if basis != "none":
            draft.likeness = basis
            draft.evidence_sha256 = [sha256_file(Path(args.photo))] if basis == "own" else []
    if args.evidence:
        draft.evidence_sha256.append(sha256_file(Path(args.evidence)))
    return draft


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
    print_notices(hearth)
    source = Path(args.file)
    if not source.is_file():
        hearth.close()
        print(f"hearth: {source} is {'a folder' if source.is_dir() else 'not there'}; give "
              "a .persona bundle, a character card (PNG, JSON, CHARX) or a revocation list.",
              file=sys.stderr)
        return 1
    try:
        if not args.file.endswith(".persona"):
            conflict = ("replace" if getattr(args, "replace", False) else "keep-both"
                        if getattr(args, "keep_both", False) else None)
            result = hearth.import_file(Path(args.file), conflict)
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
