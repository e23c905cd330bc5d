"""Hard limits on what one workflow may ask of the server (issue #12), with documented defaults.

Every limit is a plain number read once at start-up (``PODIUM_LIMIT_<NAME>``, e.g.
``PODIUM_LIMIT_LOOP_ITERATIONS=5000``). A request that breaks a definition-time limit is refused
with a 400 naming the field; a run-time limit fails the task (or the workflow) with a reason that
names the limit and the setting that raises it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

KIB = 1024
MIB = 1024 * KIB


@dataclass(frozen=True, slots=True)
class Limits:
    """The server's hard limits. Sizes are bytes of compact JSON; times are milliseconds."""

    # -- user code (JavaScript, jq, JSONPath filters, regular expressions) --------------------
    script_timeout_ms: int = 4_000
    """Wall-clock limit of one script or jq evaluation (it runs in a killable evaluator process)."""
    script_memory_bytes: int = 64 * MIB
    """Memory one script evaluation may use."""
    evaluator_processes: int = 2
    """Evaluator processes kept warm; more are started (up to 4x this) while slow scripts run."""
    inline_eval_budget_ms: int = 50
    """How long one unit of work may wait on evaluations before the rest finish in the background."""
    regex_timeout_ms: int = 50
    """Time limit of the regular expressions in one JSONPath filter evaluation."""

    # -- structure ---------------------------------------------------------------------------
    definition_tasks: int = 1_000
    """Tasks in one workflow definition, nested ones included."""
    workflow_tasks: int = 10_000
    """Task records one execution may create (loop iterations and fork branches included)."""
    loop_iterations: int = 1_000
    """Iterations of one DO_WHILE."""
    fork_width: int = 1_000
    """Branches of one FORK_JOIN_DYNAMIC (and tasks of one DYNAMIC fan-out)."""
    json_depth: int = 64
    """Nesting depth of any JSON document the server accepts or produces."""
    expression_length: int = 16 * KIB
    """Length of one string that holds ``${...}`` expressions, or of one script."""
    name_length: int = 255
    """Length of a task type or workflow name."""

    # -- payloads (Conductor's max payload thresholds: larger is refused or fails the task) ----
    task_input_bytes: int = 10 * MIB
    task_output_bytes: int = 10 * MIB
    workflow_input_bytes: int = 10 * MIB
    workflow_output_bytes: int = 10 * MIB
    workflow_total_bytes: int = 64 * MIB
    """All task inputs and outputs of one execution together."""

    # -- external payload storage (Conductor's payload thresholds) ----------------------------
    workflow_input_threshold_bytes: int = 5_120 * KIB
    """A workflow input larger than this (but within ``workflow_input_bytes``) is kept in the payload
    store; the record carries ``externalInputPayloadStoragePath`` and ``input: {}``."""
    task_input_threshold_bytes: int = 3_072 * KIB
    """Likewise for a task's input (``externalInputPayloadStoragePath``, ``inputData: {}``)."""
    task_output_threshold_bytes: int = 3_072 * KIB
    """Likewise for a task's output (``externalOutputPayloadStoragePath``, ``outputData: {}``)."""
    workflow_output_threshold_bytes: int = 5_120 * KIB
    """Likewise for a workflow's output (``externalOutputPayloadStoragePath``, ``output: {}``)."""

    # -- decide failures and events ----------------------------------------------------------
    decide_attempts: int = 5
    """Failed decide passes of one workflow (retried with backoff) before it is FAILED."""
    decide_backoff_ms: int = 1_000
    """First back-off after a failed decide; it doubles each time."""
    decide_nesting: int = 64
    """Workflows decided one inside another in one step (sub-workflows that start their own at once,
    children reporting to parents); deeper, the step fails as a failed decide (a workflow starting itself)."""
    event_actions_per_second: int = 100
    """Actions one event handler may run per second; the rest are dropped and counted."""
    event_chain_depth: int = 8
    """Workflows started by events published by workflows started by events, ... at most this deep."""
    schedule_catch_up_fires: int = 1_000
    """Missed fires a schedule with ``runCatchupScheduleInstances`` replays after downtime, about (the
    window is this many of its current intervals); older missed fires are skipped, with a warning."""

    # -- HTTP --------------------------------------------------------------------------------
    http_header_timeout_ms: int = 10_000
    """A client must send a request's headers within this time, or the connection is closed."""
    http_body_timeout_ms: int = 30_000
    """... and its whole body within this time."""
    http_task_deadline_ms: int = 60_000
    """Total time an HTTP task's call may take, however slowly the far end answers."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Limits:
        """Defaults, overridden by ``PODIUM_LIMIT_<FIELD>`` variables (integers)."""
        values: dict[str, int] = {}
        for f in fields(cls):
            raw = env.get("PODIUM_LIMIT_" + f.name.upper())
            if raw:
                try:
                    values[f.name] = int(raw)
                except ValueError:
                    raise ValueError(f"PODIUM_LIMIT_{f.name.upper()} must be an integer, not {raw!r}") from None
        return cls(**values)


DEFAULT_LIMITS = Limits()
