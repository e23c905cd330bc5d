"""A typed HTTP client for Podium's (and Conductor's) REST API.

It talks HTTP only and imports no server module, so it installs with httpx and msgspec alone::

    from podium.client import PodiumClient

    with PodiumClient("http://localhost:8080") as api:
        wid = api.start_workflow("order", {"orderId": 7})
        print(api.wait_for_workflow(wid)["status"])
"""

from podium.client._async import AsyncPodiumClient
from podium.client._calls import Call
from podium.client._codec import decode, encode
from podium.client._errors import ApiError, PodiumClientError, ServerUnavailable, is_transient
from podium.client._sync import PodiumClient

__all__ = [
    "ApiError",
    "AsyncPodiumClient",
    "Call",
    "PodiumClient",
    "PodiumClientError",
    "ServerUnavailable",
    "decode",
    "encode",
    "is_transient",
]
