"""Sealing secret values, reading the SDKs' bodies, and revealing ${workflow.secrets.X} in a worker's copy."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag

from podium.domain.errors import InvalidArgument
from podium.expr.secrets import referenced_secrets, reveal
from podium.service.values import key_source, parse_key, parse_value, seal, unseal

KEY = os.urandom(32)


def test_seal_round_trip_and_binding_to_name() -> None:
    box = seal(KEY, "tok", "s3cr3t")
    assert "s3cr3t" not in box and box.startswith("v1:")
    assert seal(KEY, "tok", "s3cr3t") != box  # a fresh nonce each time
    assert unseal(KEY, "tok", box) == "s3cr3t"
    with pytest.raises(InvalidTag):
        unseal(KEY, "other", box)  # moved under another name: does not open
    with pytest.raises(InvalidTag):
        unseal(os.urandom(32), "tok", box)


def test_key_spellings() -> None:
    assert parse_key(base64.urlsafe_b64encode(KEY).decode()) == KEY
    assert parse_key(base64.b64encode(KEY).decode().rstrip("=")) == KEY
    assert parse_key(KEY.hex()) == KEY
    with pytest.raises(ValueError):
        parse_key("short")


def test_key_file_beside_sqlite(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    source = key_source(None, f"sqlite:///{db}")
    key = source()
    assert key is not None and len(key) == 32
    path = tmp_path / "p.db.secrets-key"
    assert path.stat().st_mode & 0o777 == 0o600
    assert key_source(None, f"sqlite:///{db}")() == key  # read again by a later start
    assert key_source(None, "postgresql://x/y")() is None
    assert key_source(KEY.hex(), "postgresql://x/y")() == KEY


def test_values_as_the_sdks_send_them() -> None:
    assert parse_value(b'"a \\"quoted\\" value"', "secret") == 'a "quoted" value'  # JS SDK: JSON string
    assert parse_value(b"bare-text", "secret") == "bare-text"  # conductor-python strips the quotes
    assert parse_value(b"123", "secret") == "123"
    assert parse_value(b'p@ss \\"word\\', "secret") == 'p@ss "word"'  # conductor-python: json.dumps(v).strip('"')
    assert parse_value(b"line\\nnext", "secret") == "line\nnext"
    assert parse_value(b"C:\\path", "secret") == "C:\\path"  # not JSON escapes: as it is
    with pytest.raises(InvalidArgument):
        parse_value(b"", "secret")
    with pytest.raises(InvalidArgument):
        parse_value(b'""', "secret")


def test_reveal_only_allowed_names() -> None:
    values = {"tok": "T", "db": "D"}
    data = {
        "whole": "${workflow.secrets.tok}",
        "mixed": ["Bearer ${workflow.secrets.tok}!"],
        "injected": "${workflow.secrets.db}",
        "missing": "${workflow.secrets.nope}",
        "n": 3,
    }
    out = reveal(data, values, {"tok", "nope"})
    assert out == {
        "whole": "T",
        "mixed": ["Bearer T!"],
        "injected": "${workflow.secrets.db}",
        "missing": None,
        "n": 3,
    }
    assert data["whole"] == "${workflow.secrets.tok}"  # the original is untouched
    assert referenced_secrets({"a": ["x ${workflow.secrets.tok} ${workflow.secrets.db}"], "b": 1}) == {"tok", "db"}
