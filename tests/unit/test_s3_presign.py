"""The S3 payload store's SigV4 pre-signed URLs equal botocore's for the same request and instant."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import botocore.auth
import pytest
from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from podium.store.payloads.s3 import presign

NOW = datetime(2026, 12, 6, 4, 30, 15, tzinfo=UTC)


def _botocore(method: str, url: str, token: str | None, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: NOW)
    auth = S3SigV4QueryAuth(Credentials("AKIDEXAMPLE", "secret/key+x", token), "s3", "eu-west-1", expires=900)
    req = AWSRequest(method=method, url=url)
    auth.add_auth(req)
    return str(req.url)


@pytest.mark.parametrize("method", ["GET", "PUT"])
@pytest.mark.parametrize("key", ["task/output/2f1c-ab.json", "runs/workflow/input/a b~c.json", ""])
@pytest.mark.parametrize("token", [None, "tok/en=="])
def test_presigned_urls_match_botocore(
    method: str, key: str, token: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint = "http://127.0.0.1:9000"
    ours = presign(method, endpoint, "bucket", key, access_key="AKIDEXAMPLE", secret_key="secret/key+x",
                   region="eu-west-1", expires_s=900, now=NOW, session_token=token)  # fmt: skip
    path = "/bucket" + ("/" + key.replace(" ", "%20") if key else "")
    theirs = _botocore(method, endpoint + path, token, monkeypatch)
    a, b = urlsplit(ours), urlsplit(theirs)
    assert (a.scheme, a.netloc, a.path) == (b.scheme, b.netloc, b.path)
    assert parse_qs(a.query) == parse_qs(b.query)
