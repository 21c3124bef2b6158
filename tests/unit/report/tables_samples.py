"""Build a small ``samples`` table (the loader's contract) directly, for the table tests."""

from __future__ import annotations

from typing import Any

import duckdb

_COLUMNS = (
    "row_id BIGINT, start_ms BIGINT, end_ms BIGINT, elapsed_ms BIGINT, label VARCHAR, response_code VARCHAR,"
    " response_message VARCHAR, thread_name VARCHAR, thread_group VARCHAR, success BOOLEAN,"
    " failure_message VARCHAR, bytes BIGINT, sent_bytes BIGINT, grp_threads BIGINT, all_threads BIGINT,"
    " url VARCHAR, latency_ms BIGINT, connect_ms BIGINT, queue_ms BIGINT, is_controller BOOLEAN,"
    " is_empty_controller BOOLEAN, in_label_filter BOOLEAN"
)


def tc_message(children: int, failing: int = 0) -> str:
    return f"Number of samples in transaction : {children}, number of failing samples : {failing}"


def sample(
    label: str,
    start_ms: int,
    elapsed_ms: int,
    *,
    success: bool = True,
    code: str = "200",
    message: str = "OK",
    failure: str = "",
    bytes_: int = 1000,
    sent: int = 100,
    in_filter: bool = True,
) -> dict[str, Any]:
    return {
        "label": label,
        "start_ms": start_ms,
        "elapsed_ms": elapsed_ms,
        "success": success,
        "code": code,
        "message": message,
        "failure": failure,
        "bytes": bytes_,
        "sent": sent,
        "in_filter": in_filter,
    }


def make_samples(rows: list[dict[str, Any]]) -> Any:
    """A DuckDB connection whose ``samples`` table holds ``rows`` in this (file) order."""
    con = duckdb.connect()
    con.execute(f"CREATE TABLE samples ({_COLUMNS})")
    values = []
    for row_id, r in enumerate(rows):
        message = r["message"]
        is_tc = message.startswith("Number of samples in transaction")
        values.append(
            (
                row_id,
                r["start_ms"],
                r["start_ms"] + r["elapsed_ms"],
                r["elapsed_ms"],
                r["label"],
                r["code"],
                message,
                "Group 1-1",
                "Group",
                r["success"],
                r["failure"],
                r["bytes"],
                r["sent"],
                1,
                1,
                "http://127.0.0.1/",
                0,
                0,
                None,
                is_tc,
                message.startswith("Number of samples in transaction : 0"),
                r["in_filter"],
            )
        )
    if values:
        con.executemany(f"INSERT INTO samples VALUES ({', '.join(['?'] * 22)})", values)
    return con
