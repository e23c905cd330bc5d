"""LISTEN/NOTIFY for a cluster of nodes on one database.

Each node keeps one listening connection on a background thread. A queue push anywhere wakes the
long-polls waiting on that queue on every node; a definition change drops every node's cached
definitions. Nothing polls the database: the thread sleeps in the socket until a notification comes.

A node alone on its database need not notify anyone: each listener announces itself on connecting
(``join|<node>`` on the metadata channel) and counts the other listeners, so the store knows whether
peers exist (``on_peers``). While they may, it notifies; once a recount finds none, it stops.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import psycopg

from podium.store.postgres.interest import Interest
from podium.store.postgres.queries import Q

log = logging.getLogger("podium.store.postgres")

# The channels of ``sql/postgres/queries.sql`` (listen_*, announce, notify_*).
QUEUE_CHANNEL = "podium_queue"
META_CHANNEL = "podium_meta"
_WAKE_CHECK_S = 1.0  # how often the thread looks at its stop flag while idle
# While peers are known, how often the listener recounts them (to stop notifying once they left).
PEER_RECOUNT_S = 5.0
# This version's listeners claim what their node waits on (``postgres.interest``); listeners of
# versions before claims (a rolling upgrade) are told apart by name and get every wake-up.
APP_NAME = "podium-listener-2"
LEGACY_APP_NAME = "podium-listener"
_JOIN = "join|"
_WANT = "want|"  # want|<node>|<channel>: a node waits on a channel (``postgres.interest``)


# Separates the channels of one notification (a group commit wakes all of its queues and workflows at once).
_SEP = "\x1f"
# A NOTIFY payload holds under 8,000 bytes.
_PAYLOAD_MAX = 7000


def queue_payload(node: str, queue: str, visible_at: int | None) -> str:
    """``node|visible_at|queue``; visible_at is empty for a message due now, so repeats in one commit merge."""
    return f"{node}|{'' if visible_at is None else visible_at}|{queue}"


def want_payload(node: str, channel: str) -> str:
    """The metadata-channel payload by which ``node`` claims ``channel`` (see ``postgres.interest``)."""
    return f"{_WANT}{node}|{channel}"


def wake_payloads(node: str, channels: list[str]) -> list[str]:
    """Payloads waking ``channels`` (queues and ``wf:<id>``, all due now): as few as fit the size limit."""
    out: list[str] = []
    batch: list[str] = []
    size = 0
    for ch in channels:
        if batch and size + len(ch) + 1 > _PAYLOAD_MAX:
            out.append(queue_payload(node, _SEP.join(batch), None))
            batch, size = [], 0
        batch.append(ch)
        size += len(ch.encode()) + 1
    if batch:
        out.append(queue_payload(node, _SEP.join(batch), None))
    return out


class Listener:
    """A thread that turns other nodes' notifications into local callbacks."""

    def __init__(
        self,
        url: str,
        node: str,
        on_queue: Callable[[str, int | None], None],
        on_metadata: Callable[[], None],
        queue_names: Callable[[psycopg.Connection[Any]], list[str]],
        on_peers: Callable[[bool], None] | None = None,
        interest: Interest | None = None,
    ) -> None:
        self.url = url
        self.node = node
        self.on_queue = on_queue
        self.on_metadata = on_metadata
        self.queue_names = queue_names
        self.on_peers = on_peers or (lambda present: None)
        self.interest = interest or Interest()
        self._recount = False
        self.peers = True  # whether other nodes may be listening; True until counted
        self.ready = threading.Event()
        self._stop = threading.Event()
        self._conn: psycopg.Connection[Any] | None = None
        self._thread = threading.Thread(target=self._run, name="podium-pg-listen", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(_WAKE_CHECK_S * 3)

    def _run(self) -> None:
        backoff = 0.05
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True, connect_timeout=5, application_name=APP_NAME) as conn:
                    conn.execute(Q["listen_queue"])
                    conn.execute(Q["listen_meta"])
                    # Announce first, count second: a node starting at the same time either is
                    # counted or hears this announcement (it listens before it counts).
                    conn.execute(Q["announce"], (_JOIN + self.node,))
                    recount_at = self._count_peers(conn)
                    self.interest.listening()
                    self._resync(conn)
                    self.ready.set()
                    backoff = 0.05
                    while not self._stop.is_set():
                        for n in conn.notifies(timeout=_WAKE_CHECK_S):
                            self._dispatch(n.channel, n.payload)
                        if self.peers and (self._recount or time.monotonic() >= recount_at):
                            recount_at = self._count_peers(conn)
            except psycopg.Error as e:
                self.ready.clear()
                self.interest.not_listening()
                self._set_peers(True)
                log.info("listener connection lost (%s); reconnecting", (str(e).strip().splitlines() or [""])[0])
            except Exception:
                self.ready.clear()
                self.interest.not_listening()
                self._set_peers(True)
                log.exception("listener failed; restarting")
            self._stop.wait(backoff)
            backoff = min(backoff * 2, 2.0)

    def _count_peers(self, conn: psycopg.Connection[Any]) -> float:
        """Count the other nodes' listeners now; returns when to count again."""
        row = conn.execute(Q["other_listeners"], (LEGACY_APP_NAME, APP_NAME, LEGACY_APP_NAME)).fetchone()
        self.interest.legacy_peers(bool(row and row[1]))
        self._set_peers(bool(row and row[0]))
        self._recount = False
        return time.monotonic() + PEER_RECOUNT_S

    def _set_peers(self, present: bool) -> None:
        if present != self.peers:
            self.peers = present
            self.on_peers(present)

    def _resync(self, conn: psycopg.Connection[Any]) -> None:
        """Notifications sent while not listening are lost: wake every queue, forget every definition."""
        self.on_metadata()
        for queue in self.queue_names(conn):
            self.on_queue(queue, None)

    def _dispatch(self, channel: str, payload: str) -> None:
        try:
            if channel == QUEUE_CHANNEL:
                node, at, queues = payload.split("|", 2)
                if node != self.node:
                    for queue in queues.split(_SEP):
                        self.on_queue(queue, int(at) if at else None)
            elif channel == META_CHANNEL and payload != self.node:
                if payload.startswith(_WANT):
                    node, channel = payload[len(_WANT) :].split("|", 1)
                    if node != self.node:
                        self.interest.heard(channel)
                        self._set_peers(True)
                elif payload.startswith(_JOIN):
                    if payload[len(_JOIN) :] != self.node:
                        self._set_peers(True)
                        self._recount = True  # soon: it may be a node that does not claim
                else:
                    self.on_metadata()
        except Exception:
            log.exception("bad notification %r on %s", payload, channel)
