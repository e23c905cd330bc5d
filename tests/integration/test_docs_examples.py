"""Every runnable example in README.md and docs/*.md runs as written against a live server.

The examples are marked in the pages (see ``docs_examples``): scripts run in a subprocess, workflow
definitions are registered and run to their end with the ``greet`` worker the docs describe, and
long-running workers are stopped with Ctrl-C (SIGINT to their process group, as a terminal sends it),
after which none of their processes may remain.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from docs_examples import Example, all_examples, examples, json_matches, localize, output_matches, unmarked_blocks

from conftest import ROOT, ServerProcess, wait_until
from podium.domain import tasktypes as tt
from podium.worker import Runner

EXAMPLES = all_examples()
TERMINAL = {"COMPLETED", "FAILED", "TIMED_OUT", "TERMINATED"}


def _of(kind: str) -> list[Example]:
    def wanted(e: Example) -> bool:
        if kind == "background":
            return bool(e.options.get("background"))
        if kind == "definition":
            return e.lang == "json"
        return e.lang in ("sh", "python") and not e.options.get("background")

    return [e for e in EXAMPLES if wanted(e)]


def greet(name: str) -> dict[str, str]:
    """The docs' `greet` task type: README's worker, served here by the Podium SDK."""
    return {"message": f"Hello {name}"}


@pytest.fixture(scope="module")
def docs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """The server the definitions run on; HTTP tasks may call it (the HTTP example calls /health)."""
    srv = ServerProcess(tmp_path_factory.mktemp("docs") / "docs.db", env={"PODIUM_HTTP_ALLOW": "127.0.0.1"}).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def page_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[Path, ServerProcess]]:
    """One server per page for its scripts, with no worker of ours: the scripts are their own workers (the
    Quickstart polls `greet` itself), and a task another page's script leaves queued cannot reach them."""
    servers: dict[Path, ServerProcess] = {}
    yield servers
    for srv in servers.values():
        srv.stop()


@pytest.fixture()
def script_server(
    ex: Example, page_servers: dict[Path, ServerProcess], tmp_path_factory: pytest.TempPathFactory
) -> ServerProcess:
    if ex.doc not in page_servers:
        page_servers[ex.doc] = ServerProcess(tmp_path_factory.mktemp("scripts") / f"{ex.doc.stem}.db").start()
    return page_servers[ex.doc]


@pytest.fixture(scope="module")
def greet_worker(docs_server: ServerProcess) -> Iterator[Runner]:
    with Runner([greet], docs_server.url, poll_timeout_ms=200) as runner:
        yield runner


def _api(server: ServerProcess) -> httpx.Client:
    return httpx.Client(base_url=server.url + "/api", timeout=30)


def _register(api: httpx.Client, definition: Any) -> None:
    """A list is task definitions, an object a workflow definition (both create or replace)."""
    if isinstance(definition, list):
        r = api.post("/metadata/taskdefs", json=definition)
    else:
        r = api.put("/metadata/workflow", json=[definition])
    assert r.status_code == 200, r.text


_registered: set[tuple[str, Path]] = set()  # (server, page)


def _register_page(api: httpx.Client, doc: Path, url: str) -> None:
    """Every definition of a page, so an example may use one defined before it (as a reader would have)."""
    if (url, doc) in _registered:
        return
    for e in examples(doc):
        if e.lang == "json":
            _register(api, json.loads(localize(e.code, url)))
    _registered.add((url, doc))


def _run_to_end(api: httpx.Client, wid: str, complete: dict[str, Any], timeout: float = 60) -> dict[str, Any]:
    """Wait for the run to end, answering the tasks in ``complete`` once they wait (HUMAN, WAIT)."""
    answered: set[str] = set()
    run: dict[str, Any] = {}

    def ended() -> bool:
        nonlocal run
        run = api.get(f"/workflow/{wid}").json()
        for t in run["tasks"]:
            ref = t["referenceTaskName"]
            if ref in complete and ref not in answered and t["status"] == "IN_PROGRESS":
                r = api.post(f"/tasks/{wid}/{ref}/COMPLETED", json=complete[ref])
                assert r.status_code == 200, r.text
                answered.add(ref)
        return run["status"] in TERMINAL

    wait_until(ended, timeout=timeout, interval=0.05, what=f"workflow {wid} to end")
    return run


