"""An evaluator process: runs one JavaScript or jq evaluation at a time for the server.

Started by the server with an empty environment (``$ENV`` and ``env`` in jq see nothing of the host),
in an empty working directory, at a lower CPU priority than the server, with its address space
capped once its libraries are loaded. It reads request frames on fd 0 and answers on the fd that
was fd 1; fds 1 and 2 then point at /dev/null, so nothing a program prints can corrupt the wire.
A JavaScript time limit is enforced here by QuickJS's interrupt; anything it cannot interrupt (a
backtracking regular expression, any jq program) is ended by the server killing this process.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import resource
import signal
import sys
from typing import Any

import orjson

from podium.expr import javascript, jq
from podium.sandbox import frames

ADDRESS_SPACE_SLACK = 96 * 2**20
_PR_SET_PDEATHSIG = 1


def _encode(value: Any) -> bytes:
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)
    except (TypeError, orjson.JSONEncodeError):  # integers beyond 64 bits, lone surrogates
        return json.dumps(value, default=str).encode("utf-8", "surrogatepass")


def evaluate(kind: str, program: str, input_json: str, timeout_s: float, memory: int) -> list[Any]:
    """``[ok, value or message, console lines, flags]`` for one request."""
    lines: list[str] = []
    try:
        if kind == frames.KIND_JQ:
            return [True, jq.transform_text(program, input_json), lines, ""]
        value = javascript.evaluate_json(
            program, input_json, timeout_s=timeout_s, max_memory_bytes=memory, console=lines
        )
        return [True, value, lines, ""]
    except javascript.ScriptError as e:
        return [False, e.message, lines, ("t" if e.timed_out else "") + ("m" if e.out_of_memory else "")]
    except jq.JqError as e:
        return [False, e.message, lines, ""]
    except MemoryError:
        return [False, "The program exceeded the memory limit", lines, "m"]
    except RecursionError:
        return [False, "The program nested too deeply", lines, ""]


def answer(request: bytes) -> bytes:
    """The reply body for one request body."""
    head, _, body = request.partition(b"\n")
    req = orjson.loads(head)
    out = evaluate(req["k"], req["p"], body.decode("utf-8", "surrogatepass"), req["t"], req["m"])
    encoded = _encode(out)
    if len(encoded) > req["o"]:
        encoded = _encode(
            [False, f"The result is {len(encoded)} bytes, over the limit of {req['o']} bytes", out[2][:100], ""]
        )
    return encoded


def _die_with_the_server() -> None:
    """Be killed when the server dies, even in the middle of a program that never reads its input."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() == 1:  # the server died before that took hold
        sys.exit(0)


def _confine(memory: int) -> int:
    """Lower the priority, cap the address space, and move the wire off fds 1 and 2."""
    os.nice(5)
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[0])
    cap = pages * os.sysconf("SC_PAGE_SIZE") + 2 * memory + ADDRESS_SPACE_SLACK
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    wire = os.dup(1)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.dup2(null, 2)
    os.close(null)
    return wire


def main() -> None:
    _die_with_the_server()
    os.environ.clear()  # unsets what Python itself added (LC_CTYPE by locale coercion): jq's $ENV is {}
    memory = int(sys.argv[1]) if len(sys.argv) > 1 else javascript.DEFAULT_MAX_MEMORY
    javascript.evaluate("0", {})  # build the QuickJS context before the cap
    jq.transform(".", 0)
    wire = _confine(memory)
    frames.write_all(wire, frames.READY)
    while True:
        request = frames.read_frame(0)
        if request is None:
            return  # the server is gone
        frames.write_all(wire, frames.reply(answer(request)))


if __name__ == "__main__":
    main()
