"""Entry point for ``python -m surge``."""

from surge.cli import main

raise SystemExit(main())
