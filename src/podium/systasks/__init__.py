"""Server-side executors of system tasks with side effects (HTTP), run by the system-task runner."""

from podium.systasks.hosts import HostPolicy
from podium.systasks.http import execute_http, new_client
from podium.systasks.result import SystemTaskResult

__all__ = ["HostPolicy", "SystemTaskResult", "execute_http", "new_client"]
