"""surge: load testing and deployment toolkit for Python web services."""

__version__ = "0.1.0"
