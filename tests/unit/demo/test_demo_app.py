"""The demo app: each endpoint's answer, and a 400 JSON error (never a 500) for bad input."""

from __future__ import annotations

import subprocess
import sys

import pytest
from flask.testing import FlaskClient

from surge.demo import create_app
from surge.demo.model import build_model


@pytest.fixture(scope="module")
def client() -> FlaskClient:
    return create_app().test_client()


def test_hello_and_health(client: FlaskClient) -> None:
    assert client.get("/").json["message"] == "hello from the surge demo"  # type: ignore[index]
    assert client.get("/health").json["status"] == "ok"  # type: ignore[index]


def test_io_waits_and_counts_in_flight(client: FlaskClient) -> None:
    body = client.get("/io?ms=0").json
    assert body is not None and body["waited_ms"] == 0 and body["in_flight"] == 1


def test_cpu_is_deterministic(client: FlaskClient) -> None:
    expected = 0
    for i in range(1000):
        expected = (expected + i * i) % 1_000_003
    assert client.get("/cpu?n=1000").json["result"] == expected  # type: ignore[index]


def test_model_recovers_the_weights_it_was_drawn_from() -> None:
    model = build_model()
    assert model == build_model()  # fixed seed: every worker fits the same model
    for fitted, true in zip(model.weights, (1.5, -2.0, 0.75, 3.0), strict=True):
        assert abs(fitted - true) < 0.05
    assert abs(model.bias - 0.5) < 0.05


def test_predict(client: FlaskClient) -> None:
    response = client.post("/predict", json={"features": [1, 0, 0, 0]})
    assert response.status_code == 200
    model = build_model()
    assert response.json["prediction"] == pytest.approx(model.bias + model.weights[0])  # type: ignore[index]


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("get", "/io?ms=abc", {}),
        ("get", "/io?ms=-1", {}),
        ("get", "/io?ms=1e9", {}),
        ("get", "/io?ms=1.5", {}),
        ("get", "/io?ms=nan", {}),
        ("get", "/cpu?n=0", {}),
        ("get", "/cpu?n=inf", {}),
        ("get", "/cpu?n=99999999999", {}),
        ("post", "/predict", {"data": "not json", "content_type": "application/json"}),
        ("post", "/predict", {"data": "{}", "content_type": "text/plain"}),
        ("post", "/predict", {"json": [1, 2, 3, 4]}),
        ("post", "/predict", {"json": {"features": [1, 2, 3]}}),
        ("post", "/predict", {"json": {"features": [1, 2, 3, "4"]}}),
        ("post", "/predict", {"json": {"features": [1, 2, 3, True]}}),
        ("post", "/predict", {"json": {"features": [1, 2, 3, None]}}),
        ("post", "/predict", {"json": {"features": "1,2,3,4"}}),
        ("post", "/predict", {"data": '{"features": [1, 2, 3, NaN]}', "content_type": "application/json"}),
        ("post", "/predict", {"data": '{"features": [1, 2, 3, 1e999]}', "content_type": "application/json"}),
    ],
)
def test_bad_input_is_400_json(
    client: FlaskClient, method: str, path: str, kwargs: dict[str, object]
) -> None:
    response = getattr(client, method)(path, **kwargs)
    assert response.status_code == 400, response.data
    assert isinstance(response.json["error"], str)  # type: ignore[index]


def test_unknown_paths_and_methods_are_json(client: FlaskClient) -> None:
    assert client.get("/nope").status_code == 404
    assert client.get("/predict").status_code == 405
    assert "error" in client.get("/nope").json  # type: ignore[operator]


def test_importing_the_package_does_no_work() -> None:
    code = "import sys, surge.demo; print('flask' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
