"""/api/metadata: task and workflow definitions (docs/compatibility.md#metadata-apimetadata)."""

from __future__ import annotations

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from podium.api import openapi_bodies as B
from podium.api.auth import author
from podium.api.body import json_body
from podium.api.deps import services
from podium.api.responses import empty, json_response
from podium.api.search_params import I64_MAX, I64_MIN
from podium.service import tags

router = APIRouter(prefix="/api/metadata", tags=["metadata"])


@router.post(
    "/taskdefs",
    summary="Create or replace task definitions (body: TaskDef[])",
    openapi_extra=B.json_body(B.one_or_many(B.TASK_DEF)),
)
async def register_task_defs(request: Request) -> Response:
    body = await json_body(request)
    if isinstance(body, dict):
        body = [body]
    services(request).metadata.register_task_defs(body, author(request))
    return empty()


@router.post(
    "/taskdefs/validate",
    summary="Validate task definitions without storing them (body: TaskDef or TaskDef[])",
    openapi_extra=B.json_body(B.one_or_many(B.TASK_DEF)),
)
async def validate_task_defs(request: Request) -> Response:
    body = await json_body(request)
    services(request).metadata.validate_task_defs([body] if isinstance(body, dict) else body)
    return empty()


@router.put("/taskdefs", summary="Update an existing task definition", openapi_extra=B.json_body(B.TASK_DEF))
async def update_task_def(request: Request) -> Response:
    services(request).metadata.update_task_def(await json_body(request), author(request))
    return empty()


@router.get("/taskdefs", summary="All task definitions")
async def list_task_defs(request: Request) -> Response:
    return json_response(services(request).metadata.list_task_defs())


@router.get("/taskdefs/{tasktype:path}", summary="One task definition")
async def get_task_def(request: Request, tasktype: str) -> Response:
    return json_response(services(request).metadata.get_task_def(tasktype))


@router.delete("/taskdefs/{tasktype:path}", summary="Delete a task definition (also one stored with a / in its name)")
async def delete_task_def(request: Request, tasktype: str) -> Response:
    services(request).metadata.delete_task_def(tasktype)
    return empty()


@router.post("/workflow/validate", summary="Validate a workflow definition", openapi_extra=B.json_body(B.WORKFLOW_DEF))
async def validate_workflow_def(request: Request) -> Response:
    services(request).metadata.prepare_workflow_def(await json_body(request))
    return empty()


@router.post("/workflow", summary="Create a workflow definition", openapi_extra=B.json_body(B.WORKFLOW_DEF))
async def register_workflow_def(request: Request, overwrite: bool = Query(False)) -> Response:
    services(request).metadata.register_workflow_def(await json_body(request), overwrite, author(request))
    return empty()


@router.put(
    "/workflow",
    summary="Create or replace workflow definitions (body: WorkflowDef[])",
    openapi_extra=B.json_body(B.one_or_many(B.WORKFLOW_DEF)),
)
async def update_workflow_defs(request: Request, overwrite: bool = Query(True)) -> Response:
    body = await json_body(request)
    if isinstance(body, dict):
        body = [body]
    names = services(request).metadata.update_workflow_defs(body, overwrite, author(request))
    return json_response(
        {"bulkErrorResults": {}, "bulkSuccessfulResults": names, "message": "Bulk Request has been processed."}
    )


@router.get("/workflow", summary="All versions of all workflow definitions")
async def list_workflow_defs(request: Request) -> Response:
    return json_response(services(request).metadata.list_workflow_defs())


@router.get("/workflow/latest-versions", summary="The latest version of every workflow definition")
async def latest_versions(request: Request) -> Response:
    latest: dict[str, dict[str, object]] = {}
    for wd in services(request).metadata.list_workflow_defs():
        cur = latest.get(wd["name"])
        if cur is None or int(str(cur.get("version", 0))) <= wd.get("version", 1):
            latest[wd["name"]] = dict(wd)
    return json_response(list(latest.values()))


@router.get("/workflow/names-and-versions", summary="Names with their versions")
async def names_and_versions(request: Request) -> Response:
    out: dict[str, list[dict[str, object]]] = {}
    for wd in services(request).metadata.list_workflow_defs():
        entry: dict[str, object] = {"name": wd["name"], "version": wd.get("version", 1)}
        for k in ("createTime", "updateTime"):
            if k in wd:
                entry[k] = wd[k]
        out.setdefault(wd["name"], []).append(entry)
    return json_response(out)


@router.get("/workflow/names", summary="Workflow definition names")
async def names(request: Request) -> Response:
    return json_response(sorted({wd["name"] for wd in services(request).metadata.list_workflow_defs()}))


# -- tags (Orkes TagsApi) ----------------------------------------------------------------------
TAGS_BODY = B.json_body(B.ANY_OBJECT, description="A TagObject {key, value, type} (PUT: a list of them)")


@router.get("/tags", summary="Every tag in use on a definition")
async def all_tags(request: Request) -> Response:
    return json_response(tags.every(services(request).metadata))


def _tag_routes(kind: tags.Kind, prefix: str) -> None:
    path = f"{prefix}/{{name}}/tags"

    async def get_tags(request: Request, name: str) -> Response:
        return json_response(tags.get(services(request).metadata, kind, name))

    async def put_tags(request: Request, name: str) -> Response:
        tags.replace(services(request).metadata, kind, name, await json_body(request))
        return empty()

    async def add_tag(request: Request, name: str) -> Response:
        tags.add(services(request).metadata, kind, name, await json_body(request))
        return empty()

    async def delete_tag(request: Request, name: str) -> Response:
        tags.remove(services(request).metadata, kind, name, await json_body(request))
        return empty()

    router.add_api_route(path, get_tags, methods=["GET"], summary=f"Tags of a {kind} definition")
    router.add_api_route(path, put_tags, methods=["PUT"], summary=f"Replace the tags of a {kind} definition",
                         openapi_extra=TAGS_BODY)  # fmt: skip
    router.add_api_route(path, add_tag, methods=["POST"], summary=f"Add a tag to a {kind} definition",
                         openapi_extra=TAGS_BODY)  # fmt: skip
    router.add_api_route(path, delete_tag, methods=["DELETE"], summary=f"Remove a tag from a {kind} definition",
                         openapi_extra=TAGS_BODY)  # fmt: skip


_tag_routes("workflow", "/workflow")
_tag_routes("task", "/task")


@router.get("/workflow/{name}/versions", summary="Versions of one workflow definition")
async def versions(request: Request, name: str) -> Response:
    defs = [wd for wd in services(request).metadata.list_workflow_defs() if wd["name"] == name]
    if not defs:
        services(request).metadata.get_workflow_def(name)
    return json_response(
        [{"name": wd["name"], "version": wd.get("version", 1), "createTime": wd.get("createTime", 0)} for wd in defs]
    )


@router.get("/workflow/{name}", summary="A workflow definition (latest when no version)")
async def get_workflow_def(
    request: Request, name: str, version: int | None = Query(None, ge=I64_MIN, le=I64_MAX)
) -> Response:
    return json_response(services(request).metadata.get_workflow_def(name, version))


@router.delete("/workflow/{name}/{version}", summary="Delete one version of a workflow definition")
async def delete_workflow_def(request: Request, name: str, version: int = Path(ge=I64_MIN, le=I64_MAX)) -> Response:
    services(request).metadata.delete_workflow_def(name, version)
    return empty()
