"""The runnable examples of README.md and docs/*.md, as the documentation marks them.

A fenced code block is runnable when an HTML comment right before it names it (invisible on the
rendered page)::

    <!-- example: quickstart -->
    ```sh
    ...
    ```

An optional JSON object after the name gives options (``{"input": {...}, "status": "FAILED"}``, see
``Example``). A block marked ``<!-- example-output: NAME -->`` is what the example prints (scripts) or the
workflow's output (definitions); in it ``<...>`` stands for any value (an id). The fence's language
says how the example runs: ``sh`` with bash, ``python`` with Python (a module that defines ``test_*``
functions with pytest), ``json`` is registered — a list of task definitions, or a workflow definition
that is then started and awaited. Addresses in the docs are the default server's (``localhost:8080``,
``127.0.0.1:8080``); the tests swap in their own server's.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conftest import ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
DEFAULT_ADDRESSES = ("localhost:8080", "127.0.0.1:8080")

_FENCE = r"```(?P<lang>[\w-]*)\n(?P<code>.*?)\n```"
_EXAMPLE = re.compile(r"<!-- example: (?P<name>[\w.-]+)(?P<opts> \{.*?\})? -->\s*\n" + _FENCE, re.S)
_OUTPUT = re.compile(r"<!-- example-output: (?P<name>[\w.-]+) -->\s*\n" + _FENCE, re.S)


@dataclass
class Example:
    """One runnable block. Options: ``input`` (workflow input), ``status`` (expected end status,
    COMPLETED by default), ``complete`` ({ref: output} answered once that task waits, as a HUMAN task's
    user would), ``file`` (the name the block is saved as, for later blocks to import), ``after`` (names of
    the page's examples to run first, e.g. the one that registers what this one serves), ``background``
    (a worker that runs until Ctrl-C: a run of ``workflow`` with ``input`` must complete through it, with
    the expected output as the workflow's output, before it gets SIGINT), ``children`` (a background example
    that runs child processes: they must exist before Ctrl-C, and none may outlive it)."""

    doc: Path
    name: str
    lang: str
    code: str
    line: int
    options: dict[str, Any] = field(default_factory=dict)
    output: str | None = None

    @property
    def id(self) -> str:
        return f"{self.doc.relative_to(ROOT)}:{self.name}"

    def definition(self) -> Any:
        return json.loads(self.code)


def examples(doc: Path) -> list[Example]:
    """The runnable examples of one page, in page order, each with its expected output if given."""
    text = doc.read_text()
    outputs = {m["name"]: m["code"] for m in _OUTPUT.finditer(text)}
    found = []
    for m in _EXAMPLE.finditer(text):
        opts = json.loads(m["opts"]) if m["opts"] else {}
        line = text.count("\n", 0, m.start()) + 1
        found.append(Example(doc, m["name"], m["lang"], m["code"], line, opts, outputs.get(m["name"])))
    marks = len(re.findall(r"^<!-- example(-output)?: ", text, re.M))
    assert marks == len(found) + len(outputs), f"{doc}: a marked example is not followed by a code block"
    names = [e.name for e in found]
    assert len(set(names)) == len(names), f"{doc}: example names repeat: {names}"
    stray = set(outputs) - set(names)
    assert not stray, f"{doc}: outputs of no example: {stray}"
    return found


def unmarked_blocks(doc: Path) -> list[int]:
    """Lines of the code blocks of a page that are neither an example nor an example's output."""
    lines = doc.read_text().split("\n")
    found, inside = [], False
    for i, line in enumerate(lines):
        if not line.startswith("```"):
            continue
        if not inside:
            before = "\n".join(lines[max(0, i - 2) : i])
            if "<!-- example" not in before:
                found.append(i + 1)
        inside = not inside
    return found


def all_examples() -> list[Example]:
    return [e for doc in DOCS for e in examples(doc)]


def localize(text: str, url: str) -> str:
    """The example's text aimed at the test server (``url`` = http://127.0.0.1:PORT)."""
    address = url.removeprefix("http://")
    for default in DEFAULT_ADDRESSES:
        text = text.replace(default, address)
    return text


def output_matches(expected: str, actual: str) -> bool:
    """Line by line, ``<...>`` matching any run of non-blank characters."""
    parts = re.split(r"<[^<>\n]+>", expected.strip())
    pattern = r"\S+?".join(re.escape(p) for p in parts)
    return re.fullmatch(pattern, actual.strip()) is not None


def json_matches(expected: Any, actual: Any) -> bool:
    """Equality, where an expected string ``<...>`` matches any value."""
    if isinstance(expected, str) and re.fullmatch(r"<[^<>]+>", expected):
        return True
    if isinstance(expected, dict):
        return (
            isinstance(actual, dict)
            and expected.keys() == actual.keys()
            and all(json_matches(v, actual[k]) for k, v in expected.items())
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(expected) == len(actual)
            and all(json_matches(e, a) for e, a in zip(expected, actual, strict=True))
        )
    return bool(expected == actual) and type(expected) is type(actual)
