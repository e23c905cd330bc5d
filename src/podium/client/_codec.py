"""JSON encoding for request bodies and decoding of responses (msgspec, one encoder per process)."""

from __future__ import annotations

from typing import Any

import msgspec


def _enc_hook(obj: Any) -> Any:
    # pydantic models are not native to msgspec; dump them the way pydantic itself renders JSON.
    dump = getattr(obj, "model_dump", None)
    if callable(dump):
        return dump(mode="json")
    raise NotImplementedError(f"Objects of type {type(obj).__name__} are not JSON serializable")


_encoder = msgspec.json.Encoder(enc_hook=_enc_hook)
_decoder = msgspec.json.Decoder()

EncodeError = (TypeError, NotImplementedError, msgspec.EncodeError, OverflowError)


def encode(obj: Any) -> bytes:
    """JSON bytes of a value (dataclasses, msgspec Structs, datetimes, UUIDs, pydantic models included)."""
    return _encoder.encode(obj)


def decode(data: bytes) -> Any:
    """A JSON document as plain Python values."""
    return _decoder.decode(data)
