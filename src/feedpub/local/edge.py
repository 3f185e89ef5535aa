"""The CDN-like HTTP edge: serves the publish bucket the way CloudFront does in production.

Only the public layout gets through (the viewer-request function's PUBLIC_PATH, read from the
template); the object's own Content-Type, Cache-Control, ETag and Last-Modified are passed on;
conditional requests get 304; gzip when the client accepts it; the response-headers policy's
security and CORS headers are added; feeds carry `Link: rel="hub"` / `rel="self"` when site.yaml
names a hub (WebSub discovery, as the spec recommends, in HTTP headers as well as in the feed).
A browser navigating to an RSS or Atom feed gets it as application/xml so its feed.xsl page renders.
"""

from __future__ import annotations

import gzip
import logging
import re
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from botocore.exceptions import ClientError

from feedpub.infra_spec import EdgeSpec

FEED_NAMES = ("feed.xml", "atom.xml", "feed.json")
# CloudFront compresses objects between 1,000 bytes and 10 MB of these types.
COMPRESS_MIN, COMPRESS_MAX = 1000, 10_000_000
COMPRESSIBLE = ("application/", "text/")
NOT_FOUND_CACHE = "max-age=60"
BROWSER_PLAIN_TYPES = ("application/rss+xml", "application/atom+xml")
XML_FOR_BROWSERS = "application/xml; charset=utf-8"

log = logging.getLogger("feedpub.local.edge")


def is_public(path: str, public_path: str) -> bool:
    return re.fullmatch(public_path, path) is not None


def origin_key(raw_path: str, edge: EdgeSpec) -> str | None:
    """The bucket key a request path maps to, or None when the edge answers 404 itself."""
    path = urlsplit(raw_path).path
    if path == "/" and edge.root_object:
        path = "/" + edge.root_object
    return path[1:] if is_public(path, edge.public_path) else None


def _etags(header: str) -> list[str]:
    return [tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()]


