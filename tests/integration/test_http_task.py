"""The HTTP system task: the executor against a real loopback server, the host policy, and the
system-task runner driving workflows in process over a real SQLite store."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from localhttp import LocalHttp, local_http

from podium.domain import statuses as st
from podium.domain.limits import DEFAULT_LIMITS, Limits
from podium.runtime.systask_runner import SystemTaskRunner
from podium.service import events, starting
from podium.service.container import Services, build_services, open_store
from podium.systasks import HostPolicy, SystemTaskResult, execute_http, new_client
from podium.systasks.hosts import HostDenied
from podium.systasks.http import FAILURE_PREFIX, LEASE_SLACK_MS, deadline_ms, lease_ms

LOOPBACK = HostPolicy(["127.0.0.1"])


@pytest.fixture(scope="module")
def web() -> Iterator[LocalHttp]:
    with local_http() as srv:
        yield srv


def run(task_input: dict[str, Any], policy: HostPolicy = LOOPBACK, limits: Limits = DEFAULT_LIMITS) -> SystemTaskResult:
    async def go() -> SystemTaskResult:
        async with new_client(policy) as client:
            return await execute_http(client, task_input, policy, limits)

    return asyncio.run(go())


def req(uri: str, method: str = "GET", **extra: Any) -> dict[str, Any]:
    return {"http_request": {"uri": uri, "method": method, **extra}}


# -- executor -------------------------------------------------------------------------------------
def test_get_json_completes_with_parsed_body_headers_and_reason(web: LocalHttp) -> None:
    r = run(req(f"{web.url}/json"))
    assert r.status == st.COMPLETED and r.reason is None
    resp = r.output["response"]
    assert resp["statusCode"] == 200 and resp["reasonPhrase"] == "OK"
    assert resp["body"] == {"a": 1, "list": [1, 2]}
    assert resp["headers"]["X-Extra"] == ["yes"] and resp["headers"]["Content-Type"] == ["application/json"]
    assert web.requests[-1]["headers"]["Accept"] == "application/json"


def test_post_sends_json_body_headers_and_content_type(web: LocalHttp) -> None:
    r = run(
        req(
            f"{web.url}/echo",
            "post",
            body={"k": [1, None]},
            headers={"X-Trace": 7, "x-multi": ["a", "b"]},
            accept=["application/json", "text/plain"],
        )
    )
    assert r.status == st.COMPLETED and r.output["response"]["statusCode"] == 201
    echo = r.output["response"]["body"]
    assert echo["method"] == "POST" and echo["body"] == '{"k":[1,null]}'
    assert echo["headers"]["Content-Type"] == "application/json"
    assert echo["headers"]["Accept"] == "application/json, text/plain"
    assert echo["headers"]["X-Trace"] == "7"
    assert [v for k, v in web.requests[-1]["header_items"] if k.lower() == "x-multi"] == ["a", "b"]


def test_string_and_form_bodies(web: LocalHttp) -> None:
    r = run(req(f"{web.url}/echo", "PUT", body="raw text", contentType="text/plain"))
    echo = r.output["response"]["body"]
    assert echo["body"] == "raw text" and echo["headers"]["Content-Type"] == "text/plain"
    r = run(req(f"{web.url}/echo", "POST", body={"a": 1, "b": "x y"}, contentType="application/x-www-form-urlencoded"))
    assert r.output["response"]["body"]["body"] == "a=1&b=x+y"


def test_text_number_and_empty_bodies(web: LocalHttp) -> None:
    assert run(req(f"{web.url}/text")).output["response"]["body"] == "hello world"
    assert run(req(f"{web.url}/num")).output["response"]["body"] == 42
    empty = run(req(f"{web.url}/empty", "DELETE"))
    assert empty.status == st.COMPLETED and empty.output["response"]["statusCode"] == 204
    assert empty.output["response"]["body"] is None


def test_request_may_be_the_task_input_itself(web: LocalHttp) -> None:
    r = run({"uri": f"{web.url}/json", "method": "GET"})
    assert r.status == st.COMPLETED and r.output["response"]["body"]["a"] == 1


def test_non_2xx_fails_with_the_error_text(web: LocalHttp) -> None:
    r = run(req(f"{web.url}/status/404"))
    assert r.status == st.FAILED
    assert r.reason == FAILURE_PREFIX + "404 Not Found: nope"
    assert r.output == {"response": "404 Not Found: nope"}
    assert run(req(f"{web.url}/status/503")).reason.startswith(FAILURE_PREFIX + "503")  # type: ignore[union-attr]


def test_connection_refused_fails() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    r = run(req(f"http://127.0.0.1:{port}/x", connectionTimeOut=500))
    assert r.status == st.FAILED and r.reason.startswith(FAILURE_PREFIX + "ConnectError")  # type: ignore[union-attr]


def test_read_timeout_fails(web: LocalHttp) -> None:
    web.release.clear()
    try:
        r = run(req(f"{web.url}/slow", readTimeOut=150))
    finally:
        web.release.set()
    assert r.status == st.FAILED and "ReadTimeout" in (r.reason or "")


def test_missing_or_bad_request_fields_fail(web: LocalHttp) -> None:
    assert "Missing HTTP URI" in (run({"http_request": {"method": "GET"}}).reason or "")
    assert "No HTTP method" in (run({"http_request": {"uri": f"{web.url}/json"}}).reason or "")
    assert "Unsupported HTTP method" in (run(req(f"{web.url}/json", "BREW")).reason or "")
    assert "scheme" in (run(req("ftp://127.0.0.1/file")).reason or "")


def test_loopback_is_denied_unless_allowed(web: LocalHttp) -> None:
    before = len(web.requests)
    for host in ("127.0.0.1", "localhost"):
        r = run(req(f"http://{host}:{web.port}/json"), HostPolicy())
        assert r.status == st.FAILED and "PODIUM_HTTP_ALLOW" in (r.reason or "")
    assert len(web.requests) == before  # nothing was sent
    assert run(req(f"http://localhost:{web.port}/json"), HostPolicy(["localhost"])).status == st.COMPLETED


def test_redirects_are_followed_and_each_hop_is_checked(web: LocalHttp) -> None:
    r = run(req(f"{web.url}/redirect?to={web.url}/json"))
    assert r.status == st.COMPLETED and r.output["response"]["body"]["a"] == 1
    r = run(req(f"{web.url}/redirect?to=http://169.254.169.254/latest/meta-data"))
    assert r.status == st.FAILED and "169.254.169.254" in (r.reason or "")


def test_oversized_response_fails(web: LocalHttp) -> None:
    r = run(req(f"{web.url}/big", readTimeOut=10_000))
    assert r.status == st.FAILED and "larger than" in (r.reason or "")


def test_oversized_response_fails_at_the_task_output_limit(web: LocalHttp) -> None:
    r = run(req(f"{web.url}/text"), limits=Limits(task_output_bytes=5))
    assert r.status == st.FAILED
    assert r.reason == FAILURE_PREFIX + "Response body is larger than 5 bytes (PODIUM_LIMIT_TASK_OUTPUT_BYTES)"
    assert run(req(f"{web.url}/text"), limits=Limits(task_output_bytes=11)).status == st.COMPLETED


def test_an_answer_dribbled_byte_by_byte_fails_at_the_total_deadline(web: LocalHttp) -> None:
    # Each byte arrives well within the read timeout; the whole answer would take 10 s.
    r = run(req(f"{web.url}/dribble", connectionTimeOut=100, readTimeOut=400))
    assert r.status == st.FAILED
    assert (r.reason or "").startswith(FAILURE_PREFIX + "Deadline exceeded: no complete answer within 500 ms")
    r = run(req(f"{web.url}/dribble", readTimeOut=60_000), limits=Limits(http_task_deadline_ms=300))
    assert r.status == st.FAILED and "within 300 ms" in (r.reason or "") and "DEADLINE_MS=300" in (r.reason or "")


def test_deadline_and_lease() -> None:
    assert deadline_ms(req("http://x", connectionTimeOut=1000, readTimeOut="2000")) == 3000
    assert deadline_ms({"uri": "http://x"}) == 6000
    assert deadline_ms(req("http://x", readTimeOut=10**9)) == DEFAULT_LIMITS.http_task_deadline_ms
    assert deadline_ms(req("http://x"), Limits(http_task_deadline_ms=100)) == 100
    assert lease_ms(req("http://x", connectionTimeOut=1000, readTimeOut="2000")) == 3000 + LEASE_SLACK_MS


def test_the_connection_goes_only_to_an_address_checked_when_connecting(web: LocalHttp) -> None:
    class Rebound(HostPolicy):
        async def check(self, host: str) -> str | None:
            return None  # as if the name had resolved to a public address for the check

    before = len(web.requests)
    r = run(req(f"http://localhost:{web.port}/json"), Rebound())
    assert r.status == st.FAILED and "host localhost (" in (r.reason or "") and "is not allowed" in (r.reason or "")
    assert r.reason.startswith(FAILURE_PREFIX + "ConnectError")  # type: ignore[union-attr]
    assert len(web.requests) == before


@pytest.mark.parametrize(
    ("address", "denied"),
    [
        ("8.8.8.8", False),
        ("2606:4700:4700::1111", False),
        ("127.0.0.1", True),
        ("10.1.2.3", True),
        ("172.16.0.1", True),
        ("192.168.1.1", True),
        ("169.254.169.254", True),
        ("100.64.0.1", True),
        ("0.0.0.0", True),
        ("224.0.0.1", True),
        ("::1", True),
        ("fe80::1", True),
        ("fd00::1", True),
        ("::ffff:127.0.0.1", True),
        ("::ffff:10.0.0.1", True),
        ("::ffff:8.8.8.8", False),
        ("::127.0.0.1", True),  # IPv4-compatible
        ("::10.0.0.1", True),
        ("64:ff9b::7f00:1", True),  # NAT64 of 127.0.0.1
        ("64:ff9b::a9fe:a9fe", True),  # NAT64 of 169.254.169.254
        ("64:ff9b::808:808", False),  # NAT64 of a public address
        ("64:ff9b:1::7f00:1", True),  # local-use NAT64
        ("2002:7f00:1::", True),  # 6to4 of 127.0.0.1
        ("2002:c0a8:101::1", True),  # 6to4 of 192.168.1.1
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", True),  # Teredo
        ("fec0::1", True),
        ("ff02::1", True),
    ],
)
def test_default_policy_denies_non_public_addresses(address: str, denied: bool) -> None:
    assert HostPolicy().denies(ipaddress.ip_address(address)) is denied


@pytest.mark.parametrize(
    "host",
    [
        "[::127.0.0.1]",
        "[::ffff:127.0.0.1]",
        "[64:ff9b::7f00:1]",
        "[2002:7f00:1::]",
        "[2001:0:4136:e378:8000:63bf:80ff:fffe]",
        "2130706433",  # 127.0.0.1 as one decimal number
        "0x7f.1",
        "0177.0.0.1",
        "127.1",
        "0",
        "localhost.",
        "LOCALHOST",
    ],
)
def test_every_spelling_of_a_loopback_host_is_denied(host: str) -> None:
    async def verdicts() -> tuple[str | None, list[str] | str]:
        policy = HostPolicy()
        try:
            connect: list[str] | str = await policy.connect_addresses(host)
        except HostDenied as e:
            connect = str(e)
        return await policy.check(host), connect

    check, connect = asyncio.run(verdicts())
    assert check is not None and "PODIUM_HTTP_ALLOW" in check
    assert isinstance(connect, str) and "PODIUM_HTTP_ALLOW" in connect


def test_denied_ipv6_forms_send_nothing(web: LocalHttp) -> None:
    before = len(web.requests)
    for host in ("[::127.0.0.1]", "[::ffff:127.0.0.1]", "2130706433", "127.1"):
        r = run(req(f"http://{host}:{web.port}/json"), HostPolicy())
        assert r.status == st.FAILED and "is not allowed" in (r.reason or ""), (host, r.reason)
    assert len(web.requests) == before


def test_allow_list_entries() -> None:
    policy = HostPolicy(["10.0.0.0/8", "::1", " api.internal ", "*.corp.example"])
    assert not policy.denies(ipaddress.ip_address("10.9.9.9"))
    assert not policy.denies(ipaddress.ip_address("::1"))
    assert policy.denies(ipaddress.ip_address("192.168.0.1"))

    async def verdicts() -> list[str | None]:
        return [await policy.check(h) for h in ("API.internal", "x.corp.example", "[::1]", "127.0.0.1")]

    ok_name, ok_suffix, ok_v6, loop = asyncio.run(verdicts())
    assert ok_name is None and ok_suffix is None and ok_v6 is None and loop is not None
    assert HostPolicy(["*"]).allow_all


# -- the runner, in process -----------------------------------------------------------------------
@pytest.fixture()
def svc(tmp_path: Path) -> Iterator[Services]:
    services = build_services(open_store(f"sqlite:///{tmp_path / 'podium.db'}"))
    events.install(services.engine)
    yield services
    services.store.close()


def register(svc: Services, name: str, tasks: list[dict[str, Any]], **extra: Any) -> None:
    svc.metadata.register_workflow_def({"name": name, "version": 1, "tasks": tasks, "timeoutSeconds": 0, **extra}, True)


def http_node(ref: str, uri: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": ref,
        "taskReferenceName": ref,
        "type": "HTTP",
        "inputParameters": {"http_request": {"uri": uri, "method": "GET"}},
        **extra,
    }


def by_ref(svc: Services, wid: str, ref: str) -> list[dict[str, Any]]:
    return [dict(t) for t in svc.store.get_tasks(wid) if t["referenceTaskName"] == ref]


async def drain(runner: SystemTaskRunner) -> int:
    """Run every due execution to its end (no timers involved)."""
    total = 0
    while True:
        started = runner.tick()
        if not started and not runner._running:
            return total
        total += started
        if runner._running:
            await asyncio.gather(*list(runner._running.values()))


def test_runner_completes_http_task_and_the_flow_continues(svc: Services, web: LocalHttp) -> None:
    register(
        svc,
        "h1",
        [
            http_node("h", f"{web.url}/json"),
            {
                "name": "w",
                "taskReferenceName": "w",
                "type": "SIMPLE",
                "inputParameters": {"a": "${h.output.response.body.a}"},
            },
        ],
    )
    wid = starting.start(svc.engine, {"name": "h1"})
    [h] = by_ref(svc, wid, "h")
    assert h["status"] == st.IN_PROGRESS and svc.store.queue_size("HTTP") == 1

    async def go() -> int:
        runner = SystemTaskRunner(svc, LOOPBACK, 10, max_concurrent=4)
        try:
            return await drain(runner)
        finally:
            await runner.shutdown()

    assert asyncio.run(go()) == 1
    [h] = by_ref(svc, wid, "h")
    assert h["status"] == st.COMPLETED and h["outputData"]["response"]["statusCode"] == 200
    assert h["pollCount"] == 1 and h["endTime"] >= h["startTime"] > 0
    [w] = by_ref(svc, wid, "w")
    assert w["inputData"] == {"a": 1} and w["status"] == st.SCHEDULED
    assert svc.store.queue_size("HTTP") == 0


def test_runner_failure_retries_per_task_def_then_fails_workflow(svc: Services, web: LocalHttp) -> None:
    svc.metadata.register_task_defs(
        [{"name": "h", "retryCount": 1, "retryDelaySeconds": 0, "timeoutSeconds": 0, "responseTimeoutSeconds": 10}]
    )
    register(svc, "h2", [http_node("h", f"{web.url}/status/500")])
    wid = starting.start(svc.engine, {"name": "h2"})

    async def go() -> int:
        runner = SystemTaskRunner(svc, LOOPBACK, 10)
        try:
            return await drain(runner)
        finally:
            await runner.shutdown()

    assert asyncio.run(go()) == 2
    attempts = by_ref(svc, wid, "h")
    assert [a["status"] for a in attempts] == [st.FAILED, st.FAILED] and attempts[1]["retryCount"] == 1
    wf = svc.store.get_workflow(wid)
    assert wf is not None and wf["status"] == st.FAILED
    assert attempts[1]["reasonForIncompletion"].startswith(FAILURE_PREFIX + "500")


def test_async_complete_http_waits_for_an_external_update(svc: Services, web: LocalHttp) -> None:
    register(svc, "h3", [http_node("h", f"{web.url}/json", asyncComplete=True)])
    wid = starting.start(svc.engine, {"name": "h3"})

    async def go() -> None:
        runner = SystemTaskRunner(svc, LOOPBACK, 10)
        try:
            await drain(runner)
        finally:
            await runner.shutdown()

    asyncio.run(go())
    [h] = by_ref(svc, wid, "h")
    assert h["status"] == st.IN_PROGRESS and h["outputData"]["response"]["body"]["a"] == 1
    svc.tasks.update({"workflowInstanceId": wid, "taskId": h["taskId"], "status": "COMPLETED", "outputData": {"x": 1}})
    wf = svc.store.get_workflow(wid)
    assert wf is not None and wf["status"] == st.COMPLETED and wf["output"] == {"x": 1}


def test_http_call_does_not_block_the_event_loop(svc: Services, web: LocalHttp) -> None:
    register(
        svc,
        "slow",
        [
            http_node(
                "h",
                f"{web.url}/slow",
                inputParameters={"http_request": {"uri": f"{web.url}/slow", "method": "GET", "readTimeOut": 8000}},
            )
        ],
    )
    register(svc, "fast", [http_node("h", f"{web.url}/json")])
    web.release.clear()
    slow = starting.start(svc.engine, {"name": "slow"})
    fast = starting.start(svc.engine, {"name": "fast"})

    async def go() -> None:
        runner = SystemTaskRunner(svc, LOOPBACK, 10)
        try:
            assert runner.tick() == 2
            fast_task = runner._running[by_ref(svc, fast, "h")[0]["taskId"]]
            await asyncio.wait_for(fast_task, 5)
            # The fast workflow finished while the slow call is still waiting on its server.
            assert svc.store.get_workflow(fast)["status"] == st.COMPLETED  # type: ignore[index]
            assert by_ref(svc, slow, "h")[0]["status"] == st.IN_PROGRESS
            web.release.set()
            await drain(runner)
        finally:
            web.release.set()
            await runner.shutdown()

    asyncio.run(go())
    assert svc.store.get_workflow(slow)["status"] == st.COMPLETED  # type: ignore[index]


def test_leased_task_of_a_dead_runner_runs_after_restart(svc: Services, web: LocalHttp) -> None:
    register(svc, "h4", [http_node("h", f"{web.url}/json")])
    wid = starting.start(svc.engine, {"name": "h4"})

    async def go() -> None:
        dead = SystemTaskRunner(svc, LOOPBACK, 10)
        assert [t["taskId"] for t in dead.claim(10)] == [by_ref(svc, wid, "h")[0]["taskId"]]
        # The lease hides the message; a fresh runner (a restarted server) releases it at start-up.
        fresh = SystemTaskRunner(svc, LOOPBACK, 10)
        assert fresh.claim(10) == []
        fresh.release_stale_leases()
        try:
            assert await drain(fresh) == 1
        finally:
            await fresh.shutdown()

    asyncio.run(go())
    assert by_ref(svc, wid, "h")[0]["status"] == st.COMPLETED


def test_stale_messages_are_dropped(svc: Services, web: LocalHttp) -> None:
    register(svc, "h5", [http_node("h", f"{web.url}/json")])
    wid = starting.start(svc.engine, {"name": "h5"})
    from podium.service.workflows import terminate

    terminate(svc.engine, wid, "stop")
    with svc.store.transaction():  # a message left behind by a crash
        svc.store.queue_push("HTTP", by_ref(svc, wid, "h")[0]["taskId"], 0, 0, 0)
    runner = SystemTaskRunner(svc, LOOPBACK, 10)
    assert runner.claim(10) == [] and svc.store.queue_size("HTTP") == 0
