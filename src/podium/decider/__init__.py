"""The decider: a pure function of (workflow state, definitions, now)."""

from podium.decider import operators  # noqa: F401  (registers operators)
from podium.decider.decide import decide
from podium.decider.env import DeciderEnv
from podium.decider.outcome import Effect, Outcome, QueuePush
from podium.decider.state import WorkflowState

__all__ = ["DeciderEnv", "Effect", "Outcome", "QueuePush", "WorkflowState", "decide"]
