"""Access to the services from a request."""

from __future__ import annotations

from starlette.requests import Request

from podium.service.container import Services


def services(request: Request) -> Services:
    svc: Services = request.app.state.services
    return svc
