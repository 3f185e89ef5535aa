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
import tempfile
from typing import Any

import pytest

from feedpub import catalogue
from feedpub.catalogue import KINDS, PAGE, Feed
from feedpub.infra_spec import load_pipeline_spec
from feedpub.local.edge import for_browsers, origin_key, vary
from tests.integration.template_helpers import PROJECT_ROOT, deployed, transformed_template

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
    "old-internet-explorer": ({"accept": "text/html, application/xhtml+xml, image/jxr, */*"}, True),
    # Java's HttpURLConnection when the fetcher sets no Accept of its own
    "java-default": ({"accept": "text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2"}, False),
    "web-reader-fetch": ({"accept": "*/*", "sec-fetch-dest": "empty", "sec-fetch-mode": "cors"}, False),
    "iframe": ({"accept": BROWSER, "sec-fetch-dest": "iframe"}, False),
    "feedparser": ({"accept": FEEDPARSER}, False),
    "reader": ({"accept": "*/*"}, False),
    "curl": ({"accept": "*/*"}, False),
    "reader-preferring-feeds": ({"accept": READER + ", text/html;q=0.5"}, False),
    "no-headers": ({}, False),
}


def run_function(source: str, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each event's result from the function of infra/edge/`source`."""
    return run_code((EDGE / source).read_text(encoding="utf-8"), events)


def run_code(code: str, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each event's result from the CloudFront Function whose source is `code`."""
    node = shutil.which("node")
    assert node, "Node.js runs the CloudFront Functions here (infra/install-system-packages.sh installs it)"
    with tempfile.NamedTemporaryFile("w", suffix=".js", encoding="utf-8") as script:
        script.write(code)
        script.flush()
        done = subprocess.run(
            [node, "-e", RUNNER, script.name],
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


# -- the functions as deployed: the template after the SAM transform ------------------------------


@pytest.fixture(scope="module")
def deployed_resources() -> dict[str, Any]:
    """The resources CloudFormation creates from template.yaml as `sam deploy` submits it."""
    resources: dict[str, Any] = deployed(transformed_template())["Resources"]
    return resources


def behaviours(resources: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The distribution's cache behaviours by path pattern ("*" for the default one)."""
    config = resources["Distribution"]["Properties"]["DistributionConfig"]
    found = {behaviour["PathPattern"]: behaviour for behaviour in config.get("CacheBehaviors", [])}
    return {"*": config["DefaultCacheBehavior"], **found}


def function_code(resources: dict[str, Any], behaviour: dict[str, Any], event_type: str) -> str:
    """The source of the CloudFront Function a behaviour runs on `event_type`."""
    (arn,) = [a["FunctionARN"] for a in behaviour["FunctionAssociations"] if a["EventType"] == event_type]
    function = resources[arn["Fn::GetAtt"][0]]["Properties"]
    assert function["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    code: str = function["FunctionCode"]
    return code


def test_given_the_deployed_distribution_then_a_feeds_page_and_its_documents_are_cached_apart(
    deployed_resources: dict[str, Any],
) -> None:
    # Given every behaviour of the distribution as deployed
    for pattern, behaviour in behaviours(deployed_resources).items():
        # Then its cache key is the path alone: CloudFront never keys on Accept or Sec-Fetch-Dest
        # (it ignores the origin's Vary), so nothing but the path may tell a page from a feed
        policy = deployed_resources[behaviour["CachePolicyId"]["Ref"]]["Properties"]["CachePolicyConfig"]
        key = policy["ParametersInCacheKeyAndForwardedToOrigin"]
        assert key["HeadersConfig"]["HeaderBehavior"] == "none", pattern
        assert key["CookiesConfig"]["CookieBehavior"] == "none", pattern
        assert key["QueryStringsConfig"]["QueryStringBehavior"] == "none", pattern
        # And a viewer-request function, which runs before the cache is looked up, chooses that path
        assert function_code(deployed_resources, behaviour, "viewer-request")
    # When browsers and readers request every document of a feed of every kind, and "/", through
    # the default behaviour's deployed viewer-request function
    default = behaviours(deployed_resources)["*"]
    requests = [
        (uri, client)
        for feed in sample_feeds()
        for uri in ["/", *("/" + path for path in feed.paths)]
        for client in CLIENTS
    ]
    events = [request_event(uri, CLIENTS[client][0]) for uri, client in requests]
    results = run_code(function_code(deployed_resources, default, "viewer-request"), events)
    for (uri, client), result in zip(requests, results, strict=True):
        document = "/feed.xml" if uri == "/" else uri
        page = catalogue.page_for(document[1:])
        # Then a browser's navigation is looked up (and fetched) as the page's path, anyone else's
        # request as the document's: two cache entries, each holding what its viewers get
        assert result["uri"] == ("/" + page if CLIENTS[client][1] and page else document), (uri, client)


def test_given_the_deployed_distribution_then_episode_files_are_never_swapped_for_a_page(
    deployed_resources: dict[str, Any],
) -> None:
    # Given the behaviour that serves media/ as deployed
    media = behaviours(deployed_resources)["media/*"]
    uris = ["/media/episode-12.mp3", "/media/2024/show/episode.m4a"]
    events = [request_event(uri, CLIENTS[client][0]) for uri in uris for client in CLIENTS]
    # When browsers navigate to an episode file, and players fetch it
    results = run_code(function_code(deployed_resources, media, "viewer-request"), events)
    # Then every one of them gets the file itself
    assert [result["uri"] for result in results] == [uri for uri in uris for _ in CLIENTS]


@pytest.mark.parametrize("content_type", TYPES)
def test_given_the_deployed_distribution_then_viewers_learn_what_a_feed_url_varies_on(
    deployed_resources: dict[str, Any], content_type: str
) -> None:
    # Given the default behaviour's deployed viewer-response function
    code = function_code(deployed_resources, behaviours(deployed_resources)["*"], "viewer-response")
    # When a browser navigating and a reader get a response of this type
    browser, reader = run_code(
        code, [response_event(content_type, BROWSER), response_event(content_type, READER)]
    )
    # Then both are told what the local edge tells them: browsers' caches and any shared cache on
    # the way keep a feed's page and its feed apart when they store them under one URL
    for result in (browser, reader):
        shown = result["headers"].get("vary", {"value": ""})["value"]
        assert {"Accept-Encoding", *filter(None, shown.split(", "))} == set(vary(content_type).split(", "))