@pytest.mark.parametrize("ex", _of("definition"), ids=lambda e: e.id)
def test_definition_example(ex: Example, docs_server: ServerProcess, greet_worker: Runner) -> None:
    with _api(docs_server) as api:
        _register_page(api, ex.doc, docs_server.url)
        definition = json.loads(localize(ex.code, docs_server.url))
        _register(api, definition)
        if isinstance(definition, list):
            for td in definition:
                assert api.get(f"/metadata/taskdefs/{td['name']}").status_code == 200
            return
        start = {
            "name": definition["name"],
            "version": definition.get("version", 1),
            "input": ex.options.get("input", {}),
        }
        r = api.post("/workflow", json=start)
        assert r.status_code == 200, r.text
        run = _run_to_end(api, r.text, ex.options.get("complete", {}))
    expected = ex.options.get("status", "COMPLETED")
    assert run["status"] == expected, f"{ex.id} (line {ex.line}): {run.get('reasonForIncompletion')}"
    if ex.output is not None:
        want = json.loads(ex.output)
        assert json_matches(want, run["output"]), f"{ex.id}: output {run['output']!r}, the page says {want!r}"


def _workdir(ex: Example, root: Path, url: str) -> Path:
    """A directory holding every file of the page (its blocks with a ``file`` option), as a reader saves them."""
    root.mkdir(parents=True, exist_ok=True)
    for e in examples(ex.doc):
        if e.options.get("file"):
            (root / e.options["file"]).write_text(localize(e.code, url) + "\n")
    return root


def _command(ex: Example, script: Path) -> list[str]:
    if ex.lang == "sh":
        return ["bash", "-e", "-o", "pipefail", str(script)]
    if "\ndef test_" in "\n" + ex.code:
        return [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(script)]
    return [sys.executable, str(script)]


