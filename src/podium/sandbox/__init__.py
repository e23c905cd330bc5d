"""Evaluator processes: user code (JavaScript, jq) runs here, never on the server's event loop.

See ``evaluator.Evaluator`` for how the server uses them and ``child`` for what a process does.
"""

from podium.sandbox.evaluator import Evaluator

__all__ = ["Evaluator"]
