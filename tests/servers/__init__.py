"""Real HTTP servers that tests start on 127.0.0.1 (free ports) and stop themselves."""
