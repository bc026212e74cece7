"""Personas: the library, bundle format, import, signatures and licenses."""
