"""The CloudFront Functions of infra/edge, run by Node.js on CloudFront-shaped events, agree with the
local edge (`feedpub dev`) on what a reader and a browser get.

CloudFront Functions are plain ECMAScript 5.1 plus a few newer parts; these two use none of the
CloudFront-only modules, so Node runs the same source that template.yaml deploys (checked identical
in test_template.py).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest

from feedpub import catalogue
from feedpub.local.edge import for_browsers
from tests.integration.template_helpers import PROJECT_ROOT

EDGE = PROJECT_ROOT / "infra" / "edge"
# Loads the function file as CloudFront does (a script defining `handler`) and runs it on each event.
RUNNER = """
const fs = require('fs');
const handler = new Function(fs.readFileSync(process.argv[1], 'utf8') + '\\nreturn handler;')();
const events = JSON.parse(fs.readFileSync(0, 'utf8'));
process.stdout.write(JSON.stringify(events.map((event) => handler(event))));
"""
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
READER = "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.8"


def run_function(source: str, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    node = shutil.which("node")
    assert node, "Node.js runs the CloudFront Functions here (infra/install-system-packages.sh installs it)"
    done = subprocess.run(
        [node, "-e", RUNNER, str(EDGE / source)],
        input=json.dumps(events),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    results: list[dict[str, Any]] = json.loads(done.stdout)
    return results


def response_event(content_type: str | None, accept: str | None, vary: str | None = None) -> dict[str, Any]:
    request_headers = {"accept": {"value": accept}} if accept is not None else {}
    response_headers = {}
    if content_type is not None:
        response_headers["content-type"] = {"value": content_type}
    if vary is not None:
        response_headers["vary"] = {"value": vary}
    return {
        "version": "1.0",
        "context": {"eventType": "viewer-response"},
        "request": {"method": "GET", "uri": "/feed.xml", "querystring": {}, "headers": request_headers},
        "response": {"statusCode": 200, "statusDescription": "OK", "headers": response_headers},
    }


TYPES = [
    "application/rss+xml; charset=utf-8",
    "application/atom+xml; charset=utf-8",
    "application/feed+json; charset=utf-8",
    "text/x-opml; charset=utf-8",
    "text/xsl; charset=utf-8",
]


@pytest.mark.parametrize("content_type", TYPES)
@pytest.mark.parametrize("accept", [BROWSER, READER, None], ids=["browser", "reader", "no-accept"])
def test_given_a_feed_response_then_cloudfront_and_the_local_edge_give_the_same_type(
    content_type: str, accept: str | None
) -> None:
    # When CloudFront's viewer-response function sees the response a viewer is about to get
    (result,) = run_function("viewer-response.js", [response_event(content_type, accept)])
    # Then the viewer gets the type the local edge gives it: a browser navigating to RSS or Atom
    # gets application/xml (so feed.xsl renders), a feed reader the feed's own type
    assert result["headers"]["content-type"]["value"] == for_browsers(content_type, accept)
    # And caches are told the type depends on Accept wherever it may
    if content_type.startswith(("application/rss+xml", "application/atom+xml")):
        assert result["headers"]["vary"]["value"] == "Accept"
    else:
        assert "vary" not in result["headers"]


def test_given_a_vary_already_set_then_accept_is_added_to_it() -> None:
    event = response_event("application/rss+xml", BROWSER, vary="Accept-Encoding")
    (result,) = run_function("viewer-response.js", [event])
    assert result["headers"]["vary"]["value"] == "Accept-Encoding, Accept"


def test_given_an_error_response_without_a_type_then_it_passes_unchanged() -> None:
    event = response_event(None, BROWSER)
    (result,) = run_function("viewer-response.js", [event])
    assert result == event["response"]


def request_event(uri: str) -> dict[str, Any]:
    return {
        "version": "1.0",
        "context": {"eventType": "viewer-request"},
        "request": {"method": "GET", "uri": uri, "querystring": {}, "headers": {}},
    }


@pytest.mark.parametrize(
    ("uri", "reaches_origin_as"),
    [
        ("/", "/feed.xml"),
        ("/feed.xml", "/feed.xml"),
        ("/atom.xml", "/atom.xml"),
        ("/feed.json", "/feed.json"),
        ("/feed.xsl", "/feed.xsl"),
        ("/feeds.opml", "/feeds.opml"),
        ("/tags/ballerina/atom.xml", "/tags/ballerina/atom.xml"),
        ("/authors/jane-doe/feed.xml", "/authors/jane-doe/feed.xml"),
        ("/authors/jane-doe/feed.json", "/authors/jane-doe/feed.json"),
        ("/feeds/action/atom.xml", "/feeds/action/atom.xml"),
        ("/authors/jane-doe/", None),
        ("/authors/Jane/feed.xml", None),
        ("/feeds/action/extra/feed.xml", None),
        ("/_state/root.json", None),
        ("/_state/report.json", None),
        ("/tags/ballerina/", None),
        ("/tags/../_state/root.json", None),
        ("/articles/ballerina.md", None),
        ("/feed.xml.bak", None),
    ],
)
def test_given_a_path_then_only_the_public_feed_layout_reaches_the_bucket(
    uri: str, reaches_origin_as: str | None
) -> None:
    # When CloudFront's viewer-request function sees a request for the path
    (result,) = run_function("viewer.js", [request_event(uri)])
    if reaches_origin_as is None:
        # Then anything outside the public layout is a 404 at the edge
        assert result["statusCode"] == 404
    else:
        # Then a public path goes on to the bucket ("/" as the main feed)
        assert result["uri"] == reaches_origin_as
    # And the local edge, which asks the catalogue, decides the same way
    assert catalogue.is_public(reaches_origin_as or uri) == (reaches_origin_as is not None)
