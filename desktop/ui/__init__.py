"""The Qt edge: the only package that imports PySide6."""
