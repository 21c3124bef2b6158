"""Scenarios beyond URL lists: TOML plan files (``surge run -f``) and Python users (``surge run -s``)."""
