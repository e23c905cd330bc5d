"""Tags on definitions: /api/metadata/{workflow|task}/{name}/tags and /api/metadata/tags, over HTTP and the SDK."""

from __future__ import annotations

from typing import Any

import httpx


def _defs(api: httpx.Client, uniq: str) -> tuple[str, str]:
    wf, task = f"tagwf_{uniq}", f"tagtask_{uniq}"
    assert api.post("/metadata/taskdefs", json=[{"name": task}]).status_code == 200
    for v in (1, 2):
        d = {"name": wf, "version": v, "tasks": [{"name": task, "taskReferenceName": "t", "type": "SIMPLE"}]}
        assert api.post("/metadata/workflow", json=d).status_code == 200
    return wf, task


def test_workflow_and_task_tags(api: httpx.Client, uniq: str) -> None:
    wf, task = _defs(api, uniq)
    team = {"key": "team", "value": f"billing_{uniq}", "type": "METADATA"}
    tier = {"key": "tier", "value": "gold", "type": "METADATA"}
    for kind, name in (("workflow", wf), ("task", task)):
        assert api.get(f"/metadata/{kind}/{name}/tags").json() == []
        assert api.put(f"/metadata/{kind}/{name}/tags", json=[team, tier]).status_code == 200
        assert api.post(f"/metadata/{kind}/{name}/tags", json=team).status_code == 200  # already there: kept once
        assert api.get(f"/metadata/{kind}/{name}/tags").json() == [team, tier]
        r = api.request("DELETE", f"/metadata/{kind}/{name}/tags", json=tier)
        assert r.status_code == 200, r.text
        assert api.get(f"/metadata/{kind}/{name}/tags").json() == [team]
    # DELETE .../tags no longer reaches "delete version": both versions are still there.
    assert [v["version"] for v in api.get(f"/metadata/workflow/{wf}/versions").json()] == [1, 2]
    assert team in api.get("/metadata/tags").json()
    assert api.post(f"/metadata/workflow/{wf}/tags", json={"key": "tier"}).status_code == 200
    assert {"key": "tier", "type": "METADATA", "value": None} in api.get(f"/metadata/workflow/{wf}/tags").json()


def test_tag_errors(api: httpx.Client, uniq: str) -> None:
    wf, _task = _defs(api, uniq)
    assert api.get(f"/metadata/workflow/missing_{uniq}/tags").status_code == 404
    assert api.put(f"/metadata/task/missing_{uniq}/tags", json=[]).status_code == 404
    r = api.put(f"/metadata/workflow/{wf}/tags", json=[{"value": "x"}])
    assert r.status_code == 400 and r.json()["validationErrors"][0]["path"] == "[0].key"
    assert api.post(f"/metadata/workflow/{wf}/tags", json="x").status_code == 400


def test_conductor_python_metadata_client_tags(server: Any, api: httpx.Client, uniq: str) -> None:
    from conductor.client.configuration.configuration import Configuration
    from conductor.client.orkes.models.metadata_tag import MetadataTag
    from conductor.client.orkes.orkes_metadata_client import OrkesMetadataClient

    wf, task = _defs(api, uniq)
    client = OrkesMetadataClient(Configuration(server_api_url=server.url + "/api"))
    client.set_workflow_tags([MetadataTag("env", "prod"), MetadataTag("owner", "ann")], wf)
    client.add_workflow_tag(MetadataTag("extra", "1"), wf)
    client.delete_workflow_tag(MetadataTag("owner", "ann"), wf)
    assert sorted(t.key for t in client.get_workflow_tags(wf)) == ["env", "extra"]
    client.setTaskTags([MetadataTag("env", "dev")], task)
    client.addTaskTag(MetadataTag("x", "y"), task)
    client.deleteTaskTag(MetadataTag("env", "dev"), task)
    assert [(t.key, t.value) for t in client.getTaskTags(task)] == [("x", "y")]
