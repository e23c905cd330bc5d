"""A body fuzzer for the JSON endpoints: mutated bodies over one raw keep-alive connection.

Each endpoint has a valid seed body; every field of it is replaced in
turn (three levels deep) by values of every wrong type, and the whole body by malformed documents. The server must
answer each without a 5xx, and the same connection must carry the next request (a dropped
keep-alive connection shows as an empty read).
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson

DEEP = 120  # deeper than any sane document, shallower than the parser's own limit


def _nested(depth: int) -> Any:
    value: Any = 1
    for i in range(depth):
        value = [value] if i % 2 else {"k": value}
    return value


# Wrong types per field: every JSON type, edge numbers (beyond 64 bits, huge floats), odd strings.
FIELD_VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    2**63,
    2**64 + 1,
    -(2**70),
    1.5,
    -0.0,
    1e308,
    "",
    "x",
    "123",
    "ünïcödé \u202e 😀 \x00",
    "${workflow.input.x}",
    "a" * 5000,
    [],
    [1, "a", None],
    [{}],
    {},
    {"a": {"b": [1]}},
    _nested(DEEP),
]

# Whole bodies that are not what any endpoint expects (raw bytes, sent as application/json).
RAW_BODIES: list[bytes] = [
    b"",
    b" ",
    b"null",
    b"true",
    b"0",
    b"18446744073709551617",
    b"1e999",
    b'"text"',
    b"[]",
    b"{}",
    b"[null]",
    b'{"a":',
    b"not json at all",
    b"\xff\xfe\x00garbage",
    b'"\\ud800"',
    b"[" * 2000 + b"]" * 2000,
    b'{"a":' * 300 + b"1" + b"}" * 300,
    orjson.dumps(_nested(DEEP)),
]


def mutations(seed: Any) -> Iterator[tuple[str, bytes]]:
    """(label, body) for every mutation of ``seed``: each field set to each wrong value, then raw bodies."""
    for label, body in _field_mutations(seed, ""):
        # The standard library writes integers of any size (orjson stops at 64 bits).
        yield label, json.dumps(body, ensure_ascii=False).encode()
    for raw in RAW_BODIES:
        yield f"raw {raw[:20]!r}", raw


def _field_mutations(seed: Any, prefix: str, depth: int = 3) -> Iterator[tuple[str, Any]]:
    if depth == 0:
        return
    if isinstance(seed, dict):
        for key in seed:
            for value in FIELD_VALUES:
                yield f"{prefix}{key}={_short(value)}", {**seed, key: value}
            for label, inner in _field_mutations(seed[key], f"{prefix}{key}.", depth - 1):
                yield label, {**seed, key: inner}
    elif isinstance(seed, list) and seed:
        for value in FIELD_VALUES:
            yield f"{prefix}[0]={_short(value)}", [value, *seed[1:]]
        for label, inner in _field_mutations(seed[0], f"{prefix}[0].", depth - 1):
            yield label, [inner, *seed[1:]]


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 30 else text[:27] + "..."


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


class RawConnection:
    """One HTTP/1.1 keep-alive connection, spoken by hand so any bytes can be sent as a body."""

    def __init__(self, host: str, port: int, timeout: float = 30.0) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buffer = b""

    def close(self) -> None:
        self.sock.close()

    def request(self, method: str, path: str, body: bytes) -> Answer:
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        self.sock.sendall(head + body)
        return self._read_answer()

    def _read_until(self, marker: bytes) -> bytes:
        while marker not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("the server closed the keep-alive connection")
            self.buffer += chunk
        head, _, self.buffer = self.buffer.partition(marker)
        return head

    def _read_exact(self, size: int) -> bytes:
        while len(self.buffer) < size:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("the server closed the connection mid-body")
            self.buffer += chunk
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def _read_answer(self) -> Answer:
        lines = self._read_until(b"\r\n\r\n").decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        if headers.get("transfer-encoding") == "chunked":
            body = b""
            while True:
                size = int(self._read_until(b"\r\n").split(b";")[0], 16)
                body += self._read_exact(size + 2)[:size]
                if size == 0:
                    break
        else:
            body = self._read_exact(int(headers.get("content-length", "0")))
        return Answer(status, headers, body)
