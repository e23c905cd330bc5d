"""The benchmark suite runs end to end at a tiny scale and reports well-formed results.

No timing assertions: only that every workload ran (or was skipped with a reason), printed one JSON
line, and that the table and the --json-out document agree with those lines.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
WORKLOADS = ["linear-5", "dispatch", "fanout", "system-only", "history", "retention", "memory", "crash", "schedules"]
# Metrics each workload reports when it ran (skipped ones need only a note saying why).
REQUIRED = {
    "linear-5": ["tasks_per_s", "workflows_per_s", "start_p99_ms", "poll_p99_ms", "update_p99_ms", "e2e_p99_ms",
                 "server_cpu_ms_per_task"],
    "dispatch": ["start_to_task_p50_ms", "start_to_task_p99_ms", "update_to_next_p50_ms", "update_to_next_p99_ms"],
    "fanout": ["tasks_per_s", "vs_linear5"],
    "system-only": ["workflows_per_s"],
    "history": ["history_workflows", "tasks_per_s", "vs_empty_store", "search_p50_ms", "search_p99_ms"],
    "retention": ["backlog_workflows", "tasks_per_s", "vs_linear5", "removed_per_s"],
    "memory": ["rss_mb", "rss_growth_mb"],
    "crash": ["lost", "refs_completed_twice", "restart_to_first_task_ms"],
    "schedules": ["lateness_p99_ms", "idle_cpu_ms_per_s_between_fires", "idle_cpu_added_ms_per_s"],
}  # fmt: skip


def _run_bench(tmp_path: Path, *args: str) -> tuple[list[dict[str, Any]], subprocess.CompletedProcess[str]]:
    cmd = [sys.executable, "-m", "bench", "--scale", "0.01", "--history-size", "20000", "--wait", "120", *args]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=880, check=False)
    assert proc.returncode == 0, proc.stderr[-4000:]
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    for r in lines:
        _check_result(r, proc.stderr)
    return lines, proc


@pytest.mark.timeout(900)
def test_bench_smoke_run(tmp_path: Path) -> None:
    out_file = tmp_path / "bench.json"
    lines, proc = _run_bench(tmp_path, "--json-out", str(out_file))
    assert [r["workload"] for r in lines] == WORKLOADS, proc.stderr[-4000:]

    by_name = {r["workload"]: r for r in lines}
    assert by_name["linear-5"]["status"] == "ok"
    assert by_name["linear-5"]["metrics"]["completed"] == by_name["linear-5"]["metrics"]["workflows"] == 20
    assert by_name["dispatch"]["metrics"]["start_to_task_samples"] == 5
    assert by_name["history"]["metrics"]["history_workflows"] == 200

    doc = json.loads(out_file.read_text())
    assert doc["machine"]["cores"] == os.cpu_count()
    assert doc["results"] == lines

    table = proc.stdout.split("\n\n", 1)[1]
    assert "cores" in table and "share these cores" in table
    for r in lines:
        assert f"{r['workload']} [{r['status']}]" in table
        for t in r["targets"]:
            assert f"TARGET {t['metric']}" in table


@pytest.mark.timeout(900)
def test_bench_smoke_run_on_postgres(tmp_path: Path, postgres: Any) -> None:
    """--db postgresql://...: each workload gets a database of its own, dropped afterwards."""
    only = ["linear-5", "history", "crash"]
    lines, proc = _run_bench(tmp_path, "--db", postgres.url(), "--only", ",".join(only))
    assert [r["workload"] for r in lines] == only, proc.stderr[-4000:]
    assert all(r["status"] == "ok" for r in lines), proc.stderr[-4000:]
    assert "db_cpu_ms_per_task" in lines[0]["metrics"]
    with postgres.admin() as c:
        names = [row[0] for row in c.execute("SELECT datname FROM pg_database").fetchall()]
    assert not [n for n in names if str(n).startswith("podium_bench_")]


@pytest.mark.timeout(900)
def test_bench_nodes_run_in_rounds_with_separate_servers_as_control(tmp_path: Path, postgres: Any) -> None:
    """--nodes 1,2 --repeat 2: each round runs one node, two nodes and two independent servers; the
    ratios are per round, and every database made for them is dropped."""
    lines, proc = _run_bench(tmp_path, "--db", postgres.url(), "--only", "linear-5", "--nodes", "1,2", "--repeat", "2")
    m = lines[0]["metrics"]
    assert len(m["n2_total_cpu_vs_1_node_rounds"]) == 2, proc.stderr[-4000:]
    assert m["n2_total_cpu_vs_1_node"] == max(m["n2_total_cpu_vs_1_node_rounds"])  # the upper median of two
    assert len(m["n2_separate_total_cpu_ms_per_task_runs"]) == 2
    assert len(m["n2_total_cpu_vs_2_separate_rounds"]) == 2
    assert proc.stderr.count("on 2 separate servers") == 2
    with postgres.admin() as c:
        names = [row[0] for row in c.execute("SELECT datname FROM pg_database").fetchall()]
    assert not [n for n in names if str(n).startswith("podium_bench_")]


def _check_result(r: dict[str, Any], log: str) -> None:
    name = r["workload"]
    assert set(r) >= {"workload", "status", "metrics", "targets", "notes", "seconds"}
    assert r["status"] in ("ok", "skipped"), f"{name}: {r['notes']}\n{log[-3000:]}"
    assert all(isinstance(n, str) and n for n in r["notes"])
    if r["status"] == "skipped":
        assert r["notes"], f"{name} was skipped without saying why"
        return
    for key in REQUIRED[name]:
        assert isinstance(r["metrics"].get(key), int | float), f"{name}: metric {key} = {r['metrics'].get(key)!r}"
    assert r["targets"], f"{name} has no targets"
    for t in r["targets"]:
        assert set(t) == {"metric", "op", "threshold", "value", "met"}
        assert t["op"] in (">=", "<=")
        assert isinstance(t["value"], float)
        assert t["met"] is (t["value"] >= t["threshold"] if t["op"] == ">=" else t["value"] <= t["threshold"])


@pytest.mark.timeout(600)
def test_bench_repeat_reports_the_median_runs(tmp_path: Path) -> None:
    lines, proc = _run_bench(tmp_path, "--only", "linear-5,fanout", "--repeat", "3")
    m = lines[0]["metrics"]
    runs = m["server_cpu_ms_per_task_runs"]
    assert len(runs) == 3 and len(m["tasks_per_s_runs"]) == 3, proc.stderr[-4000:]
    assert m["server_cpu_ms_per_task"] == sorted(runs)[1]
    assert "server_cpu_ms_per_task_runs" in proc.stdout
    # A ratio workload pairs each of its runs with a linear-5 run of its own, just before it.
    f = lines[1]["metrics"]
    assert len(f["vs_linear5_runs"]) == len(f["linear5_tasks_per_s_runs"]) == 3
    assert f["vs_linear5"] == sorted(f["vs_linear5_runs"])[1]
