"""Run-wide options and helpers shared by the workloads: scaling, temp dirs, servers, names."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench import pg
from bench.server import Server, proc_cpu_seconds, proc_tree_cpu_seconds
from bench.stats import Result


@dataclass(slots=True)
class Options:
    """Command-line options (see ``python -m bench --help``)."""

    db: str | None = None
    scale: float = 1.0
    history_size: int = 100_000
    workers: int = 2
    pollers: int = 4
    batch: int = 8
    poll_timeout_ms: int = 100
    inflight: int = 128
    starters: int = 2
    profile_dir: Path | None = None
    server_pythonpath: str | None = None
    keep: bool = False
    wait_s: float = 300.0
    wait_idle_s: float = 0.0
    nodes: tuple[int, ...] = (1,)  # linear-5 (and dispatch): server processes on one PostgreSQL database, per run
    pg_log: Path | None = None  # the PostgreSQL server's log, for its lock waits (log_lock_waits)
    repeat: int = 1  # linear-5: runs on fresh servers; the one with the median server CPU per task is reported


@dataclass
class Context:
    """State of one `python -m bench` run."""

    opts: Options
    run_id: str = field(default_factory=lambda: secrets.token_hex(3))
    results: dict[str, Result] = field(default_factory=dict)
    root: Path = field(init=False)
    _pg_dbs: dict[str, str | None] = field(default_factory=dict)  # workload -> its database URL

    def __post_init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="podium-bench-"))

    def count(self, base: int, minimum: int = 1) -> int:
        """A workflow count scaled by --scale."""
        return max(minimum, round(base * self.opts.scale))

    def name(self, kind: str) -> str:
        """A definition name unique to this run (a shared PostgreSQL database sees several runs)."""
        return f"bench_{kind}_{self.run_id}"

    def workdir(self, workload: str) -> Path:
        d = self.root / workload
        d.mkdir(parents=True, exist_ok=True)
        return d

    def db_url(self, workdir: Path) -> str:
        """SQLite: a file in the workload's temp dir. PostgreSQL: a database made for the workload."""
        if self.opts.db is None:
            return f"sqlite:///{workdir / 'podium.db'}"
        if self.sqlite:
            return self.opts.db
        workload = workdir.name
        if workload not in self._pg_dbs:
            self._pg_dbs[workload] = pg.create_database(self.opts.db, f"podium_bench_{self.run_id}_{workload}")
        return self._pg_dbs[workload] or self.opts.db

    def server(self, workdir: Path, env: dict[str, str] | None = None) -> Server:
        return Server(self.db_url(workdir), workdir, pythonpath=self.opts.server_pythonpath, env=env)

    def servers(self, workdir: Path, n: int, separate: bool = False) -> list[Server]:
        """``n`` servers on the workload's one database, each with its own port and log dir; with
        ``separate``, each on a database of its own (independent servers sharing only the machine)."""
        if n == 1:
            return [self.server(workdir)]
        url = None if separate else self.db_url(workdir)
        out: list[Server] = []
        for i in range(n):
            sub = workdir / f"{workdir.name}-node{i}" if separate else workdir / f"node{i}"
            sub.mkdir(exist_ok=True)
            out.append(Server(url or self.db_url(sub), sub, pythonpath=self.opts.server_pythonpath))
        return out

    @property
    def sqlite(self) -> bool:
        return self.opts.db is None or self.opts.db.startswith("sqlite")

    def log(self, msg: str) -> None:
        print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)

    def cleanup(self, workload: str) -> None:
        """Remove a workload's work dirs and databases (its repeated runs' ``<workload>-…`` ones too)."""
        if self.opts.keep:
            return
        for name in [workload, *(k for k in self._pg_dbs if k.startswith(f"{workload}-"))]:
            shutil.rmtree(self.root / name, ignore_errors=True)
            self._drop_db(name)

    def _drop_db(self, name: str) -> None:
        url = self._pg_dbs.pop(name, None)
        if url and self.opts.db:
            pg.drop_database(self.opts.db, url)

    def close(self) -> None:
        if self.opts.keep:
            self.log(f"kept work files in {self.root}")
            return
        for name in list(self._pg_dbs):  # runs made for another workload (a ratio's own linear-5 runs)
            with contextlib.suppress(Exception):
                self._drop_db(name)
        shutil.rmtree(self.root, ignore_errors=True)


