"""The load engine: schedule, HTTP client, worker processes and the runner that drives them."""
