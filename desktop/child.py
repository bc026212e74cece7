"""Hearth's child processes (trial loads, image checks) and how to start one: from a checkout
with ``python -m``, in a frozen app through Hearth's own hidden ``--child`` entry point."""

from __future__ import annotations

import sys


def child_command(module: str, *args: str) -> list[str]:
    """How to run ``module`` as a child process: ``python -m module`` from a checkout; in a
    frozen app (PyInstaller), where ``sys.executable`` is Hearth itself and knows no ``-m``,
    Hearth's hidden ``--child module`` (desktop.cli). Same memory caps and timeouts either
    way: the caller sets them."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "--child", module, *args]
    return [sys.executable, "-m", module, *args]


def run_child(argv: list[str]) -> int:
    """``hearth --child MODULE ARGS``: run MODULE as ``__main__`` with ARGS, as ``-m`` would.
    Only Hearth's own child entry points may be named."""
    import runpy

    module, *args = argv
    if module not in CHILD_MODULES:
        print(f"hearth: {module} is not one of Hearth's child processes.", file=sys.stderr)
        return 2
    sys.argv = [module, *args]
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as done:
        return int(done.code or 0) if not isinstance(done.code, str) else 1
    return 0


CHILD_MODULES = ("desktop.trial", "desktop.personas.image_check", "desktop.selftest",
                 "desktop.bench.machine_load")
