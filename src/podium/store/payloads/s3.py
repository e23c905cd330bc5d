"""Payloads kept in any S3-compatible object store, configured by URL:

``PODIUM_PAYLOAD_STORE=s3://bucket[/prefix]?endpoint=http://host:9000&region=us-east-1``

Credentials come from ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` (and ``AWS_SESSION_TOKEN``),
never from the URL. Objects are addressed path-style (``endpoint/bucket/key``), which every
S3-compatible server accepts. Every request, Podium's own and the clients', uses a pre-signed URL
(AWS Signature Version 4, query-string form): clients of ``externalstoragelocation`` get one to GET
or PUT the object directly, as with Conductor's S3 storage.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from urllib.parse import parse_qs, quote, urlsplit

import httpx

_UNRESERVED = "-_.~"


def _enc(value: str, keep_slash: bool = False) -> str:
    return quote(value, safe=_UNRESERVED + ("/" if keep_slash else ""))


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def presign(
    method: str,
    endpoint: str,
    bucket: str,
    key: str,
    *,
    access_key: str,
    secret_key: str,
    region: str,
    expires_s: int,
    now: datetime,
    session_token: str | None = None,
) -> str:
    """A SigV4 pre-signed URL for ``method`` on ``bucket/key`` (``key`` empty: the bucket itself)."""
    base = urlsplit(endpoint)
    host = base.netloc
    prefix = base.path.rstrip("/")
    path = f"{prefix}/{_enc(bucket)}" + (f"/{_enc(key, keep_slash=True)}" if key else "")
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    day = amz_date[:8]
    scope = f"{day}/{region}/s3/aws4_request"
    params = {
        "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
        "X-Amz-Credential": f"{access_key}/{scope}",
        "X-Amz-Date": amz_date,
        "X-Amz-Expires": str(expires_s),
        "X-Amz-SignedHeaders": "host",
    }
    if session_token:
        params["X-Amz-Security-Token"] = session_token
    query = "&".join(f"{_enc(k)}={_enc(v)}" for k, v in sorted(params.items()))
    canonical = "\n".join([method, path, query, f"host:{host}\n", "host", "UNSIGNED-PAYLOAD"])
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    signing_key = _hmac(_hmac(_hmac(_hmac(("AWS4" + secret_key).encode(), day), region), "s3"), "aws4_request")
    signature = hmac.new(signing_key, to_sign.encode(), hashlib.sha256).hexdigest()
    return f"{base.scheme}://{host}{path}?{query}&X-Amz-Signature={signature}"


class S3Payloads:
    """One object per payload, under an optional key prefix."""

    def __init__(
        self,
        bucket: str,
        *,
        endpoint: str,
        region: str,
        access_key: str,
        secret_key: str,
        prefix: str = "",
        session_token: str | None = None,
        timeout_s: float = 30.0,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.bucket = bucket
        self.endpoint = endpoint
        self.region = region
        self.prefix = prefix.strip("/")
        self._keys = (access_key, secret_key, session_token)
        self._now = now
        self._client = httpx.Client(timeout=timeout_s)
        self._lock = threading.Lock()

    @classmethod
    def from_url(cls, url: str, env: Mapping[str, str] | None = None) -> S3Payloads:
        env = os.environ if env is None else env
        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise ValueError(f"PODIUM_PAYLOAD_STORE must look like s3://bucket?endpoint=..., not {url!r}")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        region = query.get("region") or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
        endpoint = query.get("endpoint") or f"https://s3.{region}.amazonaws.com"
        access_key, secret_key = env.get("AWS_ACCESS_KEY_ID"), env.get("AWS_SECRET_ACCESS_KEY")
        if not access_key or not secret_key:
            raise ValueError("an s3:// payload store needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
        return cls(
            parts.netloc, endpoint=endpoint, region=region, access_key=access_key, secret_key=secret_key,
            prefix=parts.path, session_token=env.get("AWS_SESSION_TOKEN") or None,
        )  # fmt: skip

    def url(self, method: str, path: str, expires_s: int = 300) -> str:
        access_key, secret_key, token = self._keys
        key = f"{self.prefix}/{path}" if self.prefix else path
        return presign(
            method, self.endpoint, self.bucket, key, access_key=access_key, secret_key=secret_key,
            region=self.region, expires_s=expires_s, now=self._now(), session_token=token,
        )  # fmt: skip

    def put(self, path: str, data: bytes) -> None:
        with self._lock:
            r = self._client.put(self.url("PUT", path), content=data, headers={"content-type": "application/json"})
        if r.status_code >= 300:
            raise OSError(f"S3 PUT {path} answered {r.status_code}: {r.text[:300]}")

    def get(self, path: str) -> bytes | None:
        with self._lock:
            r = self._client.get(self.url("GET", path))
        if r.status_code == 404:
            return None
        if r.status_code >= 300:
            raise OSError(f"S3 GET {path} answered {r.status_code}: {r.text[:300]}")
        return r.content

    def delete(self, path: str) -> None:
        with self._lock:
            r = self._client.delete(self.url("DELETE", path))
        if r.status_code >= 300 and r.status_code != 404:
            raise OSError(f"S3 DELETE {path} answered {r.status_code}: {r.text[:300]}")

    def direct_uri(self, path: str, write: bool, expires_s: int) -> str | None:
        return self.url("PUT" if write else "GET", path, expires_s)

    def close(self) -> None:
        self._client.close()
