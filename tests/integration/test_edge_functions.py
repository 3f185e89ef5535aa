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
from feedpub.catalogue import KINDS, PAGE, Feed
from feedpub.infra_spec import load_pipeline_spec
from feedpub.local.edge import for_browsers, origin_key, vary
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
FEEDPARSER = (
    "application/atom+xml,application/rdf+xml,application/rss+xml,application/x-netcdf,"
    "application/xml;q=0.9,text/xml;q=0.2,*/*;q=0.1"
)
# Request headers of the clients that open a feed's URL, and whether each is a person's browser
# navigating to it (which gets the feed's page) or something that wants the feed itself.
CLIENTS: dict[str, tuple[dict[str, str], bool]] = {
    "chromium-navigation": (
        {"accept": BROWSER, "sec-fetch-dest": "document", "sec-fetch-mode": "navigate"},
        True,
    ),
    "firefox-navigation": (
        {
            "accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            "sec-fetch-dest": "document",
        },
        True,
    ),
    "old-browser-without-sec-fetch": ({"accept": BROWSER}, True),
    "web-reader-fetch": ({"accept": "*/*", "sec-fetch-dest": "empty", "sec-fetch-mode": "cors"}, False),
    "iframe": ({"accept": BROWSER, "sec-fetch-dest": "iframe"}, False),
    "feedparser": ({"accept": FEEDPARSER}, False),
    "reader": ({"accept": "*/*"}, False),
    "curl": ({"accept": "*/*"}, False),
    "reader-preferring-feeds": ({"accept": READER + ", text/html;q=0.5"}, False),
    "no-headers": ({}, False),
}


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
    "text/html; charset=utf-8",
    "text/x-opml; charset=utf-8",
    "text/xsl; charset=utf-8",
    "audio/mpeg",
]


@pytest.mark.parametrize("content_type", TYPES)
@pytest.mark.parametrize("accept", [BROWSER, READER, None], ids=["browser", "reader", "no-accept"])
def test_given_a_response_then_cloudfront_and_the_local_edge_give_the_same_type_and_vary(
    content_type: str, accept: str | None
) -> None:
    # When CloudFront's viewer-response function sees the response a viewer is about to get
    (result,) = run_function("viewer-response.js", [response_event(content_type, accept)])
    # Then the viewer gets the type the local edge gives it: a request naming text/html that was not
    # a navigation gets RSS or Atom as application/xml (so feed.xsl renders), a reader the feed's type
    assert result["headers"]["content-type"]["value"] == for_browsers(content_type, accept)
    # And caches learn that a feed's URL answers browsers and readers differently, as at the local
    # edge (CloudFront adds Accept-Encoding itself when it compresses)
    cloudfront_vary = result["headers"].get("vary", {"value": ""})["value"]
    local_vary = vary(content_type)
    assert {"Accept-Encoding", *filter(None, cloudfront_vary.split(", "))} == set(local_vary.split(", "))
    negotiated = content_type.startswith(
        ("application/rss+xml", "application/atom+xml", "application/feed+json", "text/html")
    )
    assert ("Sec-Fetch-Dest" in cloudfront_vary) == negotiated


def test_given_a_vary_already_set_then_accept_is_added_to_it() -> None:
    event = response_event("application/rss+xml", BROWSER, vary="Accept-Encoding")
    (result,) = run_function("viewer-response.js", [event])
    assert result["headers"]["vary"]["value"] == "Accept-Encoding, Accept, Sec-Fetch-Dest"


def test_given_an_error_response_without_a_type_then_it_passes_unchanged() -> None:
    event = response_event(None, BROWSER)
    (result,) = run_function("viewer-response.js", [event])
    assert result == event["response"]


def request_event(uri: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "version": "1.0",
        "context": {"eventType": "viewer-request"},
        "request": {
            "method": "GET",
            "uri": uri,
            "querystring": {},
            "headers": {name: {"value": value} for name, value in (headers or {}).items()},
        },
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


def sample_feeds() -> list[Feed]:
    """A feed of every kind in the catalogue (a kind of one feed has the slug "")."""
    feeds = []
    for kind in KINDS:
        feed = kind.feed("some-slug")
        feeds.append(feed if kind.slug_of(feed.id) == "some-slug" else kind.feed(""))
    return feeds


def test_given_every_feed_url_and_client_then_browsers_get_the_page_and_readers_the_feed() -> None:
    spec = load_pipeline_spec(PROJECT_ROOT / "template.yaml").edge
    # Given every document of a feed of every kind (and "/"), requested by every kind of client
    requests = [
        (uri, client)
        for feed in sample_feeds()
        for uri in ["/" + path for path in feed.paths]
        for client in CLIENTS
    ] + [("/", client) for client in CLIENTS]
    events = [request_event(uri, CLIENTS[client][0]) for uri, client in requests]
    # When CloudFront's viewer-request function sees each request
    results = run_function("viewer.js", events)
    for (uri, client), result in zip(requests, results, strict=True):
        headers, navigation = CLIENTS[client]
        document = "/feed.xml" if uri == "/" else uri
        page = catalogue.page_for(document[1:])
        # Then a browser navigating to a feed document gets its feed's page, cached under the
        # page's own path; every other client gets the document itself
        wanted = "/" + page if navigation and page else document
        assert result["uri"] == wanted, (uri, client)
        # And the local edge fetches the same object
        assert "/" + (origin_key(uri, spec, headers) or "") == wanted, (uri, client)


def test_every_kind_has_a_page_beside_its_feed_documents() -> None:
    for feed in sample_feeds():
        page = feed.path(PAGE)
        assert catalogue.is_public("/" + page)
        assert catalogue.headers_for(page)[0] == "text/html; charset=utf-8"
        for path in feed.paths:
            assert catalogue.page_for(path) == (None if path == page else page)
