"""The demo app's routes: hello, IO-bound wait, CPU-bound work, a model prediction, health."""

from __future__ import annotations

import math
import os
import threading
import time
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from surge.demo.model import FEATURE_COUNT, build_model

IO_MAX_MS = 10_000
CPU_MAX_N = 5_000_000
CPU_DEFAULT_N = 20_000
IO_DEFAULT_MS = 50


class BadInput(Exception):
    """Input the client must fix; answered with 400 and a JSON error."""


class _InFlight:
    """Counts requests inside /io in this process, so a client can see concurrency per worker."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.current = 0

    def __enter__(self) -> int:
        with self._lock:
            self.current += 1
            return self.current

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self.current -= 1


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise BadInput(f"{name} must be a number, got {raw!r}") from None
    if not math.isfinite(value) or value != int(value):
        raise BadInput(f"{name} must be a whole number, got {raw!r}")
    if not low <= value <= high:
        raise BadInput(f"{name} must be between {low} and {high}, got {raw}")
    return int(value)


def _features(payload: Any) -> list[float]:
    if not isinstance(payload, dict) or "features" not in payload:
        raise BadInput(f'send a JSON object {{"features": [{FEATURE_COUNT} numbers]}}')
    features = payload["features"]
    if not isinstance(features, list) or len(features) != FEATURE_COUNT:
        raise BadInput(f"features must be a list of {FEATURE_COUNT} numbers")
    values: list[float] = []
    for item in features:
        # bool is an int subclass in Python, but true/false are not features.
        if isinstance(item, bool) or not isinstance(item, int | float) or not math.isfinite(item):
            raise BadInput(f"features must be finite numbers, got {item!r}")
        values.append(float(item))
    return values


def create_app() -> Flask:
    """Build the demo app and its model (fitted from a fixed seed, so every worker agrees)."""
    app = Flask("surge.demo")
    model = build_model()
    in_flight = _InFlight()

    @app.get("/")
    def hello() -> Response:
        return jsonify(message="hello from the surge demo", pid=os.getpid())

    @app.get("/io")
    def io_bound() -> Response:
        wait_ms = _int_arg("ms", IO_DEFAULT_MS, 0, IO_MAX_MS)
        with in_flight as concurrent:
            # time.sleep stands for a database call: under gevent it yields to other requests,
            # under gthread it blocks one thread, under sync it blocks the whole worker.
            time.sleep(wait_ms / 1000)
        return jsonify(waited_ms=wait_ms, in_flight=concurrent, pid=os.getpid())

    @app.get("/cpu")
    def cpu_bound() -> Response:
        n = _int_arg("n", CPU_DEFAULT_N, 1, CPU_MAX_N)
        total = 0
        for i in range(n):
            total = (total + i * i) % 1_000_003
        return jsonify(n=n, result=total, pid=os.getpid())

    @app.post("/predict")
    def predict() -> Response:
        payload = request.get_json(silent=True)
        if payload is None:
            raise BadInput("the body must be JSON (Content-Type: application/json)")
        features = _features(payload)
        return jsonify(prediction=model.predict(features), features=features)

    @app.get("/health")
    def health() -> Response:
        return jsonify(status="ok", pid=os.getpid())

    @app.errorhandler(BadInput)
    def bad_input(exc: BadInput) -> tuple[Response, int]:
        return jsonify(error=str(exc)), 400

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[Response, int]:
        code = exc.code or 500
        return jsonify(error=exc.description or exc.name), code

    return app
