"""One module per task type; importing this package registers every operator."""

from podium.decider.operators import simple  # noqa: F401
from podium.decider.operators.base import REGISTRY, Operator, operator_for, register

__all__ = ["REGISTRY", "Operator", "operator_for", "register"]
