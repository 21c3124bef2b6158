"""A report that fails while being written leaves nothing behind and never touches existing files (issue 10).

The failures are real: the kernel's file-size limit (RLIMIT_FSIZE, as a quota would) makes the
copy of plotly.min.js, one of the last files written, fail with EFBIG; and a user's file named
``content`` stands where the report needs a folder.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path

from surge.results.columns import DEFAULT_HEADER

# Above every file of a small report except plotly.min.js (about 4.8 MB).
FILE_SIZE_LIMIT = 2_000_000
# Room for Python, DuckDB and its threads, not for 30,000 percentile curves of 1,000 points.
ADDRESS_SPACE = 1_500_000_000


def _results(path: Path, rows: int, label: str) -> Path:
    lines = [DEFAULT_HEADER]
    for i in range(rows):
        lines.append(
            f"{1_700_000_000_000 + i * 250},{20 + i % 13},{label},200,OK,T 1-1,text,true,,100,50,1,1,"
            f"http://127.0.0.1/,{10 + i % 5},0,0"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _report(*args: str | Path, file_size_limit: int | None = None) -> subprocess.CompletedProcess[str]:
    def limit() -> None:
        if file_size_limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_limit, file_size_limit))

    return subprocess.run(
        [sys.executable, "-m", "surge", "report", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=150,
        check=False,
        preexec_fn=limit,
    )


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def _one_line_error(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 1, (proc.returncode, proc.stderr)  # not bad input: the output failed
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    return lines[0]


def test_a_failure_while_writing_leaves_no_output_folder(tmp_path: Path) -> None:
    results = _results(tmp_path / "r.jtl", 200, "GET /")
    out = tmp_path / "new" / "report"  # its parent does not exist either
    proc = _report(results, "-o", out, file_size_limit=FILE_SIZE_LIMIT)
    error = _one_line_error(proc)
    assert "cannot write the report into" in error and "too large" in error.lower()
    assert not out.exists()
    assert not (tmp_path / "new").exists()  # the parent made for it is gone too
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.jtl"]


def test_a_failure_while_rewriting_leaves_the_old_report_untouched(tmp_path: Path) -> None:
    out = tmp_path / "report"
    first = _report(_results(tmp_path / "a.jtl", 200, "GET /a"), "-o", out)
    assert first.returncode == 0, first.stderr
    (out / "my-notes.txt").write_text("mine", encoding="utf-8")
    before = _snapshot(out)
    proc = _report(
        _results(tmp_path / "b.jtl", 300, "GET /b"), "-o", out, "--force", file_size_limit=FILE_SIZE_LIMIT
    )
    assert "cannot write the report into" in _one_line_error(proc)
    assert _snapshot(out) == before  # statistics.json, index.html, every page: as they were
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.jtl", "b.jtl", "report"]  # no temporary folder


def test_a_file_in_the_way_is_found_before_anything_is_replaced(tmp_path: Path) -> None:
    out = tmp_path / "report"
    out.mkdir()
    (out / "statistics.json").write_text("{}", encoding="utf-8")
    (out / "content").write_text("a file where the report needs a folder", encoding="utf-8")
    before = _snapshot(out)
    proc = _report(_results(tmp_path / "r.jtl", 50, "GET /"), "-o", out, "--force")
    error = _one_line_error(proc)
    assert "content" in error and "nothing was changed" in error
    assert _snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.jtl", "report"]


def test_forced_rewrite_replaces_our_files_and_keeps_theirs(tmp_path: Path) -> None:
    out = tmp_path / "report"
    assert _report(_results(tmp_path / "a.jtl", 100, "GET /a"), "-o", out).returncode == 0
    (out / "content" / "my-notes.txt").write_text("mine", encoding="utf-8")
    proc = _report(_results(tmp_path / "b.jtl", 100, "GET /b"), "-o", out, "--force")
    assert proc.returncode == 0, proc.stderr
    assert "GET /b" in (out / "statistics.json").read_text(encoding="utf-8")
    assert "GET /a" not in (out / "statistics.json").read_text(encoding="utf-8")
    assert (out / "content" / "my-notes.txt").read_text(encoding="utf-8") == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.jtl", "b.jtl", "report"]


def test_the_report_folder_gets_the_usual_permissions(tmp_path: Path) -> None:
    assert _report(_results(tmp_path / "r.jtl", 20, "GET /"), "-o", tmp_path / "report").returncode == 0
    (tmp_path / "plain").mkdir()  # what the umask gives a new folder
    assert (tmp_path / "report").stat().st_mode == (tmp_path / "plain").stat().st_mode


def _many_labels(path: Path, labels: int) -> Path:
    lines = [DEFAULT_HEADER]
    for i in range(labels):
        lines.append(
            f"{1_700_000_000_000 + i * 10},{40 + i % 50},GET /item/{i},200,OK,T 1-1,text,true,,1,1,1,1,u,3,"
            "0,0"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _report_in(address_space: int, *args: str | Path) -> subprocess.CompletedProcess[str]:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))

    return subprocess.run(
        [sys.executable, "-m", "surge", "report", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=150,
        check=False,
        preexec_fn=limit,
    )


def test_many_labels_report_in_bounded_memory_and_running_out_is_one_line(tmp_path: Path) -> None:
    # 30,000 labels (one per URL id). Drawing each one (1,000 points of percentile curve apiece)
    # does not fit in 1.5 GB of address space; the default charts (20 labels and "Other") do.
    results = _many_labels(tmp_path / "many.jtl", 30_000)
    ok = _report_in(ADDRESS_SPACE, results, "-o", tmp_path / "report")
    assert ok.returncode == 0, ok.stderr
    statistics = json.loads((tmp_path / "report" / "statistics.json").read_text(encoding="utf-8"))
    assert len(statistics) == 30_001  # every label and the Total: statistics.json stays complete
    failed = _report_in(ADDRESS_SPACE, results, "-o", tmp_path / "all", "--chart-labels", "all")
    error = _one_line_error(failed)
    assert "not enough memory" in error and "--chart-labels" in error
    assert not (tmp_path / "all").exists()


def test_the_current_folder_as_output(tmp_path: Path) -> None:
    results = _results(tmp_path / "r.jtl", 20, "GET /")
    out = tmp_path / "out"
    out.mkdir()
    proc = subprocess.run(
        [sys.executable, "-m", "surge", "report", str(results), "-o", "."],
        capture_output=True,
        text=True,
        timeout=150,
        check=False,
        cwd=out,
    )
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in out.iterdir()) == ["content", "index.html", "statistics.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "r.jtl"]