def cpu_of(pids: list[int]) -> float:
    """Summed CPU seconds of live processes (gone ones count 0)."""
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError):
            total += proc_cpu_seconds(pid)
    return total


def pids_named(comm: str) -> list[int]:
    """Ids of the processes whose command name is ``comm`` (e.g. a local PostgreSQL's backends)."""
    out: list[int] = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                if Path(f"/proc/{entry}/comm").read_text().strip() == comm:
                    out.append(int(entry))
    return out


def system_busy_cpu() -> float:
    """CPU seconds all processes on the machine have used (/proc/stat, every core, idle excluded)."""
    with open("/proc/stat") as f:
        fields = f.readline().split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def self_cpu() -> float:
    return time.process_time()


class CpuMeter:
    """CPU used during a measured phase: the server(s), our helpers, a local database, everything else.

    ``other_cpu_s`` is what the rest of the machine used meanwhile (other people's test runs compete
    for the same two cores and make throughput figures unreliable). With several server processes
    (nodes) the server figures are their sum, and each node's share is reported as well.
    """

    def __init__(
        self, server_pid: int | list[int], helper_pids: list[int] | None = None, db_pids: list[int] | None = None
    ) -> None:
        servers = [server_pid] if isinstance(server_pid, int) else list(server_pid)
        self._pids = (servers, list(helper_pids or []), list(db_pids or []))
        self._start = self._read()

    def _read(self) -> tuple[float, float, float, float, float, tuple[float, ...]]:
        servers, helpers, db = self._pids
        per_node = tuple(proc_tree_cpu_seconds(pid) for pid in servers)
        return (time.monotonic(), cpu_of(helpers), cpu_of(db), self_cpu(), system_busy_cpu(), per_node)

    def stop(self, units: int, unit: str = "task") -> dict[str, float | None]:
        """Figures for the phase; ``units`` is what the per-unit server CPU is divided by."""
        end = self._read()
        t, helpers, db, own, busy = (b - a for a, b in zip(self._start[:5], end[:5], strict=True))
        nodes = [b - a for a, b in zip(self._start[5], end[5], strict=True)]
        server = sum(nodes)
        out: dict[str, float | None] = {
            "server_cpu_s": round(server, 2),
            f"server_cpu_ms_per_{unit}": round(1000 * server / units, 4) if units else None,
            "server_cpu_util": round(server / max(t, 1e-9), 2),
        }
        if len(nodes) > 1:
            for i, cpu in enumerate(nodes):
                out[f"node{i}_cpu_s"] = round(cpu, 2)
                out[f"node{i}_cpu_ms_per_{unit}"] = round(1000 * cpu / units, 4) if units else None
        if self._pids[1]:
            out["workers_cpu_s"] = round(helpers, 2)
        if self._pids[2]:
            out[f"db_cpu_ms_per_{unit}"] = round(1000 * db / units, 4) if units else None
        out["loadgen_cpu_s"] = round(own, 2)
        out["other_cpu_s"] = round(max(0.0, busy - server - helpers - db - own), 2)
        self.seconds = t
        return out

    def note(self, figures: dict[str, float | None]) -> list[str]:
        """A warning when other processes took a noticeable share of the machine."""
        other = figures.get("other_cpu_s") or 0.0
        if other > 0.1 * self.seconds:
            return [f"other processes used {other:.1f} CPU s during the {self.seconds:.1f} s measurement"]
        return []


def machine() -> dict[str, object]:
    import platform
    import sqlite3

    return {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
        "note": "server, worker processes and load generator share these cores",
    }


def reference_loop_ms() -> float:
    """CPU ms of a fixed pure-Python loop: how fast this (shared, virtual) machine runs right now.

    On the reference machine (a VM on a shared host) the same loop took anywhere from ~140 to ~230 ms
    within minutes, with nothing else running in the VM; CPU-per-task figures move the same way, so
    each linear-5 run reports it next to them.
    """
    import time

    started = time.process_time()
    total = 0
    for i in range(3_000_000):
        total += i * i
    return round((time.process_time() - started) * 1000, 1)
