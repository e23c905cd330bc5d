"""One module per task type; importing this package registers every operator."""

from podium.decider.operators import composition, integration, simple, system, wait  # noqa: F401
from podium.decider.operators import do_while as do_while
from podium.decider.operators import dynamic as dynamic
from podium.decider.operators import dynamic_fork as dynamic_fork
from podium.decider.operators import exclusive_join as exclusive_join
from podium.decider.operators import fork as fork
from podium.decider.operators import switch as switch
from podium.decider.operators import terminate as terminate
from podium.decider.operators.base import REGISTRY, Operator, operator_for, register

__all__ = ["REGISTRY", "Operator", "operator_for", "register"]
