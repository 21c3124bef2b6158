"""Pass/fail verdicts of a run: thresholds on its summary, and reports of them for CI systems."""