def not_modified(request_headers: dict[str, str], etag: str, last_modified: datetime) -> bool:
    """RFC 9110 §13.2.2: If-None-Match decides when present; else If-Modified-Since."""
    if_none_match = request_headers.get("if-none-match")
    if if_none_match is not None:
        tags = _etags(if_none_match)
        return "*" in tags or etag in tags
    if_modified_since = request_headers.get("if-modified-since")
    if if_modified_since is None:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False  # an unreadable date is ignored, as the RFC says
    if since.tzinfo is None:
        return False
    return last_modified.replace(microsecond=0) <= since


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether Accept-Encoding allows gzip (q=0 refuses it; `*` counts)."""
    if not accept_encoding:
        return False
    weights = {}
    for part in accept_encoding.split(","):
        coding, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        weights[coding.strip().lower()] = quality
    return weights.get("gzip", weights.get("*", 0.0)) > 0


def for_browsers(content_type: str, accept: str | None) -> str:
    """Browsers show application/rss+xml and atom+xml as plain text (or download them) and never run
    their feed.xsl; a navigation (Accept names text/html) gets the same bytes as application/xml."""
    if accept and "text/html" in accept and content_type.startswith(BROWSER_PLAIN_TYPES):
        return XML_FOR_BROWSERS
    return content_type


def should_compress(content_type: str, size: int) -> bool:
    return content_type.startswith(COMPRESSIBLE) and COMPRESS_MIN <= size <= COMPRESS_MAX


def link_header(key: str, hub: str | None, base_url: str) -> str | None:
    """WebSub discovery headers for a feed path, when a hub is configured."""
    if hub is None or key.rpartition("/")[2] not in FEED_NAMES:
        return None
    return f'<{hub}>; rel="hub", <{base_url}{key}>; rel="self"'


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    path: str
    status: int


class Edge:
    """Answers requests from the publish bucket; `hub` says which hub site.yaml names now."""

    def __init__(self, s3: Any, bucket: str, spec: EdgeSpec, base_url: str, hub: Callable[[], str | None]):
        self.s3 = s3
        self.bucket = bucket
        self.spec = spec
        self.base_url = base_url
        self.hub = hub
        self.requests: deque[LoggedRequest] = deque(maxlen=10_000)

    def respond(
        self, method: str, raw_path: str, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        status, response_headers, body = self._respond(method, raw_path, headers)
        response_headers = {**response_headers, **self.spec.security_headers, **self.spec.cors_headers}
        self.requests.append(LoggedRequest(method, raw_path, status))
        return status, response_headers, b"" if method == "HEAD" else body

    def _respond(
        self, method: str, raw_path: str, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        key = origin_key(raw_path, self.spec)
        if key is None:
            return self._not_found()
        try:
            stored = self.s3.get_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "AccessDenied", "403"):
                return self._origin_missing()
            raise
        body: bytes = stored["Body"].read()
        etag = stored["ETag"]
        last_modified: datetime = stored["LastModified"].astimezone(UTC)
        response = {
            "Content-Type": for_browsers(
                stored.get("ContentType", "application/octet-stream"), headers.get("accept")
            ),
            "ETag": etag,
            "Last-Modified": format_datetime(last_modified, usegmt=True),
            "Vary": "Accept-Encoding, Accept",
        }
        if cache_control := stored.get("CacheControl"):
            response["Cache-Control"] = cache_control
        if link := link_header(key, self.hub(), self.base_url):
            response["Link"] = link
        if not_modified(headers, etag, last_modified):
            return HTTPStatus.NOT_MODIFIED, response, b""
        if accepts_gzip(headers.get("accept-encoding")) and should_compress(
            response["Content-Type"], len(body)
        ):
            body = gzip.compress(body, mtime=0)
            response["Content-Encoding"] = "gzip"
        response["Content-Length"] = str(len(body))
        return HTTPStatus.OK, response, body

    def _origin_missing(self) -> tuple[int, dict[str, str], bytes]:
        """A missing object: through OAC without ListBucket S3 answers 403, which the distribution's
        custom error response turns into its status and page, cached for its error TTL."""
        rule = self.spec.error_responses.get(HTTPStatus.FORBIDDEN)
        if rule is None:
            return self._not_found()
        status = rule.response_code or HTTPStatus.FORBIDDEN
        headers = {"Cache-Control": f"max-age={rule.caching_ttl_s}"}
        body = b""
        if rule.page_path:
            try:
                page = self.s3.get_object(Bucket=self.bucket, Key=rule.page_path.lstrip("/"))
            except ClientError:
                return self._not_found()
            body = page["Body"].read()
            headers["Content-Type"] = page.get("ContentType", "application/octet-stream")
        headers["Content-Length"] = str(len(body))
        return status, headers, body

    @staticmethod
    def _not_found() -> tuple[int, dict[str, str], bytes]:
        body = b"Not Found\n"
        headers = {
            "Content-Type": "text/plain; charset=utf-8",
            "Cache-Control": NOT_FOUND_CACHE,
            "Content-Length": str(len(body)),
        }
        return HTTPStatus.NOT_FOUND, headers, body


class _EdgeRequestHandler(BaseHTTPRequestHandler):
    server: EdgeHttpServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._serve("GET")

    def do_HEAD(self) -> None:
        self._serve("HEAD")

    def _serve(self, method: str) -> None:
        headers = {name.lower(): value for name, value in self.headers.items()}
        edge = self.server.edge
        status: int
        try:
            if edge is None:
                status, response_headers, body = HTTPStatus.SERVICE_UNAVAILABLE, {"Content-Length": "0"}, b""
            else:
                status, response_headers, body = edge.respond(method, self.path, headers)
        except Exception:
            log.exception("edge: %s %s failed", method, self.path)
            status, response_headers, body = HTTPStatus.BAD_GATEWAY, {"Content-Length": "0"}, b""
        self.send_response(status)
        for name, value in response_headers.items():
            self.send_header(name, value)
        self.end_headers()
        if body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("edge: " + format, *args)


class EdgeHttpServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str, port: int) -> None:
        self.edge: Edge | None = None  # set once the pipeline behind it is ready; 503 until then
        super().__init__((host, port), _EdgeRequestHandler)
        self._thread = threading.Thread(target=self.serve_forever, name="feedpub-edge", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        self._thread.join()
