"""Exit codes of the `podium` commands and the errors that carry them (see docs/cli.md)."""

from __future__ import annotations

from enum import IntEnum
from typing import Any


class Exit(IntEnum):
    """Documented exit codes; scripts may rely on them."""

    OK = 0
    UNSUCCESSFUL = 1  # the workflow ended FAILED, TERMINATED or TIMED_OUT; validation found errors
    BAD_INPUT = 2  # bad usage or input: bad JSON, a missing file, an unknown option (typer's own code)
    UNREACHABLE = 3  # no answer from the server (down, wrong address, timed out)
    REFUSED = 4  # the server answered 4xx (not found, invalid, conflict, unauthorized, forbidden)
    SERVER_ERROR = 5  # the server answered 5xx
    STILL_RUNNING = 6  # --wait / --watch gave up (--timeout) before the workflow ended
    INTERNAL = 70  # a fault of the CLI itself (PODIUM_DEBUG=1 shows the traceback)


class CliError(Exception):
    """An error reported in one line on stderr, ending the command with ``code``."""

    def __init__(self, message: str, code: Exit, *, status: int | None = None, body: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status  # the HTTP status when the server refused
        self.body = body  # and its decoded body


class BadInput(CliError):
    """The user's input cannot be used (exit 2)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, Exit.BAD_INPUT)
