"""Whether an absolute URL can be published: checked once, when site.yaml or a record is parsed.

Every renderer writes a URL through `feedpub.render.common.uri`, WebSub pings open it with
urllib, and readers resolve it: a URL that only fails there (an unclosed IPv6 bracket, a port that
is not a number) would fail a feed long after its record was accepted. So the parser asks the
same questions here and rejects the value, naming the field.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from feedpub.errors import describe_value

WEB_SCHEMES = ("http", "https")


def web_url_problem(url: str) -> str | None:
    """None if `url` is an absolute http(s) URL every renderer can write; else what is wrong with it."""
    if any(ch.isspace() for ch in url):
        return "contains whitespace"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in 0-65535
    except ValueError as exc:
        return _url_error(exc)
    if parts.scheme.lower() not in WEB_SCHEMES:
        return "is not an http(s) URL"
    if not parts.hostname:
        return "has no host name"
    from feedpub.render.common import uri  # the renderers' own conversion: it must work too

    try:
        uri(url)
    except (ValueError, UnicodeError) as exc:
        return _url_error(exc)
    return None


def absolute_http_url(value: str, *, directory: bool = False) -> str:
    """`value` as an absolute http(s) URL (a directory's ends in "/"); ValueError saying why if it is not."""
    value = value.strip()
    scheme, sep, rest = value.partition("://")
    if not sep or scheme.lower() not in WEB_SCHEMES or not rest or rest.startswith("/"):
        raise ValueError(f"'{describe_value(value)}' is not an absolute http(s) URL")
    problem = web_url_problem(value)
    if problem:
        raise ValueError(f"'{describe_value(value)}' {problem}")
    if directory and not value.endswith("/"):
        value += "/"
    return value


def _url_error(exc: Exception) -> str:
    message = " ".join(str(exc).split())
    if "IPv6" in message:
        return "has an unclosed or invalid [IPv6 address]"
    if "Port" in message or "port" in message:
        return "has a port that is not a number from 0 to 65535"
    return message[:120] or type(exc).__name__
