"""Hearth's entry point: ``python main.py`` (or the installed ``hearth`` command)."""

from desktop.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
