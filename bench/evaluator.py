"""Cost of one script or jq evaluation: in an evaluator process (the server's way) against in-process.

    .venv/bin/python -m bench.evaluator [--n 3000]

Prints CPU microseconds per evaluation in this process and in the evaluator process, and wall time.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from typing import Any

from podium.domain.limits import Limits
from podium.expr import javascript, jq
from podium.sandbox import Evaluator


def _child_cpu_s(ev: Evaluator) -> float:
    total = 0
    for proc in ev._idle:
        with open(f"/proc/{proc.popen.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=3000)
    n = parser.parse_args().n
    ev = Evaluator(Limits(evaluator_processes=1))
    data = {"x": 41, "name": "abc", "list": [1, 2, 3]}
    ev.js("1", data)  # start the process
    cases: list[tuple[str, Callable[[], Any]]] = [
        ("JavaScript, evaluator process", lambda: ev.js("$.x + 1", data)),
        ("JavaScript, in-process", lambda: javascript.evaluate("$.x + 1", data)),
        ("jq, evaluator process", lambda: ev.jq("{y: .x}", data)),
        ("jq, in-process", lambda: jq.transform("{y: .x}", data)),
    ]
    try:
        for name, run in cases:
            child, cpu, wall = _child_cpu_s(ev), time.process_time(), time.perf_counter()
            for _ in range(n):
                run()
            per = 1e6 / n
            here, there = per * (time.process_time() - cpu), per * (_child_cpu_s(ev) - child)
            took = per * (time.perf_counter() - wall)
            print(f"{name:32s} here {here:6.1f} us CPU, evaluator {there:6.1f} us CPU, wall {took:6.1f} us")
    finally:
        ev.close()


if __name__ == "__main__":
    main()
