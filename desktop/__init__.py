"""Hearth: offline voice and video calls with licensed personas.

Engine packages (brain, voice, face, memory, personas, models, call) never import Qt;
only ``desktop.ui`` does. Heavy engines are imported inside the module that uses them.
"""

__version__ = "0.1.0"
