"""``surge serve``'s options are declared once, on ServeOptions: the command line is generated from it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from surge.cli import build_parser
from surge.cli.serve import options_from_args
from surge.optionspec import declared_options
from surge.serve.options import ServeOptions


def parse(*argv: str) -> ServeOptions:
    return options_from_args(build_parser().parse_args(["serve", "surge.demo:app", *argv]))


def test_every_field_but_the_app_is_an_option_in_help() -> None:
    names = {f.name for f in dataclasses.fields(ServeOptions)}
    declared = {field.name for field, _ in declared_options(ServeOptions)}
    assert names - declared == {"app"}
    serve = build_parser()._subparsers._group_actions[0].choices["serve"]  # type: ignore[union-attr]
    help_text = serve.format_help()
    for _, spec in declared_options(ServeOptions):
        assert spec.flags[-1] in help_text


def test_nothing_given_is_the_dataclass_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
    assert parse() == ServeOptions(app="surge.demo:app")


def test_given_values_reach_their_fields() -> None:
    options = parse(
        "--mode", "gthread", "-w", "3", "--threads", "8", "--timeout", "5s", "--keepalive", "500ms",
        "--log-max-size", "2MB", "--log-backups", "2", "--run-dir", "elsewhere", "-D", "--preload",
        "--log-level", "debug", "--bind", "127.0.0.1:9001",
    )  # fmt: skip
    assert (options.mode, options.workers, options.threads) == ("gthread", 3, 8)
    assert (options.timeout_s, options.keepalive_s) == (5.0, 0.5)
    assert (options.log_max_bytes, options.log_backups) == (2 * 1024**2, 2)
    assert (options.run_dir, options.daemon, options.preload) == (Path("elsewhere"), True, True)
    assert (options.log_level, options.bind) == ("debug", "127.0.0.1:9001")
    assert parse("-w", "auto").workers is None


def test_defaults_in_help_come_from_the_fields() -> None:
    serve = build_parser()._subparsers._group_actions[0].choices["serve"]  # type: ignore[union-attr]
    text = " ".join(serve.format_help().split())
    assert "(default 30s)" in text and "(default 2s)" in text and "(default 10MB)" in text
    assert "(default 127.0.0.1:8000)" in text and "(default ./surge-run)" in text


def test_environment_default_for_trusted_proxies_unless_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "10.0.0.1")
    assert parse().forwarded_allow_ips == "10.0.0.1"
    assert parse("--forwarded-allow-ips", "*").forwarded_allow_ips == "*"


def test_bad_values_are_argparse_errors(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        parse("--timeout", "soon")
    assert exited.value.code == 2
    assert capsys.readouterr().err.count("\n") == 1
