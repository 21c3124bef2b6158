"""Plan files: the documented example loads; every kind of error is refused with file:line."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from surge.errors import UsageError
from surge.plan import Stage
from surge.scenario.flow import Flow
from surge.scenario.plan_file import load_plan_file
from surge.scenario.script import ScriptBehaviour
from surge.scenario.toml_lines import key_lines

DOCS = Path(__file__).resolve().parents[3] / "docs" / "scenarios.md"

BASE = """\
base_url = "http://127.0.0.1:8000"

[requests.home]
url = "/"

[[groups]]
users = 2
"""


def write(tmp_path: Path, text: str, csv: str | None = "user,password\nada,pw\n") -> Path:
    if csv is not None:
        (tmp_path / "accounts.csv").write_text(csv)
    path = tmp_path / "plan.toml"
    path.write_text(textwrap.dedent(text))
    return path


def error_of(path: Path) -> str:
    with pytest.raises(UsageError) as info:
        load_plan_file(path)
    return str(info.value)


def test_documented_example_loads(tmp_path: Path) -> None:
    block = re.search(r"```toml\n(.*?)```", DOCS.read_text(), re.S)
    assert block is not None
    plan_path = write(tmp_path, block.group(1), csv="username,password,term\nada,pw,shoes\nbob,pw,hats\n")
    plan = load_plan_file(plan_path)
    assert [t.text for t in plan.thresholds] == ["p95<300ms", "error_rate<1%", "login:p99<1s"]
    buyers, browsers = plan.groups
    assert (buyers.name, buyers.load.users, buyers.load.ramp_up_s, buyers.load.duration_s) == (
        "buyers",
        20,
        10.0,
        60.0,
    )
    assert (browsers.load.duration_s, browsers.load.iterations) == (30.0, 100)
    flow = buyers.behaviour
    assert isinstance(flow, Flow)
    assert [r.name for r in flow.requests] == ["login", "search", "item", "order"]
    assert flow.feeder is not None and flow.feeder.mode == "unique" and len(flow.feeder.rows) == 2
    assert flow.think_time.stddev_s == 0.25 and flow.variables == (("currency", "EUR"),)
    login = flow.requests[0]
    assert login.label == "login" and login.method == "POST" and [e.variable for e in login.extract] == [
        "token", "user_id", "session",
    ]  # fmt: skip
    assert flow.requests[2].label == "GET /api/items/${item}"
    other = browsers.behaviour
    assert isinstance(other, Flow) and other.weights == (3.0, 1.0)
    assert plan.client.timeout_s == 10.0 and plan.client.is_ok(404) and not plan.client.is_ok(302)


def test_open_model_group(tmp_path: Path) -> None:
    plan = load_plan_file(
        write(tmp_path, BASE.replace("users = 2", 'stages = "10s:50,5s:0"\nmax_in_flight = 20'))
    )
    (group,) = plan.groups
    assert (
        group.behaviour is None and group.load.is_open and group.load.stages == (Stage(10, 50), Stage(5, 0))
    )
    assert group.requests[0].url == "http://127.0.0.1:8000/"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (BASE + "userz = 3\n", 8, "unknown key 'userz' in [[groups]]"),
        (BASE.replace('url = "/"', 'url = "/"\nmetod = "GET"'), 5, "unknown key 'metod' in [requests.home]"),
        ('base_url = "ftp://x"\n' + BASE[BASE.index("\n") :], 1, "only http:// and https://"),
        (BASE.replace('url = "/"', 'url = "http://exa mple.com/"'), 4, "invalid URL"),
        (BASE.replace('url = "/"', 'url = "http://${host}/"'), 4, "host"),
        (BASE + 'feeder = "nope"\n', 8, "unknown feeder 'nope'"),
        (BASE + 'journey = ["home", "away"]\n', 8, "unknown request 'away'"),
        (BASE + "users = -1\n", 8, None),  # duplicate key: a TOML syntax error
        (BASE.replace("users = 2", "users = 0"), 6, "users must be at least 1"),
        (BASE.replace("users = 2", 'users = "two"'), 7, "users must be an integer"),
        (BASE + 'think_time = "fast"\n', 8, "invalid duration 'fast'"),
        (
            BASE + "[requests.x]\nurl = '/x'\nextract = [\n  { var = 'a', json = '$.a' },\n"
            "  { var = 'b', regex = '(b' },\n]\n",
            12,
            "invalid regex '(b'",
        ),
        (BASE + "[requests.x]\nurl = '/x'\nassert = { json = { 'a.b' = 1 } }\n", 10, "JSON path"),
        (BASE + "[requests.x]\nurl = '/x'\nassert = { status = 2000 }\n", 10, "invalid status 2000"),
        (
            BASE + "[requests.x]\nurl = '/x'\nassert = { equals = 'a' }\n",
            10,
            "unknown key 'equals' in assert",
        ),
        ('thresholds = ["p95<<1"]\n' + BASE, 1, "invalid threshold"),
        (BASE + "[feeders.f]\nfile = 'missing.csv'\n", 9, "cannot read CSV file"),
        (
            BASE + "[feeders.f]\nfile = 'accounts.csv'\nmode = 'shuffled'\n",
            10,
            "unknown feeder mode 'shuffled'",
        ),
        (
            BASE + 'rate = 10\njourney = ["home"]\nfeeder = "f"\n[feeders.f]\nfile = "accounts.csv"\n',
            10,
            "feeders need users",
        ),
        ("[requests.home]\nurl = '/'\n[[groups]]\n", 2, "needs a base_url"),
        (BASE.replace("[[groups]]\nusers = 2\n", ""), 1, "no [[groups]]"),
        (BASE + "[requests.x]\nurl = 'http://a/'\nbody = 'x'\njson = 1\n", 11, "body or json, not both"),
    ],
)
def test_errors_name_file_and_line(tmp_path: Path, text: str, line: int, message: str | None) -> None:
    path = write(tmp_path, text)
    error = error_of(path)
    assert error.startswith(f"{path}:{line}: "), error
    if message is not None:
        assert message in error, error
    assert "\n" not in error


def test_syntax_errors_keep_tomllibs_line(tmp_path: Path) -> None:
    path = write(tmp_path, 'base_url = "http://x"\n\n[requests.a\nurl = "/"\n')
    assert error_of(path).startswith(f"{path}:3: invalid TOML: ")


def test_bad_csv_shape(tmp_path: Path) -> None:
    path = write(tmp_path, BASE + "[feeders.f]\nfile = 'accounts.csv'\n", csv="a,b\n1,2\n3\n")
    error = error_of(path)
    assert error.startswith(f"{path}:9: ") and "accounts.csv:3: 1 fields where the header has 2" in error


def test_key_lines_follow_tables_arrays_and_inline_tables() -> None:
    text = textwrap.dedent(
        """\
        top = 1  # a comment with = sign
        [a.b]
        "quoted.key" = 'x = y'
        multi = \"\"\"
        fake = 1
        \"\"\"
        list = [
          { k = 1 },
          { k = 2, inner = { deep = [1, 2] } },
        ]
        [[arr]]
        x = 1
        [[arr]]
        y.z = 2
        """
    )
    lines = key_lines(text)
    assert lines[("top",)] == 1
    assert lines[("a", "b", "quoted.key")] == 3
    assert ("a", "b", "fake") not in lines
    assert lines[("a", "b", "list", 1, "inner", "deep")] == 9
    assert lines[("a", "b", "list", 0)] == 8
    assert lines[("arr", 0, "x")] == 12 and lines[("arr", 1, "y", "z")] == 14


def test_script_behaviour_is_plain_data() -> None:
    assert ScriptBehaviour("/x.py").function == "user"
