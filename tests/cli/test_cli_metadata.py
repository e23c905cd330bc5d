"""`podium metadata register|list|get|export|delete|validate` against a live server."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from clikit import Podium, simple_flow, taskdef, write_json

from conftest import ServerProcess


@pytest.fixture()
def podium(server: ServerProcess, tmp_path: Path) -> Podium:
    return Podium(server.url, tmp_path / "config.toml")


def test_register_detects_the_kind_and_updates(podium: Podium, api: httpx.Client, uniq: str, tmp_path: Path) -> None:
    task_file = write_json(tmp_path / "task.json", taskdef(f"{uniq}_t", retryCount=1))
    flow_file = write_json(tmp_path / "flows.json", [simple_flow(uniq, f"{uniq}_t")])
    out = podium.ok("metadata", "register", task_file, flow_file)
    assert out.splitlines() == [f"registered task definition {uniq}_t", f"registered workflow definition {uniq} v1"]
    assert api.get(f"/metadata/taskdefs/{uniq}_t").json()["retryCount"] == 1
    # again, changed: an update, not a conflict
    write_json(tmp_path / "task.json", taskdef(f"{uniq}_t", retryCount=4))
    flow = simple_flow(uniq, f"{uniq}_t") | {"description": "second"}
    doc = podium.json("metadata", "register", task_file, write_json(tmp_path / "flows.json", flow))
    assert doc == {"taskDefs": [f"{uniq}_t"], "workflowDefs": [{"name": uniq, "version": 1}]}
    assert api.get(f"/metadata/taskdefs/{uniq}_t").json()["retryCount"] == 4
    assert api.get(f"/metadata/workflow/{uniq}").json()["description"] == "second"


def test_register_refuses_what_it_cannot_use(podium: Podium, uniq: str, tmp_path: Path) -> None:
    assert "neither a workflow definition" in podium.fails(
        2, "metadata", "register", write_json(tmp_path / "x.json", [1])
    )
    (tmp_path / "broken.json").write_text('{"name": ')
    assert "broken.json is not valid JSON" in podium.fails(2, "metadata", "register", str(tmp_path / "broken.json"))
    assert "no such file" in podium.fails(2, "metadata", "register", str(tmp_path / "absent.json"))
    invalid = write_json(tmp_path / "invalid.json", {"name": uniq, "tasks": []})
    line = podium.fails(4, "metadata", "register", invalid)
    assert "400" in line and "tasks" in line  # the server's validation errors on the one line


def test_register_from_stdin(podium: Podium, api: httpx.Client, uniq: str) -> None:
    podium.ok("metadata", "register", "-", stdin=json.dumps(taskdef(uniq)))
    assert api.get(f"/metadata/taskdefs/{uniq}").status_code == 200


def test_list_get_export_delete(podium: Podium, api: httpx.Client, uniq: str, tmp_path: Path) -> None:
    flow = simple_flow(uniq, f"{uniq}_t")
    v2 = flow | {"version": 2}
    podium.ok("metadata", "register", write_json(tmp_path / "d.json", [taskdef(f"{uniq}_t"), flow, v2]))

    listed = podium.json("metadata", "list")
    assert {(w["name"], w["version"]) for w in listed["workflowDefs"] if w["name"] == uniq} == {(uniq, 2)}
    assert f"{uniq}_t" in {t["name"] for t in listed["taskDefs"]}
    every = podium.json("metadata", "list", "workflows", "--all-versions")
    assert sorted(w["version"] for w in every if w["name"] == uniq) == [1, 2]
    assert f"{uniq}_t" in {t["name"] for t in podium.json("metadata", "list", "tasks")}
    table = podium.ok("metadata", "list")
    assert "Workflow definitions" in table and "Task definitions" in table and uniq in table
    assert "kind" in podium.fails(2, "metadata", "list", "everything")

    assert podium.json("metadata", "get", uniq)["version"] == 2
    assert podium.json("metadata", "get", uniq, "--version", "1")["version"] == 1
    assert podium.json("metadata", "get", f"{uniq}_t", "--task")["name"] == f"{uniq}_t"
    assert json.loads(podium.ok("metadata", "get", uniq))["name"] == uniq  # piped: plain JSON
    assert "404" in podium.fails(4, "metadata", "get", f"{uniq}_absent")

    exported = tmp_path / "export.json"
    run = podium.run("metadata", "export", str(exported), "--all-versions")
    assert run.exit_code == 0 and "exported" in run.stderr
    docs = json.loads(exported.read_text())
    assert {(d["name"], d.get("version")) for d in docs if d["name"] == uniq} == {(uniq, 1), (uniq, 2)}
    assert any(d["name"] == f"{uniq}_t" for d in docs)
    assert podium.json("metadata", "export", "--all-versions") == docs  # stdout: the same list

    assert podium.ok("metadata", "delete", uniq, "--version", "1") == f"deleted workflow definition {uniq} v1\n"
    assert api.get(f"/metadata/workflow/{uniq}", params={"version": 1}).status_code == 404
    assert "--version" in podium.fails(2, "metadata", "delete", uniq)
    # the export registers back: every definition returns
    podium.ok("metadata", "register", str(exported))
    assert api.get(f"/metadata/workflow/{uniq}", params={"version": 1}).status_code == 200
    podium.ok("metadata", "delete", uniq, "--version", "1")
    podium.ok("metadata", "delete", uniq, "--version", "2")
    assert podium.ok("metadata", "delete", f"{uniq}_t", "--task") == f"deleted task definition {uniq}_t\n"
    assert api.get(f"/metadata/taskdefs/{uniq}_t").status_code == 404
    assert "404" in podium.fails(4, "metadata", "delete", f"{uniq}_t", "--task")


def test_validate_reports_errors_and_stores_nothing(
    podium: Podium, api: httpx.Client, uniq: str, tmp_path: Path
) -> None:
    bad_flow = {"name": uniq, "tasks": [{"name": "s", "taskReferenceName": "s", "type": "SWITCH"}]}
    bad_task = {"name": f"{uniq}_t", "retryCount": -1}
    path = write_json(tmp_path / "bad.json", [bad_flow, bad_task])
    result = podium.run("metadata", "validate", path)
    assert result.exit_code == 1
    assert f"workflow definition {uniq}: INVALID" in result.stdout and "evaluatorType" in result.stdout
    assert f"task definition {uniq}_t: INVALID" in result.stdout and "retryCount" in result.stdout
    reports = json.loads(podium.run("metadata", "validate", path, "-o", "json").stdout)
    assert {r["kind"]: r["valid"] for r in reports} == {"workflow": False, "task": False}
    assert api.get(f"/metadata/workflow/{uniq}").status_code == 404
    assert api.get(f"/metadata/taskdefs/{uniq}_t").status_code == 404

    good = write_json(tmp_path / "good.json", [taskdef(f"{uniq}_t"), simple_flow(uniq, f"{uniq}_t")])
    assert podium.ok("metadata", "validate", good).count(": valid") == 2
    assert api.get(f"/metadata/workflow/{uniq}").status_code == 404  # validated, still not stored
    assert api.get(f"/metadata/taskdefs/{uniq}_t").status_code == 404


def test_validate_warns_about_likely_mistakes(podium: Podium, api: httpx.Client, uniq: str, tmp_path: Path) -> None:
    served, defined, orphan = f"{uniq}_served", f"{uniq}_defined", f"{uniq}_orphan"
    api.post("/metadata/taskdefs", json=[taskdef(defined)])
    api.get(f"/tasks/poll/batch/{served}", params={"timeout": 0, "workerid": "w"})  # a worker was seen
    flow = {
        "name": uniq,
        "version": 1,
        "tasks": [
            {"name": served, "taskReferenceName": "a", "inputParameters": {"v": "${workflow.input.v}"}},
            {"name": defined, "taskReferenceName": "b", "type": "SIMPLE"},
            {"name": orphan, "taskReferenceName": "c", "type": "SIMPLE", "inputParameters": {"v": "${a.output.v"}},
            {"name": "x", "taskReferenceName": "d", "type": "SWTICH"},
            {"name": "fork", "taskReferenceName": "f", "type": "FORK_JOIN",
             "forkTasks": [[{"name": f"{orphan}2", "taskReferenceName": "g", "type": "SIMPLE"}]]},
            {"name": "join", "taskReferenceName": "j", "type": "JOIN", "joinOn": ["g"]},
        ],
    }  # fmt: skip
    path = write_json(tmp_path / "flow.json", flow)
    (report,) = json.loads(podium.run("metadata", "validate", path, "-o", "json").stdout)
    assert report["valid"] is True and report["errors"] == []
    warned = {(w["path"], w["message"].split(" ")[0]) for w in report["warnings"]}
    assert warned == {
        ("tasks[3].type", "unknown"),
        ("tasks[2].name", "worker"),
        ("tasks[4].forkTasks[0][0].name", "worker"),
        ("tasks[2].inputParameters.v", "unclosed"),
    }
    assert "did you mean SWITCH?" in json.dumps(report)
    table = podium.run("metadata", "validate", path)
    assert table.exit_code == 0 and "warning tasks[3].type" in table.stdout
    assert podium.run("metadata", "validate", path, "--strict").exit_code == 1
    # a task definition in the same files counts as defined
    both = write_json(tmp_path / "both.json", [taskdef(orphan), taskdef(f"{orphan}2"), flow])
    reports = json.loads(podium.run("metadata", "validate", both, "-o", "json").stdout)
    assert not [w for r in reports for w in r["warnings"] if "worker task" in w["message"]]


def test_the_taskdef_validation_endpoint(api: httpx.Client, uniq: str) -> None:
    assert api.post("/metadata/taskdefs/validate", json=taskdef(uniq)).status_code == 200
    assert api.post("/metadata/taskdefs/validate", json=[taskdef(uniq), taskdef(f"{uniq}2")]).status_code == 200
    bad = api.post("/metadata/taskdefs/validate", json=[taskdef(uniq), {"name": uniq, "timeoutSeconds": -5}])
    assert bad.status_code == 400 and bad.json()["validationErrors"][0]["path"].startswith("[1].")
    assert api.post("/metadata/taskdefs/validate", json=[]).status_code == 400
    assert api.get(f"/metadata/taskdefs/{uniq}").status_code == 404
