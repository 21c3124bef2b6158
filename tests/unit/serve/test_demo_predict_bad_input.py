"""The demo's /predict answers bad input 400 with a JSON error, never 500: three known cases and a fuzz test.

The fuzz test (hypothesis, derandomized so every run tries the same bounded set of bodies) posts
random JSON values, feature lists full of huge and tiny numbers, deep nesting and raw bytes. Every
answer must be 200 or 400, valid JSON without NaN or Infinity (which JSON has no words for), and
a 200 must carry a finite prediction.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surge.demo import create_app

DEEP = 100_000


@pytest.fixture(scope="module")
def client() -> FlaskClient:
    return create_app().test_client()


def _strict_json(data: bytes) -> Any:
    def refuse(name: str) -> None:
        raise AssertionError(f"the answer holds {name}, which is not JSON: {data[:200]!r}")

    return json.loads(data, parse_constant=refuse)


def _post(client: FlaskClient, body: bytes | str) -> tuple[int, Any]:
    response = client.post("/predict", data=body, content_type="application/json")
    return response.status_code, _strict_json(response.data)


def _assert_400(client: FlaskClient, body: bytes | str, words: str) -> None:
    status, answer = _post(client, body)
    assert status == 400, answer
    assert isinstance(answer, dict) and isinstance(answer["error"], str), answer
    assert words in answer["error"], answer


def test_integer_hundreds_of_digits_long(client: FlaskClient) -> None:
    _assert_400(client, '{"features": [%s, 1, 2, 3]}' % ("9" * 400), "finite numbers")
    _assert_400(client, '{"features": [-%s, 1, 2, 3]}' % ("1" + "0" * 350), "finite numbers")
    # Past Python's 4300-digit limit for int(), still the same answer.
    _assert_400(client, '{"features": [%s, 1, 2, 3]}' % ("7" * 5000), "finite numbers")


def test_features_whose_prediction_overflows(client: FlaskClient) -> None:
    _assert_400(client, '{"features": [1e308, 1e308, 1e308, 1e308]}', "too large")
    # One sign changed: the sum used to come out inf and was sent as Infinity with a 200.
    _assert_400(client, '{"features": [1e308, -1e308, 1e308, 1e308]}', "too large")


def test_json_nested_100000_levels_deep(client: FlaskClient) -> None:
    _assert_400(client, "[" * DEEP + "]" * DEEP, "nested too deeply")
    _assert_400(client, '{"features": ' + "[" * DEEP + "]" * DEEP + "}", "nested too deeply")


def test_nan_and_infinity_are_not_json(client: FlaskClient) -> None:
    _assert_400(client, '{"features": [NaN, 1, 2, 3]}', "not valid JSON")
    _assert_400(client, '{"features": [-Infinity, 1, 2, 3]}', "not valid JSON")


def test_a_body_over_the_limit_is_413_json(client: FlaskClient) -> None:
    response = client.post("/predict", data=b" " * (2 * 1024 * 1024), content_type="application/json")
    assert response.status_code == 413
    assert isinstance(_strict_json(response.data)["error"], str)


def test_a_good_body_still_predicts(client: FlaskClient) -> None:
    status, answer = _post(client, '{"features": [1e300, -2, 0.5, 7]}')
    assert status == 200 and answer["features"] == [1e300, -2.0, 0.5, 7.0]


_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**400), max_value=10**400)
    | st.floats()  # NaN and ±inf too: json.dumps writes them as NaN / Infinity
    | st.text(max_size=20)
)
_json_values = st.recursive(
    _scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=25,
)
_numbers = (
    st.integers(min_value=-(10**500), max_value=10**500)
    | st.floats()
    | st.floats(min_value=1e300, max_value=1.7e308)
    | st.floats(min_value=-1.7e308, max_value=-1e300)
)
_bodies = st.one_of(
    _json_values.map(json.dumps),
    st.lists(_numbers, max_size=6).map(lambda features: json.dumps({"features": features})),
    st.lists(_numbers, min_size=4, max_size=4).map(lambda features: json.dumps({"features": features})),
    st.lists(_json_values | _numbers, min_size=4, max_size=4).map(lambda f: json.dumps({"features": f})),
    st.integers(min_value=1, max_value=5000).map(lambda depth: "[" * depth + "]" * depth),
    st.binary(max_size=300),
)


@settings(max_examples=400, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(body=_bodies)
def test_fuzz_predict_never_answers_500(client: FlaskClient, body: str | bytes) -> None:
    status, answer = _post(client, body)
    assert status in (200, 400), (status, answer)
    if status == 200:
        assert isinstance(answer["prediction"], float)
    else:
        assert isinstance(answer["error"], str)
