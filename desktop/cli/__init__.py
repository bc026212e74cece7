"""The ``hearth`` command: the window by default, plus ``call``, ``bench``, ``memory``,
``doctor``, ``models`` and the persona library's commands."""

from __future__ import annotations

import argparse
import logging
import sys

from desktop.cli import bench, call, library, memory, models


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hearth", description="Offline calls with personas.")
    parser.add_argument("--lang", help="UI language (en, zh); default: the system's")
    parser.add_argument("--verbose", action="store_true",
                        help="say more of what happens, native engines' messages included")
    sub = parser.add_subparsers(dest="command")
    for area in (bench, memory, models, library, call):
        area.add_parsers(sub)
    from desktop.likeness.cli import add_parser as add_likeness
    from desktop.likeness.cli import run as run_likeness

    add_likeness(sub).set_defaults(run=run_likeness)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] in (["--install-desktop-entry"], ["--uninstall-desktop-entry"]):
        from desktop.cli.desktop_entry import install_desktop_entry, uninstall_desktop_entry

        if argv[0] == "--install-desktop-entry":
            files = install_desktop_entry()
            print(f"Hearth is in your desktop's menu, and .persona files open in it "
                  f"({files[0]}).")
        else:
            files = uninstall_desktop_entry()
            print(f"Removed {len(files)} file(s): Hearth's menu entry, icon and file type.")
        return 0
    if argv[:1] == ["--child"]:  # a child process of a frozen Hearth (desktop.trial)
        from desktop.child import run_child

        return run_child(argv[1:])
    if len(argv) == 1 and argv[0].lower().endswith((".persona", ".charx")):
        # `hearth FILE.persona`, as the desktop opens a double-clicked file: the window's
        # import preview (Install / Cancel), in the running window if there is one.
        from desktop.ui.run import run_gui

        return run_gui(open_files=argv)
    args = parser.parse_args(argv)
    if not args.verbose:
        from desktop.logs import route_native_stderr
        from desktop.paths import DataDirs

        route_native_stderr(DataDirs.default().root / "logs" / "native.log")
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    run = getattr(args, "run", None)
    if run is not None:
        return run(args)
    from desktop.ui.run import run_gui

    return run_gui(args.lang)


def gui_main() -> int:
    return main(sys.argv[1:])
