"""Sampling profile of the server during a workload (py-spy), and a summary of where time goes.

`python -m bench --only linear-5 --profile DIR` records DIR/linear-5.pyspy.txt (py-spy's "raw"
collapsed stacks) while the measured phase runs; `python -m bench.profile FILE` prints the summary
again. py-spy must be installed in the environment (``pip install py-spy``).
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

# Buckets for self time, by the source file of the innermost Python frame. C code (SQLite, orjson,
# httptools) is charged to the Python frame that called it.
_BUCKETS: tuple[tuple[str, str], ...] = (
    ("podium/store/", "store (SQL + sqlite3 C calls)"),
    ("podium/decider/", "decider"),
    ("podium/expr/", "expressions"),
    ("podium/service/", "services"),
    ("podium/api/", "podium api layer"),
    ("podium/", "podium (other)"),
    ("starlette/", "starlette"),
    ("pydantic", "pydantic"),
    ("uvicorn/", "uvicorn + httptools"),
    ("asyncio/", "asyncio"),
    ("uvloop", "asyncio"),
    ("json/", "stdlib json"),
    ("uuid", "uuid"),
    ("threading", "locks/threading"),
    ("contextlib", "contextlib"),
    ("typing", "typing"),
)

# What a sample was doing, by the outermost frame that tells (first match wins).
_ACTIVITIES: tuple[tuple[str, str], ...] = (
    ("podium/api/routes/", "route"),
    ("podium/runtime/", "background"),
    ("podium/service/durability", "group commit"),
    ("uvicorn/", "HTTP protocol (uvicorn/httptools)"),
    ("starlette/", "framework (starlette/fastapi)"),
    ("fastapi/", "framework (starlette/fastapi)"),
)


class PySpy:
    """py-spy attached to a process; stop() makes it write its output."""

    def __init__(self, pid: int, out: Path, rate: int = 250) -> None:
        self.out = out
        exe = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
        if not Path(exe).exists():
            raise FileNotFoundError("py-spy is not installed (pip install py-spy)")
        cmd = [
            exe,
            "record",
            "--pid",
            str(pid),
            "--rate",
            str(rate),
            "--format",
            "raw",
            "--nolineno",
            "--output",
            str(out),
        ]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


def _short(frame: str) -> str:
    """'fn (/long/path/site-packages/pkg/mod.py)' → 'fn (pkg/mod.py)'."""
    name, _, rest = frame.partition(" (")
    path = rest.rstrip(")")
    for marker in ("site-packages/", "/src/", "/lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
            if marker == "/lib/python3":
                path = path.split("/", 1)[1] if "/" in path else path
            break
    return f"{name} ({path})" if path else name


def load(path: Path) -> list[tuple[list[str], int]]:
    """Collapsed stacks: (frames outermost first, sample count)."""
    stacks: list[tuple[list[str], int]] = []
    for line in path.read_text(errors="replace").splitlines():
        stack, _, n = line.rpartition(" ")
        if not stack or not n.isdigit():
            continue
        frames = [_short(f) for f in stack.split(";") if f and not f.startswith(("process ", "thread "))]
        stacks.append((frames, int(n)))
    return stacks


def summarize(path: Path, top: int = 20) -> str:
    """Top self-time functions, self time by layer, and inclusive shares of the main entry points."""
    stacks = load(path)
    total = sum(n for _, n in stacks)
    if not total:
        return f"no samples in {path}"
    own: Counter[str] = Counter()
    incl: Counter[str] = Counter()
    layers: Counter[str] = Counter()
    for frames, n in stacks:
        if not frames:
            continue
        leaf = frames[-1]
        own[leaf] += n
        layers[_bucket(leaf)] += n
        for f in set(frames):
            incl[f] += n
    lines = [f"{total} samples (only threads running Python; idle waits excluded)", "", "self time by layer:"]
    for name, n in layers.most_common():
        lines.append(f"  {100 * n / total:5.1f}%  {name}")
    lines += ["", f"top {top} functions by self time:"]
    for name, n in own.most_common(top):
        lines.append(f"  {100 * n / total:5.1f}%  {name}")
    lines += ["", f"top {top} podium functions by inclusive time:"]
    ranked = [(f, n) for f, n in incl.most_common() if "podium/" in f and "podium/cli/" not in f]
    for name, n in ranked[:top]:
        lines.append(f"  {100 * n / total:5.1f}%  {name}")
    lines += ["", "store calls by inclusive time:"]
    store = [(f, n) for f, n in incl.most_common() if "podium/store/" in f and "<" not in f.split(" (")[0]]
    for name, n in store[:top]:
        lines.append(f"  {100 * n / total:5.1f}%  {name}")
    lines += ["", "samples by activity (route handlers include their storage and decider work):"]
    for name, n in activities(stacks).most_common():
        lines.append(f"  {100 * n / total:5.1f}%  {name}")
    return "\n".join(lines)


def activities(stacks: list[tuple[list[str], int]]) -> Counter[str]:
    """Samples per activity: the route handler, background loop or layer a stack runs in."""
    out: Counter[str] = Counter()
    for frames, n in stacks:
        out[_activity(frames)] += n
    return out


def _activity(frames: list[str]) -> str:
    if frames and frames[-1].startswith("Runner.run "):
        return "event loop (uvloop C code)"
    for key, label in _ACTIVITIES:
        for f in frames:
            if key in f:
                return f"{label}: {f.split(' (')[0]}" if label in ("route", "background") else label
    return "event loop / other"


def _bucket(frame: str) -> str:
    for key, name in _BUCKETS:
        if key in frame:
            return name
    return "other"


if __name__ == "__main__":
    print(summarize(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 20))
