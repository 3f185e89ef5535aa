"""The CDN-like HTTP edge: serves the publish bucket the way CloudFront does in production.

Only the public layout gets through (feedpub.catalogue's public paths, which the viewer-request
function carries too); the object's own Content-Type, Cache-Control, ETag and Last-Modified are passed on;
conditional requests get 304; gzip when the client accepts it; the response-headers policy's
security and CORS headers are added; feeds carry `Link: rel="hub"` / `rel="self"` when site.yaml
names a hub (WebSub discovery, as the spec recommends, in HTTP headers as well as in the feed).
A browser navigating to a feed gets the feed's HTML page instead (as the viewer-request function
rewrites the URI: the page has its own path and cache entry); any other request naming text/html
gets RSS and Atom as application/xml so a browser that still applies feed.xsl renders it.
"""

from __future__ import annotations

import gzip
import logging
import re
import sys
import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape as xml_escape

from botocore.exceptions import ClientError

from feedpub import catalogue
from feedpub.infra_spec import EdgeSpec
from feedpub.local.conditional import not_modified

# CloudFront compresses objects between 1,000 bytes and 10 MB of these types.
COMPRESS_MIN, COMPRESS_MAX = 1000, 10_000_000
COMPRESSIBLE = ("application/", "text/")
NOT_FOUND_CACHE = "max-age=60"
# A connection that sends nothing for this long is closed (CloudFront closes idle viewer connections too).
IDLE_TIMEOUT_S = 10.0
S3_SIGNATURES = ("AWS4-HMAC-SHA256 ", "AWS ")  # the Authorization schemes of S3 clients
NOT_S3_CODE = "NotS3Endpoint"

log = logging.getLogger("feedpub.local.edge")


def origin_key(raw_path: str, edge: EdgeSpec, headers: Mapping[str, str] | None = None) -> str | None:
    """The bucket key a request path maps to, or None when the edge answers 404 itself: a browser
    navigating to a feed document is given the feed's page (catalogue.page_for)."""
    path = urlsplit(raw_path).path
    if path == "/" and edge.root_object:
        path = "/" + edge.root_object
    if not catalogue.is_public(path):
        return None
    key = path[1:]
    if headers is not None and is_navigation(headers):
        return catalogue.page_for(key) or key
    return key


def is_navigation(headers: Mapping[str, str]) -> bool:
    """A browser opening the URL as a page: Sec-Fetch-Dest says so (`document`); a browser too old to
    send it lists text/html first in Accept and names application/xhtml+xml, as every browser's
    navigation does. Java's HttpURLConnection also lists text/html first by default, without xhtml:
    feed fetchers built on it get the feed. `headers` by lower-case name (infra/edge/viewer.js's
    isNavigation says the same)."""
    destination = headers.get("sec-fetch-dest")
    if destination is not None:
        return destination.strip().lower() == "document"
    accept = headers.get("accept", "").lower()
    first = accept.split(",")[0].split(";")[0].strip()
    return first == "text/html" and "application/xhtml+xml" in accept


def vary(content_type: str) -> str:
    """Feed documents and pages answer a feed's URL differently for browsers and readers."""
    if re.match(catalogue.negotiated_type_pattern(), content_type):
        return "Accept-Encoding, Accept, Sec-Fetch-Dest"
    return "Accept-Encoding"


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
    if accept and "text/html" in accept and content_type.startswith(tuple(catalogue.browser_types())):
        return catalogue.XML_FOR_BROWSERS
    return content_type


def should_compress(content_type: str, size: int) -> bool:
    return content_type.startswith(COMPRESSIBLE) and COMPRESS_MIN <= size <= COMPRESS_MAX


def link_header(key: str, hub: str | None, base_url: str) -> str | None:
    """WebSub discovery headers for a feed path, when a hub is configured."""
    if hub is None or not catalogue.is_feed_document(key):
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
        key = origin_key(raw_path, self.spec, headers)
        if key is None:
            return self._not_found()
        # Byte ranges go to S3 as CloudFront sends them: podcast apps seek in episodes and resume them.
        byte_range = headers.get("range") if method == "GET" else None
        try:
            stored = self.s3.get_object(
                Bucket=self.bucket, Key=key, **({"Range": byte_range} if byte_range else {})
            )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code in ("NoSuchKey", "404", "AccessDenied", "403"):
                return self._origin_missing()
            if code == "InvalidRange":
                size = self.s3.head_object(Bucket=self.bucket, Key=key)["ContentLength"]
                headers_416 = {
                    "Content-Range": f"bytes */{size}",
                    "Content-Length": "0",
                    "Accept-Ranges": "bytes",
                }
                return HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE, headers_416, b""
            raise
        body: bytes = stored["Body"].read()
        etag = stored["ETag"]
        last_modified: datetime = stored["LastModified"].astimezone(UTC)
        stored_type = stored.get("ContentType", "application/octet-stream")
        response = {
            "Content-Type": for_browsers(stored_type, headers.get("accept")),
            "ETag": etag,
            "Last-Modified": format_datetime(last_modified, usegmt=True),
            "Vary": vary(stored_type),
            "Accept-Ranges": "bytes",
        }
        if cache_control := stored.get("CacheControl"):
            response["Cache-Control"] = cache_control
        if link := link_header(key, self.hub(), self.base_url):
            response["Link"] = link
        if not_modified(headers, etag, last_modified):
            return HTTPStatus.NOT_MODIFIED, response, b""
        if stored.get("ContentRange"):
            response["Content-Range"] = stored["ContentRange"]
            response["Content-Length"] = str(len(body))
            return HTTPStatus.PARTIAL_CONTENT, response, body
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