def _env(workdir: Path) -> dict[str, str]:
    bin_dir = str(Path(sys.executable).parent)  # `podium`, `python3` of this installation
    return {**os.environ, "PYTHONPATH": str(workdir), "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}


def _script(ex: Example, workdir: Path, url: str) -> Path:
    name = (
        ex.options.get("file")
        or f"example_{ex.name.replace('-', '_').replace('.', '_')}.{'sh' if ex.lang == 'sh' else 'py'}"
    )
    path = workdir / name
    path.write_text(localize(ex.code, url) + "\n")
    return path


def _run_after(names: list[str], ex: Example, workdir: Path, server: ServerProcess) -> None:
    """Run the page's examples this one builds on (``after``), e.g. the Quickstart that registers `hello`."""
    page = {e.name: e for e in examples(ex.doc)}
    for name in names:
        before = page[name]
        done = subprocess.run(
            _command(before, _script(before, workdir, server.url)),
            cwd=workdir, env=_env(workdir), capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, f"{before.id}: {done.stdout}\n{done.stderr}"


@pytest.mark.parametrize("ex", _of("script"), ids=lambda e: e.id)
def test_script_example(ex: Example, script_server: ServerProcess, tmp_path: Path) -> None:
    workdir = _workdir(ex, tmp_path / "page", script_server.url)
    _run_after(ex.options.get("after", []), ex, workdir, script_server)
    done = subprocess.run(
        _command(ex, _script(ex, workdir, script_server.url)),
        cwd=workdir, env=_env(workdir), capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, f"{ex.id} (line {ex.line}) failed:\n{done.stdout}\n{done.stderr}"
    if ex.output is not None:
        printed = done.stdout.replace(script_server.url.removeprefix("http://"), "127.0.0.1:8080")
        assert output_matches(ex.output, printed), f"{ex.id} printed:\n{printed}\nthe page says:\n{ex.output}"


def _group(pgid: int) -> list[str]:
    """The live processes of a process group (zombies are already dead)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text.rsplit(")", 1)[1].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            found.append(text.split(" ", 1)[0] + " " + text[text.index("(") : text.rindex(")") + 1])
    return found


# A terminal starts a command with SIGINT at its default; a test runner started in the background of a
# non-interactive shell has it ignored, and an ignored SIGINT would be inherited (and Ctrl-C never seen).
_AS_IN_A_TERMINAL = [
    sys.executable,
    "-c",
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])",
]


def _pids(pgid: int) -> list[int]:
    return [int(member.split(" ", 1)[0]) for member in _group(pgid)]


def _ignores_sigint(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True  # gone
    ignored = int(status.split("SigIgn:", 1)[1].split()[0], 16)
    return bool(ignored & (1 << (signal.SIGINT - 1)))


@pytest.mark.parametrize("ex", _of("background"), ids=lambda e: e.id)
def test_background_example(ex: Example, tmp_path: Path) -> None:
    """The worker runs as written, serves a workflow to its end, and Ctrl-C stops it and all its processes."""
    srv = ServerProcess(tmp_path / "bg.db").start()
    proc: subprocess.Popen[str] | None = None
    try:
        workdir = _workdir(ex, tmp_path / "page", srv.url)
        _run_after(ex.options.get("after", []), ex, workdir, srv)
        with (tmp_path / "worker.log").open("w") as log:  # the child keeps its own copy of the descriptor
            proc = subprocess.Popen(
                [*_AS_IN_A_TERMINAL, *_command(ex, _script(ex, workdir, srv.url))],
                cwd=workdir, env=_env(workdir), stdout=log, stderr=subprocess.STDOUT, text=True, start_new_session=True,
            )  # fmt: skip
        with _api(srv) as api:
            r = api.post("/workflow", json={"name": ex.options["workflow"], "input": ex.options.get("input", {})})
            assert r.status_code == 200, r.text
            run = _run_to_end(api, r.text, ex.options.get("complete", {}), timeout=90)
        printed = (tmp_path / "worker.log").read_text()
        assert run["status"] == "COMPLETED", f"{run.get('reasonForIncompletion')}\n{printed}"
        if ex.output is not None:
            assert json_matches(json.loads(ex.output), run["output"]), run["output"]
        assert proc.poll() is None, f"the worker stopped by itself:\n{printed}"
        before = _group(proc.pid)
        if ex.options.get("children"):  # so that "none survives" below is about real child processes
            assert len(before) > 1, f"no worker processes besides the script: {before}"
            # A user presses Ctrl-C once the worker is up: the SDK's children ignore SIGINT from the moment
            # their work begins (one still importing would die of it, with a traceback, and still not survive).
            leader = proc.pid
            wait_until(
                lambda: all(_ignores_sigint(pid) for pid in _pids(leader) if pid != leader),
                timeout=60,
                what="the worker's child processes to have started",
            )
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C in a terminal: the whole foreground group gets SIGINT
        code = proc.wait(60)
        printed = (tmp_path / "worker.log").read_text()
        assert code == 0, f"exit {code} after Ctrl-C:\n{printed}"
        assert "Traceback" not in printed, printed
        pgid = proc.pid
        try:
            wait_until(lambda: not _group(pgid), timeout=30, what="the worker's processes to end")
        except AssertionError:
            raise AssertionError(f"still running after Ctrl-C: {_group(pgid)} (before: {before})\n{printed}") from None
    finally:
        if proc is not None:
            left = _group(proc.pid)
            if left:
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        srv.stop()


def test_the_marked_examples_are_the_ones_the_docs_promise() -> None:
    """README's two examples are marked runnable, and the reference page runs every task type Podium has."""
    names = {(e.doc.name, e.name) for e in EXAMPLES}
    assert ("README.md", "quickstart") in names and ("README.md", "conductor-python-worker") in names
    assert {e.lang for e in EXAMPLES} <= {"sh", "python", "json"}
    reference = [e for e in EXAMPLES if e.doc == ROOT / "docs" / "reference.md" and e.lang == "json"]
    used: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "taskReferenceName" in node:
                used.add(node.get("type", tt.SIMPLE))
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    for e in reference:
        walk(e.definition())
    every = (tt.SYSTEM_TYPES - {tt.FORK}) | {tt.SIMPLE}  # FORK is the record a FORK_JOIN makes
    assert every <= used, f"task types with no example in docs/reference.md: {sorted(every - used)}"


@pytest.mark.parametrize("page", ["reference.md", "workers.md"])
def test_every_code_block_of_the_teaching_pages_runs(page: str) -> None:
    """On the pages that teach by example, a code block is an example the tests run, or its output."""
    assert unmarked_blocks(ROOT / "docs" / page) == []
