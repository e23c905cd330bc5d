"""From inputData to call arguments, and from a return value to outputData; compiled once per function."""

from __future__ import annotations

import dataclasses
import inspect
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

from podium.client._codec import _enc_hook
from podium.worker._context import TaskContext
from podium.worker._errors import InputError

Convert = Callable[[Any], Any]
_MISSING: Any = inspect.Parameter.empty


@dataclass(slots=True, frozen=True)
class _Param:
    name: str
    role: str  # "ctx" | "data" | "rest" (**kwargs)
    positional: bool  # positional-only
    convert: Convert | None  # None: pass the JSON value as is
    default: Any
    record: bool  # the annotation is a record type that can be built from the whole inputData


def _is_pydantic_model(tp: Any) -> bool:
    return isinstance(tp, type) and hasattr(tp, "model_validate") and hasattr(tp, "model_fields")


def _is_record(tp: Any) -> bool:
    if _is_pydantic_model(tp):
        return True
    if isinstance(tp, type) and (dataclasses.is_dataclass(tp) or issubclass(tp, msgspec.Struct)):
        return True
    if typing.is_typeddict(tp):
        return True
    origin = typing.get_origin(tp) or tp
    return origin in (dict, Mapping)


def _converter(tp: Any) -> Convert | None:
    """How to turn a JSON value into ``tp``; None when the value can be passed as it is."""
    if tp is _MISSING or tp is Any or tp is object or tp is dict or tp is list:
        return None
    if _is_pydantic_model(tp):
        validate: Convert = tp.model_validate
        return validate
    try:
        msgspec.json.Decoder(tp)  # raises TypeError for types msgspec cannot build
    except TypeError:
        return None

    def convert(value: Any) -> Any:
        return msgspec.convert(value, tp, strict=False)

    return convert


def _hints(fn: Callable[..., Any]) -> dict[str, Any]:
    try:
        return typing.get_type_hints(fn)
    except Exception:  # unresolvable forward references: use what is not a string
        raw = getattr(fn, "__annotations__", {})
        return {k: v for k, v in raw.items() if not isinstance(v, str)}


class Binder:
    """Builds the arguments of one task function from a task's inputData.

    * a parameter annotated ``TaskContext`` receives the context;
    * a parameter named like an input key receives that value, converted to its annotation
      (dataclasses, TypedDicts, msgspec Structs and pydantic models included);
    * when the function has a single data parameter annotated with a record type and no input key
      of that name, the whole inputData is converted into it;
    * ``**kwargs`` receives the remaining keys; a missing parameter without default is an
      :class:`InputError` (the task fails without retries).
    """

    __slots__ = ("_params", "_whole")

    def __init__(self, fn: Callable[..., Any]) -> None:
        hints = _hints(fn)
        params: list[_Param] = []
        for p in inspect.signature(fn).parameters.values():
            if p.kind is inspect.Parameter.VAR_POSITIONAL:
                continue
            tp = hints.get(p.name, _MISSING)
            if tp is TaskContext:
                role = "ctx"
            elif p.kind is inspect.Parameter.VAR_KEYWORD:
                role = "rest"
            else:
                role = "data"
            params.append(
                _Param(
                    name=p.name,
                    role=role,
                    positional=p.kind is inspect.Parameter.POSITIONAL_ONLY,
                    convert=_converter(tp) if role == "data" else None,
                    default=p.default,
                    record=role == "data" and _is_record(tp),
                )
            )
        data = [p for p in params if p.role == "data"]
        rest = any(p.role == "rest" for p in params)
        self._params = tuple(params)
        self._whole = data[0] if len(data) == 1 and data[0].record and not rest else None

    def bind(self, inp: Mapping[str, Any], ctx: TaskContext) -> tuple[list[Any], dict[str, Any]]:
        """(positional args, keyword args) for a call."""
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        used: set[str] = set()
        for p in self._params:
            if p.role == "ctx":
                value: Any = ctx
            elif p.role == "rest":
                kwargs.update((k, v) for k, v in inp.items() if k not in used)
                continue
            elif p.name in inp:
                used.add(p.name)
                value = self._convert(p, inp[p.name], f"'{p.name}'")
            elif p is self._whole:
                value = self._convert(p, inp, "data")
            elif p.default is not _MISSING:
                continue
            else:
                raise InputError(f"Missing input '{p.name}'")
            if p.positional:
                args.append(value)
            else:
                kwargs[p.name] = value
        return args, kwargs

    @staticmethod
    def _convert(p: _Param, value: Any, what: str) -> Any:
        if p.convert is None:
            return value
        try:
            return p.convert(value)
        except (msgspec.ValidationError, ValueError, TypeError) as e:
            raise InputError(f"Invalid input {what}: {e}") from e


def to_output(value: Any) -> dict[str, Any]:
    """The outputData for a return value: a mapping or record as is (fields become keys), None as
    ``{}``, anything else as ``{"result": value}``."""
    if value is None:
        return {}
    if type(value) is dict:
        return value
    if isinstance(value, Mapping):
        return dict(value)
    if _is_pydantic_model(type(value)):
        dumped: dict[str, Any] = value.model_dump(mode="json")
        return dumped
    if isinstance(value, msgspec.Struct) or (dataclasses.is_dataclass(value) and not isinstance(value, type)):
        built = msgspec.to_builtins(value, enc_hook=_enc_hook)
        return built if isinstance(built, dict) else {"result": built}
    return {"result": value}
