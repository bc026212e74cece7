"""Hearth: offline voice and video calls with licensed personas.

The layers (docs/architecture.md, enforced by tests/test_layers.py): the foundation (errors,
paths, settings, machine, budget, trial), the engines (brain, voice, face, memory, call,
personas: no Qt, nothing above them), then app, cli, doctor, models, bench and the optional
likeness builder, and ``desktop.ui``, the only package that imports Qt. Heavy engines are
imported inside the module that uses them.
"""

__version__ = "0.1.0"
