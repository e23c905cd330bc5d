"""An AST scan for test code that cannot fail: assertions that are always true, swallowed failures,
catch-all ``pytest.raises``, and test functions that check nothing.

``python -m tests.hygiene [paths...]`` prints what it finds; ``tests/unit/test_test_hygiene.py`` keeps
the tree clean.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

# Calls that check something even without a bare ``assert`` (helpers that assert or raise inside).
CHECKING_CALLS = frozenset(
    {
        "raises",
        "fail",
        "wait_until",
        "warns",
        "approx",
        "expect",  # Playwright's expect(...).to_*
    }
)
# A name prefix that marks a helper as a checker (e.g. ``assert_completed(...)``, ``expect_status``).
CHECKING_PREFIXES = ("assert", "check", "expect", "must", "wait", "verify", "require")
# A catch-all exception type: ``pytest.raises`` of one passes for any failure at all.
BROAD_EXCEPTIONS = frozenset({"Exception", "BaseException"})


@dataclass(frozen=True, slots=True)
class Finding:
    path: Path
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what}"


def _always_true(node: ast.expr) -> str | None:
    """Why ``node`` is truthy whatever the code under test does, or None."""
    if isinstance(node, ast.Constant):
        return f"constant {node.value!r}" if node.value else None
    if isinstance(node, (ast.Tuple, ast.List, ast.Set, ast.Dict)):
        elts = node.keys if isinstance(node, ast.Dict) else node.elts
        return "non-empty literal (always true)" if elts else None
    if isinstance(node, (ast.JoinedStr, ast.Lambda)):
        return "string or lambda literal (always true)"
    if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
        for v in node.values:
            why = _always_true(v)
            if why:
                return f"'or' with an always-true operand ({why})"
        for i, a in enumerate(node.values):
            for b in node.values[i + 1 :]:
                if _negates(a, b) or _negates(b, a):
                    return "'x or not x'"
    if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And):
        whys = [_always_true(v) for v in node.values]
        return "'and' of always-true operands" if all(whys) else None
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        left, op, right = node.left, node.ops[0], node.comparators[0]
        same = ast.dump(left) == ast.dump(right)
        if same and isinstance(op, (ast.Eq, ast.Is, ast.LtE, ast.GtE)) and not _has_call(left):
            return "compares an expression with itself"
        if isinstance(op, ast.GtE) and isinstance(right, ast.Constant) and right.value == 0 and _is_len(left):
            return "len(...) >= 0"
    if (
        isinstance(node, ast.Call)
        and _call_name(node) == "isinstance"
        and len(node.args) == 2
        and isinstance(node.args[1], ast.Name)
        and node.args[1].id == "object"
    ):
        return "isinstance(x, object)"
    return None


def _negates(a: ast.expr, b: ast.expr) -> bool:
    return isinstance(b, ast.UnaryOp) and isinstance(b.op, ast.Not) and ast.dump(b.operand) == ast.dump(a)


def _is_len(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "len"


def _has_call(node: ast.AST) -> bool:
    # f() == f() may legitimately differ (e.g. time, iterators), so only plain expressions count.
    return any(isinstance(n, ast.Call) for n in ast.walk(node))


def _call_name(node: ast.Call) -> str:
    f = node.func
    if isinstance(f, ast.Attribute):
        return f.attr
    if isinstance(f, ast.Name):
        return f.id
    return ""


def _catches_assertion(handler: ast.ExceptHandler) -> bool:
    t = handler.type
    names: list[ast.expr] = [] if t is None else list(t.elts) if isinstance(t, ast.Tuple) else [t]
    if t is None:
        return True
    return any(isinstance(n, ast.Name) and n.id in {"AssertionError", "BaseException", "Exception"} for n in names)


def _reraises_or_records(handler: ast.ExceptHandler) -> bool:
    """The handler raises again, or keeps the exception (e.g. for a thread's errors, asserted later)."""
    for n in ast.walk(handler):
        if isinstance(n, ast.Raise):
            return True
        if handler.name and isinstance(n, ast.Name) and n.id == handler.name and isinstance(n.ctx, ast.Load):
            return True
    return False


def _broad(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name) and node.id in BROAD_EXCEPTIONS:
        return node.id
    if isinstance(node, ast.Tuple):
        return next((b for b in map(_broad, node.elts) if b), None)
    return None


def _has_assert(nodes: Iterable[ast.stmt]) -> bool:
    return any(isinstance(n, ast.Assert) for s in nodes for n in ast.walk(s))


def _checks_something(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    for n in ast.walk(fn):
        if isinstance(n, (ast.Assert, ast.Raise)):
            return True
        if isinstance(n, ast.Call):
            name = _call_name(n)
            if name in CHECKING_CALLS or name.lower().startswith(CHECKING_PREFIXES):
                return True
    return False


def scan_source(source: str, path: Path) -> Iterator[Finding]:
    """Every finding in one module's source."""
    tree = ast.parse(source, filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert):
            why = _always_true(node.test)
            if why:
                yield Finding(path, node.lineno, f"assertion cannot fail: {why}")
        elif isinstance(node, ast.Try):
            for h in node.handlers:
                if _catches_assertion(h) and _has_assert(node.body) and not _reraises_or_records(h):
                    yield Finding(path, h.lineno, "a failed assertion is swallowed by this except clause")
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                call = item.context_expr
                if isinstance(call, ast.Call) and _call_name(call) == "raises" and call.args:
                    broad = _broad(call.args[0])
                    if broad:
                        yield Finding(path, node.lineno, f"pytest.raises({broad}) passes for any failure")
        elif (
            isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.name.startswith("test")
            and not _checks_something(node)
        ):
            yield Finding(path, node.lineno, f"test {node.name} asserts nothing")


def scan(paths: Iterable[Path]) -> list[Finding]:
    """Every finding in the Python files under ``paths``."""
    found: list[Finding] = []
    for root in paths:
        files = [root] if root.is_file() else sorted(root.rglob("*.py"))
        for f in files:
            if ".venv" in f.parts:
                continue
            found.extend(scan_source(f.read_text(encoding="utf-8"), f))
    return found


if __name__ == "__main__":
    roots = [Path(a) for a in sys.argv[1:]] or [Path("tests"), Path("examples")]
    hits = scan(roots)
    for hit in hits:
        print(hit)
    sys.exit(1 if hits else 0)
