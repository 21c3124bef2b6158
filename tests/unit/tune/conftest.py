"""The tune's unit tests import their made-up trials and servers from tune_fakes.py."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
