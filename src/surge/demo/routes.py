"""The demo app's routes: hello, IO-bound wait, CPU-bound work, a model prediction, health."""

from __future__ import annotations

import json
import math
import os
import threading
import time
from typing import Any, NoReturn

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from surge.demo.model import FEATURE_COUNT, LinearModel, build_model

IO_MAX_MS = 10_000
CPU_MAX_N = 5_000_000
CPU_DEFAULT_N = 20_000
IO_DEFAULT_MS = 50
# /predict's body is a few numbers; a larger one is answered 413 before it is read.
MAX_BODY_BYTES = 1024 * 1024


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


def _shown(value: Any) -> str:
    """A short, safe description of a JSON value for an error message (never a huge or deep repr)."""
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}..."


def _not_json_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a JSON number")


def _json_body() -> Any:
    """The request's JSON, parsed strictly; every way it can be wrong is BadInput (400).

    Parsed here rather than by Flask, which turns some bad input into a 500: integers too long
    for float arithmetic (they are read as floats, so 400 digits become inf and are refused as
    such), NaN and Infinity (not JSON), and nesting deeper than the parser's recursion limit.
    """
    if not request.is_json:
        raise BadInput("the body must be JSON (Content-Type: application/json)")
    raw = request.get_data(cache=False)  # over MAX_CONTENT_LENGTH: 413 before anything is read
    try:
        return json.loads(raw, parse_int=float, parse_constant=_not_json_constant)
    except RecursionError:
        raise BadInput("the JSON is nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, NaN/Infinity
        raise BadInput(f"the body is not valid JSON: {str(exc)[:120]}") from None


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
            raise BadInput(f"features must be finite numbers, got {_shown(item)}")
        values.append(float(item))
    return values


def _predict(model: LinearModel, features: list[float]) -> float:
    """The model's prediction, or BadInput when features near float's limits make it overflow."""
    try:
        prediction = model.predict(features)
    except (OverflowError, ValueError):  # fsum of inf and -inf, or an overflow inside the sum
        prediction = math.nan
    if not math.isfinite(prediction):
        raise BadInput("features are too large: the prediction is not a finite number")
    return prediction


def create_app() -> Flask:
    """Build the demo app and its model (fitted from a fixed seed, so every worker agrees)."""
    app = Flask("surge.demo")
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
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
        features = _features(_json_body())
        return jsonify(prediction=_predict(model, features), features=features)

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
