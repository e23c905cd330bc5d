"""The wire between the server and an evaluator process: length-prefixed frames over pipes.

A request is the JSON header ``{"k": kind, "p": program, "t": timeout_s, "m": memory, "o": output}``,
a newline, then the input document as JSON text (sent as it is, never re-encoded). A reply is the
JSON array ``[ok, value_or_message, console_lines, flags]``; ``flags`` holds ``"t"`` (timed out) and
``"m"`` (out of memory). A process writes the byte ``READY`` once, when it can take requests.
"""

from __future__ import annotations

import os
import struct

import orjson

KIND_JS = "js"
KIND_JQ = "jq"
READY = b"R"

_HEADER = struct.Struct(">I")


def request(kind: str, program: str, input_json: bytes, timeout_s: float, memory: int, max_output: int) -> bytes:
    """One request frame."""
    head = orjson.dumps({"k": kind, "p": program, "t": timeout_s, "m": memory, "o": max_output})
    body = head + b"\n" + input_json
    return _HEADER.pack(len(body)) + body


def reply(body: bytes) -> bytes:
    """One reply frame around an encoded reply."""
    return _HEADER.pack(len(body)) + body


def write_all(fd: int, data: bytes) -> None:
    """Write every byte (a pipe takes large frames in pieces)."""
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def read_exactly(fd: int, n: int) -> bytes | None:
    """``n`` bytes, or None at end of file (the other side is gone)."""
    first = os.read(fd, n)
    if len(first) == n or not first:
        return first or None
    parts = [first]
    got = len(first)
    while got < n:
        chunk = os.read(fd, n - got)
        if not chunk:
            return None
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


def read_frame(fd: int) -> bytes | None:
    """The next frame's body, or None at end of file.

    Each side has at most one frame in flight, so a first large read takes a small frame whole
    (one system call) without taking anything of the next.
    """
    first = os.read(fd, 65536)
    if not first:
        return None
    if len(first) < _HEADER.size:
        rest = read_exactly(fd, _HEADER.size - len(first))
        if rest is None:
            return None
        first += rest
    (size,) = _HEADER.unpack_from(first)
    body = first[_HEADER.size :]
    if len(body) >= size:
        return body
    more = read_exactly(fd, size - len(body))
    return None if more is None else body + more
