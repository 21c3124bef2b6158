"""An app whose import fails, for the tune's bad-input test."""

raise RuntimeError("the database is not configured")
