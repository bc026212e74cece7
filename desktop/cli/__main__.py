"""``python -m desktop.cli``: the same as the ``hearth`` command."""

from desktop.cli import main

raise SystemExit(main())
