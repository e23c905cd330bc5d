"""The engine: what every unit of work shares — the store, the clock, definitions and the effect handlers.

The engine keeps no per-request state. Each transaction gets its own ``Unit`` (``Engine.unit()``),
which loads workflows, decides them, persists the outcome and runs the decider's effects; see
``service/unit.py``.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from podium.decider import DeciderEnv, WorkflowState
from podium.decider.outcome import Effect
from podium.domain.clock import Clock, new_id
from podium.domain.limits import DEFAULT_LIMITS, Limits
from podium.service.metadata import MetadataService
from podium.service.notifier import QueueNotifier
from podium.service.payloads import PayloadService
from podium.service.polldata import PollDataTracker
from podium.service.unit import Unit
from podium.store.protocols import SingleWriter, Store

if TYPE_CHECKING:
    from podium.sandbox import Evaluator

log = logging.getLogger("podium.engine")

EffectHandler = Callable[[Unit, WorkflowState, Effect], None]


class Engine:
    """Opens units of work over the store; holds what they share and nothing of any one request."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        metadata: MetadataService,
        notifier: QueueNotifier,
        poll_data: PollDataTracker,
        *,
        js: Callable[..., Any] | None = None,
        jq: Callable[[str, Any], list[Any]] | None = None,
        id_factory: Callable[[], str] = new_id,
        env_vars: dict[str, str] | None = None,
        limits: Limits = DEFAULT_LIMITS,
        evaluator: Evaluator | None = None,
        payloads: PayloadService | None = None,
    ) -> None:
        self.limits = limits
        if payloads is None:
            from podium.store.payloads.memory import MemoryPayloads

            payloads = PayloadService(MemoryPayloads(), limits)
        self.payloads = payloads
        # The evaluator processes behind ``js``/``jq``, when user code runs in them (the server).
        self.evaluator = evaluator
        self.store = store
        self.clock = clock
        self.metadata = metadata
        self.notifier = notifier
        self.poll_data = poll_data
        self.new_id = id_factory
        self.effect_handlers: dict[str, EffectHandler] = {}
        self.env = DeciderEnv(
            task_def=metadata.task_def,
            new_id=id_factory,
            domain_active=self._domain_active,
            js=js,
            jq=jq,
            random=random.random,
            env_vars=env_vars or {},
            limits=limits,
        )
        # One process owns the store (SQLite): nothing changes it between this process's own steps.
        self.single_writer = isinstance(store, SingleWriter)
        from podium.service import effects

        effects.install(self)

    def _domain_active(self, task_type: str, domain: str) -> bool:
        return self.poll_data.active(task_type, domain, self.clock.now())

    def unit(self) -> Unit:
        """A unit of work for ``with``: one transaction; its after-commit actions run only if it ends well."""
        return Unit(self)

    def decide(self, workflow_id: str) -> WorkflowState:
        """Decide one workflow in a unit of its own."""
        with self.unit() as u:
            state = u.load(workflow_id)
            u.decide(state)
        return state

    def run_effect(self, unit: Unit, state: WorkflowState, eff: Effect) -> None:
        """Carry out one effect a decide pass asked for, in the deciding unit."""
        handler = self.effect_handlers.get(eff.kind)
        if handler is None:
            log.warning("no handler for effect %s", eff.kind)
            return
        handler(unit, state, eff)