def joined_fields(message: Any) -> dict[str, str]:
    """Request header fields by lower-case name; a repeated field's lines joined with ", " (RFC 9110 §5.3)."""
    fields: dict[str, str] = {}
    for name, value in message.items():
        key = name.lower()
        fields[key] = f"{fields[key]}, {value}" if key in fields else value
    return fields


def _one_line(exc: BaseException | None) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


class _EdgeRequestHandler(BaseHTTPRequestHandler):
    server: EdgeHttpServer
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.idle_timeout_s)  # a read that waits longer ends the connection

    def do_GET(self) -> None:
        self._serve("GET")

    def do_HEAD(self) -> None:
        self._serve("HEAD")

    def do_PUT(self) -> None:
        self._refuse()

    def do_POST(self) -> None:
        self._refuse()

    def do_DELETE(self) -> None:
        self._refuse()

    def _refuse(self) -> None:
        """Only GET and HEAD reach the origin, as the distribution allows; S3 clients learn where S3 is."""
        if not self._answer_s3_client(joined_fields(self.headers)):
            self.close_connection = True
            self._send(HTTPStatus.FORBIDDEN, {"Content-Length": "0", "Connection": "close"}, b"")

    def _answer_s3_client(self, headers: dict[str, str]) -> bool:
        """A request signed for S3 (an upload aimed at the wrong port) gets an S3-shaped error naming
        the S3 endpoint, so `feedpub publish` or the AWS CLI can say which port to use."""
        endpoint = self.server.s3_endpoint
        if not endpoint or not headers.get("authorization", "").startswith(S3_SIGNATURES):
            return False
        message = (
            f"{self.server.url.rstrip('/')} is the edge of `feedpub dev` (it serves the feeds); "
            f"its S3 endpoint is {endpoint}: use --endpoint-url {endpoint}"
        )
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{NOT_S3_CODE}</Code>'
            f"<Message>{xml_escape(message)}</Message></Error>"
        ).encode()
        self.close_connection = True  # an unread request body must not be taken for the next request
        headers_out = {
            "Content-Type": "application/xml",
            "Content-Length": str(len(body)),
            "Connection": "close",
        }
        self._send(HTTPStatus.BAD_REQUEST, headers_out, b"" if self.command == "HEAD" else body)
        return True

    def _send(self, status: int, response_headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in response_headers.items():
            self.send_header(name, value)
        self.end_headers()
        if body:
            self.wfile.write(body)

    def _serve(self, method: str) -> None:
        headers = joined_fields(self.headers)
        if self._answer_s3_client(headers):
            return
        edge = self.server.edge
        status: int
        try:
            if edge is None:
                status, response_headers, body = HTTPStatus.SERVICE_UNAVAILABLE, {"Content-Length": "0"}, b""
            else:
                status, response_headers, body = edge.respond(method, self.path, headers)
        except Exception as exc:
            log.error("edge: %s %s failed: %s", method, self.path, _one_line(exc))
            status, response_headers, body = HTTPStatus.BAD_GATEWAY, {"Content-Length": "0"}, b""
        self._send(status, response_headers, body)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("edge: " + format, *args)


class EdgeHttpServer(ThreadingHTTPServer):
    """One thread per connection; a connection idle for `idle_timeout_s` (half-open, or a keep-alive
    client that went quiet) is closed, so its thread ends."""

    daemon_threads = True
    request_queue_size = 128  # socketserver's 5 left a burst of connections waiting on SYN retries

    def __init__(self, host: str, port: int, idle_timeout_s: float = IDLE_TIMEOUT_S) -> None:
        self.edge: Edge | None = None  # set once the pipeline behind it is ready; 503 until then
        self.s3_endpoint: str | None = None  # named to S3 clients that reach the edge by mistake
        self.idle_timeout_s = idle_timeout_s
        super().__init__((host, port), _EdgeRequestHandler)
        self._thread = threading.Thread(target=self.serve_forever, name="feedpub-edge", daemon=True)
        self._serving = False

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/"

    def start(self) -> None:
        self._serving = True
        self._thread.start()

    def stop(self) -> None:
        if self._serving:  # shutdown() waits for a serve loop: it would wait forever for one never started
            self.shutdown()
            self._thread.join()
        self.server_close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away mid-request is one line in the log, never a traceback."""
        exc = sys.exc_info()[1]
        peer = ":".join(str(part) for part in client_address[:2]) if client_address else "a client"
        if isinstance(exc, OSError):
            log.info("edge: connection from %s closed: %s", peer, _one_line(exc))
        else:
            log.error("edge: request from %s failed: %s", peer, _one_line(exc))
