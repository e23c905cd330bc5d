"""Expression evaluation: ``${...}`` parameter resolution, JavaScript and jq evaluators."""

from podium.expr._regex import configure as configure_regex_budget
from podium.expr.javascript import ScriptError, check_syntax, evaluate, evaluate_function_body
from podium.expr.jq import JqError, transform
from podium.expr.resolve import (
    ResolutionContext,
    has_expression,
    java_str,
    referenced_roots,
    resolve,
    resolve_input,
)

__all__ = [
    "JqError",
    "ResolutionContext",
    "ScriptError",
    "check_syntax",
    "configure_regex_budget",
    "evaluate",
    "evaluate_function_body",
    "has_expression",
    "java_str",
    "referenced_roots",
    "resolve",
    "resolve_input",
    "transform",
]
