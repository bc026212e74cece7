"""Errors that carry a message a user can act on."""

from __future__ import annotations


class HearthError(Exception):
    """An error whose text is shown to the user as is: it names the problem and the fix."""

    def __init__(self, problem: str, fix: str = "") -> None:
        self.problem = problem
        self.fix = fix
        super().__init__(f"{problem} {fix}".strip())


class MissingDependency(HearthError):
    """A Python package or system library an engine needs is not installed."""


def require(module: str, package: str, purpose: str):
    """Import ``module`` or raise a MissingDependency that says how to install it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise MissingDependency(
            f"{purpose} needs the Python package '{package}', which could not be loaded "
            f"({error}).",
            f"Install it with: python -m pip install '{package}' (or run 'make run').",
        ) from error
