"""S3-compatible bucket listings (ListObjectsV2), read-only, signed with SigV4 or anonymous.

Only ``GET ?list-type=2`` is sent, through the request helper (its deadline, size cap,
TLS settings and retries); pages are followed by ``continuation-token`` up to the
configured number. Credentials come from the profile (``${VAR}``); they sign the request
and are never shown: errors name the bucket and the masked URL. Folder markers (keys
ending in ``/``) are not objects. Keeps the count and the newest object, not every key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import requests

from readiness import clock
from readiness.errors import SourceError
from readiness.profile.operations import OffsiteCopy, S3Credentials
from readiness.redact import safe_url
from readiness.sources.api import new_session, send

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
_ALGORITHM = "AWS4-HMAC-SHA256"


@dataclass(frozen=True, slots=True)
class S3Object:
    key: str
    last_modified: dt.datetime
    size: int


@dataclass(frozen=True, slots=True)
class BucketListing:
    """What a bucket listing showed under a prefix."""

    location: str  # s3://bucket/prefix
    endpoint: str  # the masked URL that was read
    region: str
    access: str  # "signed (SigV4)" or "anonymous"
    objects: int
    newest: S3Object | None
    pages: int
    complete: bool  # False: more pages than max_pages

    def summary(self) -> dict[str, Any]:
        return {
            "location": self.location,
            "endpoint": self.endpoint,
            "region": self.region,
            "access": self.access,
            "objects": self.objects,
            "newest": None
            if self.newest is None
            else {
                "key": self.newest.key,
                "last_modified": self.newest.last_modified.isoformat(),
                "size": self.newest.size,
            },
            "pages": self.pages,
            "complete": self.complete,
        }


# ----------------------------------------------------------------------------- SigV4


def _encode(text: str, safe: str = "") -> str:
    """RFC 3986 percent-encoding, as SigV4 requires (``~`` left alone)."""
    return quote(text, safe="-_.~" + safe)


def canonical_query(params: Mapping[str, str]) -> str:
    return "&".join(f"{_encode(k)}={_encode(v)}" for k, v in sorted(params.items()))


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def sign(
    credentials: S3Credentials,
    region: str,
    host: str,
    path: str,
    params: Mapping[str, str],
    at: dt.datetime,
    service: str = "s3",
) -> dict[str, str]:
    """The headers of a SigV4-signed GET without body (``Authorization`` included)."""
    stamp = at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    day = stamp[:8]
    headers = {"host": host, "x-amz-content-sha256": EMPTY_SHA256, "x-amz-date": stamp}
    if credentials.session_token:
        headers["x-amz-security-token"] = credentials.session_token
    names = sorted(headers)
    canonical = "\n".join(
        [
            "GET",
            _encode(path, safe="/"),
            canonical_query(params),
            "".join(f"{n}:{headers[n].strip()}\n" for n in names),
            ";".join(names),
            EMPTY_SHA256,
        ]
    )
    scope = f"{day}/{region}/{service}/aws4_request"
    to_sign = "\n".join([_ALGORITHM, stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(f"AWS4{credentials.secret_access_key}".encode(), day)
    for part in (region, service, "aws4_request"):
        key = _hmac(key, part)
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["Authorization"] = (
        f"{_ALGORITHM} Credential={credentials.access_key_id}/{scope}, "
        f"SignedHeaders={';'.join(names)}, Signature={signature}"
    )
    return headers


# --------------------------------------------------------------------------- listing


def _host(url: str) -> str:
    parts = urlsplit(url)
    default = 443 if parts.scheme == "https" else 80
    host = parts.hostname or ""
    return host if parts.port in (None, default) else f"{host}:{parts.port}"


def _where(copy: OffsiteCopy) -> tuple[str, str, str]:
    """(base URL, host header, path) of the bucket, path- or virtual-hosted style."""
    parts = urlsplit(copy.url.rstrip("/"))
    base_path = parts.path.rstrip("/")
    if copy.virtual_host:
        netloc = f"{copy.bucket}.{parts.netloc}"
        path = base_path + "/"
    else:
        netloc = parts.netloc
        path = f"{base_path}/{copy.bucket}"
    base = f"{parts.scheme}://{netloc}"
    return base, _host(base), path


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(element: ET.Element, name: str) -> str | None:
    for child in element:
        if _local(child.tag) == name:
            return child.text or ""
    return None


def _parse_time(name: str, text: str) -> dt.datetime:
    try:
        stamp = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise SourceError(name, f"LastModified {text!r} is not an ISO 8601 time") from None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class _Page:
    objects: tuple[S3Object, ...]
    next_token: str | None


def parse_page(name: str, shown: str, body: bytes) -> _Page:
    """One ListObjectsV2 answer (``ListBucketResult``); SourceError for anything else."""
    if b"<!DOCTYPE" in body[:2048].upper():
        raise SourceError(name, f"{shown} answered XML with a DOCTYPE, which is not read")
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise SourceError(name, f"{shown} answered invalid XML ({exc})") from None
    if _local(root.tag) != "ListBucketResult":
        raise SourceError(
            name, f"{shown} answered <{_local(root.tag)}>, not a ListObjectsV2 ListBucketResult"
        )
    objects = []
    for element in root:
        if _local(element.tag) != "Contents":
            continue
        key = _child(element, "Key")
        modified = _child(element, "LastModified")
        if key is None or modified is None:
            raise SourceError(name, f"{shown}: a Contents entry lacks Key or LastModified")
        if key.endswith("/"):
            continue  # a folder marker
        size = _child(element, "Size") or "0"
        objects.append(
            S3Object(key, _parse_time(name, modified), int(size) if size.isdigit() else 0)
        )
    truncated = (_child(root, "IsTruncated") or "false").strip().lower() == "true"
    token = _child(root, "NextContinuationToken")
    if truncated and not token:
        raise SourceError(name, f"{shown} is truncated but gives no NextContinuationToken")
    return _Page(tuple(objects), token if truncated else None)


def _s3_error(response: requests.Response) -> str:
    """``Code: Message`` of an S3 error document, else the start of the body."""
    try:
        root = ET.fromstring(response.content)
        code, message = _child(root, "Code"), _child(root, "Message")
        if code:
            return f"{code}: {message}" if message else code
    except ET.ParseError:
        pass
    return response.content[:200].decode("utf-8", "replace")


def list_bucket(
    name: str,
    copy: OffsiteCopy,
    *,
    session: requests.Session | None = None,
    now: Callable[[], dt.datetime] = clock.now,
) -> BucketListing:
    """Every object under the copy's prefix (up to ``max_pages`` pages): count and newest."""
    if session is None:
        with new_session(pool_maxsize=2) as own:
            return list_bucket(name, copy, session=own, now=now)
    base, host, path = _where(copy)
    endpoint = copy.endpoint()
    newest: S3Object | None = None
    count = 0
    token: str | None = None
    pages = 0
    while pages < copy.max_pages:
        pages += 1
        params = {"list-type": "2", "prefix": copy.prefix}
        if token is not None:
            params["continuation-token"] = token
        url = f"{base}{_encode(path, safe='/')}?{canonical_query(params)}"
        shown = safe_url(url)
        headers = {"host": host}
        if copy.auth is not None:
            headers = sign(copy.auth, copy.region, host, path, params, now())
        response = send(name, endpoint, session, "GET", url, headers=headers)
        if response.status_code != 200:
            raise SourceError(
                name, f"{shown} answered HTTP {response.status_code}: {_s3_error(response)}"
            )
        page = parse_page(name, shown, response.content)
        count += len(page.objects)
        for obj in page.objects:
            if newest is None or obj.last_modified > newest.last_modified:
                newest = obj
        token = page.next_token
        if token is None:
            break
    return BucketListing(
        location=f"s3://{copy.bucket}/{copy.prefix}",
        endpoint=safe_url(f"{base}{path}"),
        region=copy.region,
        access="anonymous" if copy.auth is None else "signed (SigV4)",
        objects=count,
        newest=newest,
        pages=pages,
        complete=token is None,
    )
