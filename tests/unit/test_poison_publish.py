"""Poison in the publisher (issue 10): one bad record, object or site.yaml never stalls the site.

Given a batch where one record crashes the parser or a renderer, cannot ever be read, or has a
key no file system could hold, when the publisher applies it with good records, then the run
completes, the good ones are published at once, and the bad one is named in report.json with
its reason (never retried, never a failed run).
"""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from feedpub.publish import MemoryStore, PublishReport
from feedpub.publish.store import (
    CONDITION,
    MISSING,
    S3_ERRORS,
    TRANSIENT,
    UNREADABLE,
    NotFoundError,
    UnreadableObjectError,
    classify,
    read_error,
)
from tests.support.builders import article
from tests.unit.test_publish_engine import SITE, Site

HUGE = "1" * 5000


@pytest.fixture
def site() -> Site:
    return Site()


def client_error(code: str, status: int = 400, **extra: str) -> ClientError:
    response = {"Error": {"Code": code, "Message": f"{code} happened", **extra}}
    response["ResponseMetadata"] = {"HTTPStatusCode": status}  # type: ignore[assignment]
    return ClientError(response, "GetObject")  # type: ignore[arg-type]


GLACIER = client_error("InvalidObjectState", 403, StorageClass="GLACIER")


def rejected(site: Site) -> dict[str, str]:
    report = json.loads(site.output.get("_state/report.json").body)
    return {entry["path"]: entry["reason"] for entry in report["rejected"]}


def main_feed_titles(site: Site) -> list[str]:
    return [item["title"] for item in json.loads(site.output.get("feed.json").body)["items"]]


def assert_completed(report: PublishReport) -> None:
    assert report.failed_keys == []
    assert report.site_error is None


POISON = {
    "articles/overflow.md": b"---\ntitle: Overflow\ndate: 'Mon, 01 Jan 99999999999 00:00:00 GMT'\n---\nx\n",
    "articles/huge-int.md": f"---\ntitle: Huge\ndate: 2025-01-02\nignored: {HUGE}\n---\nx\n".encode(),
    "articles/ipv6.md": b"---\ntitle: IPv6\ndate: 2025-01-03\nimage: 'https://[::1'\n---\nx\n",
    "articles/../escape.md": article("Escape", "2025-01-04"),
    "articles//double.md": article("Double", "2025-01-04"),
}


def test_poison_records_are_reported_and_good_ones_in_the_same_batch_published(site: Site) -> None:
    # Given poison records of every kind the issue reproduced, uploaded with a good article
    for key, body in POISON.items():
        site.put(key, body)
    site.put("articles/good.md", article("Good", "2025-01-05"))
    # When one run applies them all
    report = site.publisher.apply([*POISON, "articles/good.md"])
    # Then it completes, the good article is in the feed, and each poison record is named with its reason
    assert_completed(report)
    assert main_feed_titles(site) == ["Good"]
    reasons = rejected(site)
    assert set(reasons) == set(POISON)
    assert "out of range" in reasons["articles/overflow.md"]
    assert "more than 4300 digits" in reasons["articles/huge-int.md"]
    assert reasons["articles/ipv6.md"].startswith("image 'https://[::1' is not a usable URL")
    assert "not a valid record key" in reasons["articles/../escape.md"]
    assert {entry["path"] for entry in report.rejected} == set(POISON)
    # And deleting an invalid key takes it out of the report
    site.content.delete("articles//double.md")
    assert_completed(site.publisher.apply(["articles//double.md"]))
    assert "articles//double.md" not in rejected(site)


def test_a_glacier_object_is_reported_once_and_never_retried(site: Site) -> None:
    # Given an article whose object moved to GLACIER (GET answers InvalidObjectState) and a good one
    site.put("articles/cold.md", article("Cold", "2025-01-01"))
    site.content.fail_reads("articles/cold.md", GLACIER)
    site.put("articles/good.md", article("Good", "2025-01-02"))
    # When both are applied
    report = site.publisher.apply(["articles/cold.md", "articles/good.md"])
    # Then the run completes, the good one is published, the cold one is reported with the storage class
    assert_completed(report)
    assert main_feed_titles(site) == ["Good"]
    assert rejected(site) == {
        "articles/cold.md": "cannot be read: the object is in the GLACIER storage class "
        "(restore it or copy it to STANDARD)"
    }
    # And its event replayed changes nothing
    writes = site.output.writes
    assert_completed(site.publisher.apply(["articles/cold.md"]))
    assert site.output.writes == writes


def test_an_unreadable_record_never_stops_a_rebuild_and_is_published_once_restored(site: Site) -> None:
    # Given a published site with one article an SSE-KMS key no longer decrypts
    site.put("articles/a.md", article("Alpha", "2025-01-01"))
    site.put("articles/locked.md", article("Locked", "2025-01-02"))
    assert_completed(site.publisher.apply(["articles/a.md", "articles/locked.md"]))
    site.content.fail_reads("articles/locked.md", client_error("KMS.DisabledException"))
    # When site.yaml changes how records are read (a full rebuild reads every record)
    site.put(
        "site.yaml",
        SITE.replace(b"Test Site", b"Renamed Site").replace(b"timezone: UTC", b"timezone: Asia/Tokyo"),
    )
    report = site.publisher.apply(["site.yaml"])
    # Then the rebuild completes with the new title, without the unreadable record, which is reported
    assert_completed(report)
    assert json.loads(site.output.get("feed.json").body)["title"] == "Renamed Site"
    assert main_feed_titles(site) == ["Alpha"]
    assert rejected(site)["articles/locked.md"].startswith("cannot be read: its SSE-KMS key")
    # And once the object can be read again, the hourly reconcile publishes it
    site.content.fail_reads("articles/locked.md", None)
    assert_completed(site.publisher.reconcile())
    assert main_feed_titles(site) == ["Locked", "Alpha"]
    assert rejected(site) == {}


def test_a_rebuild_where_no_record_can_be_read_stops_instead_of_emptying_the_feeds(site: Site) -> None:
    # Given a published site, When every GET is denied (the function's permissions, not the content)
    for name in ("a", "b"):
        site.put(f"articles/{name}.md", article(name.upper(), "2025-01-01"))
    assert_completed(site.publisher.apply(["articles/a.md", "articles/b.md"]))
    for name in ("a", "b"):
        site.content.fail_reads(f"articles/{name}.md", client_error("AccessDenied", 403))
    site.put("site.yaml", SITE.replace(b"timezone: UTC", b"timezone: Asia/Tokyo"))
    report = site.publisher.apply(["site.yaml"])
    # Then the rebuild is retried later and the feeds keep both items
    assert "site.yaml" in report.failed_keys
    assert sorted(main_feed_titles(site)) == ["A", "B"]


@pytest.mark.parametrize(
    "site_yaml",
    [
        SITE + f"feed_limit: {HUGE}\n".encode(),
        SITE + b"timezone: " + b"x" * 5000 + b"\n",
        SITE + b"hub: 'http://127.0.0.1:notaport/'\n",
        SITE + b"icon: 'javascript:alert(1)'\n",
    ],
)
def test_any_site_yaml_error_is_reported_and_the_last_good_feeds_stay(site: Site, site_yaml: bytes) -> None:
    # Given a published site
    site.put("articles/a.md", article("Alpha", "2025-01-01"))
    assert_completed(site.publisher.apply(["articles/a.md"]))
    before = site.public()
    # When site.yaml becomes invalid in a way that used to raise (and be retried forever)
    site.put("site.yaml", site_yaml)
    report = site.publisher.apply(["site.yaml"])
    # Then it is a site error, nothing is retried, and the published feeds are untouched
    assert report.site_error is not None
    assert report.site_error.startswith("site.yaml: ")
    assert report.failed_keys == []
    assert site.public() == before


def test_an_archived_site_yaml_is_a_site_error(site: Site) -> None:
    site.content.fail_reads("site.yaml", GLACIER)
    report = site.publisher.apply(["site.yaml"])
    assert report.site_error is not None
    assert "cannot be read: the object is in the GLACIER storage class" in report.site_error
    assert report.failed_keys == []


def test_a_record_that_fails_to_render_is_rejected_and_the_feed_still_changes(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a published article outside the visible window (feed_limit 3) whose item a renderer
    # cannot write (a renderer fault stands in for any value the parser let through)
    from feedpub.render import rss

    real = rss.render_rss

    def broken_for_poison(site_config, spec, items):  # type: ignore[no-untyped-def]
        if any(item.title == "Poison" for item in items):
            raise ValueError("Invalid IPv6 URL")
        return real(site_config, spec, items)

    site.put("articles/poison.md", article("Poison", "2025-01-01", ("Film",)))
    for day in range(2, 5):
        site.put(f"articles/new{day}.md", article(f"New {day}", f"2025-01-0{day}", ("Film",)))
    keys = ["articles/poison.md", *(f"articles/new{day}.md" for day in range(2, 5))]
    assert_completed(site.publisher.apply(keys))
    monkeypatch.setattr(rss, "render_rss", broken_for_poison)  # the catalogue imports it when rendering
    # When a newer article is deleted, so the poison one would enter the main and tag feeds
    site.content.delete("articles/new4.md")
    report = site.publisher.apply(["articles/new4.md"])
    # Then the deletion goes out (on main the run failed and the deleted article stayed in both
    # feeds), and the record at fault is rejected with the renderer's reason
    assert_completed(report)
    assert main_feed_titles(site) == ["New 3", "New 2"]
    assert b"New 4" not in site.output.get("tags/film/feed.json").body
    assert rejected(site) == {
        "articles/poison.md": "cannot be rendered into a feed: Invalid IPv6 URL (ValueError)"
    }
    # And when its author fixes it, it comes back
    monkeypatch.setattr(rss, "render_rss", real)
    site.put("articles/poison.md", article("Fixed", "2025-01-01", ("Film",)))
    assert_completed(site.publisher.apply(["articles/poison.md"]))
    assert main_feed_titles(site) == ["New 3", "New 2", "Fixed"]


def test_a_record_accepted_by_a_laxer_parser_is_rejected_when_its_archive_document_is_rendered(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a feedpub whose parser does not check URLs (as on main before issue 10)
    import feedpub.records

    monkeypatch.setattr(feedpub.records, "web_url_problem", lambda url: None)
    # When it publishes a record with a URL no renderer can write, older than the visible window
    site.put("articles/old.md", article("Old", "2025-01-01", extra="url: 'https://[::1'\n"))
    for day in range(2, 5):
        site.put(f"articles/new{day}.md", article(f"New {day}", f"2025-01-0{day}"))
    keys = ["articles/old.md", *(f"articles/new{day}.md" for day in range(2, 5))]
    report = site.publisher.apply(keys)
    monkeypatch.undo()
    # Then every record is in some document (the old one in an archive document), so the renderer
    # meets the URL at once: the record is rejected naming the renderer's reason, the others published
    assert_completed(report)
    assert rejected(site) == {
        "articles/old.md": "cannot be rendered into a feed: Invalid IPv6 URL (ValueError)"
    }
    assert main_feed_titles(site) == ["New 4", "New 3", "New 2"]
    # And when a newer article is deleted, the feed shows the rest, still without the old record
    site.content.delete("articles/new4.md")
    assert_completed(site.publisher.apply(["articles/new4.md"]))
    assert main_feed_titles(site) == ["New 3", "New 2"]
    assert "articles/old.md" in rejected(site)
    site.assert_matches_build()


def test_a_site_yaml_stored_by_a_laxer_feedpub_is_rebuilt_or_reported(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a state built from a site.yaml whose hub a stricter feedpub refuses
    import feedpub.urls

    monkeypatch.setattr(feedpub.urls, "web_url_problem", lambda url: None)
    site.put("site.yaml", SITE + b"hub: 'http://127.0.0.1:notaport/'\n")
    site.put("articles/a.md", article("Alpha", "2025-01-01"))
    assert_completed(site.publisher.apply(["site.yaml", "articles/a.md"]))
    monkeypatch.undo()
    # When an article arrives, Then the stored site.yaml is read again and reported, not retried forever
    site.put("articles/b.md", article("Beta", "2025-01-02"))
    report = site.publisher.apply(["articles/b.md"])
    assert report.site_error is not None
    assert "hub" in report.site_error
    assert report.failed_keys == []
    # And once the author fixes site.yaml, everything is published
    site.put("site.yaml", SITE)
    assert_completed(site.publisher.apply(["site.yaml"]))
    assert main_feed_titles(site) == ["Beta", "Alpha"]


# -- S3 errors: one table, walked -----------------------------------------------------------------


@pytest.mark.parametrize(("code", "meaning"), sorted(S3_ERRORS.items()))
def test_every_s3_error_in_the_table_is_classified_as_it_says(code: str, meaning: tuple[str, str]) -> None:
    # Given each S3 error code (or bare HTTP status) the table names, when a GET fails with it,
    # then the store raises what the publisher treats as that kind
    kind, _ = meaning
    status = int(code) if code.isdigit() else 400
    error = client_error(code, status, StorageClass="DEEP_ARCHIVE")
    assert classify(error)[0] == kind
    raised = read_error("articles/x.md", error)
    expected = {MISSING: NotFoundError, UNREADABLE: UnreadableObjectError}.get(kind, ClientError)
    assert isinstance(raised, expected)
    if isinstance(raised, UnreadableObjectError):
        assert raised.reason
        assert "{" not in raised.reason


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (client_error("SomethingNew", 500), TRANSIENT),
        (client_error("SomethingNew", 503), TRANSIENT),
        (client_error("", 502), TRANSIENT),
        (client_error("SomethingNew", 400), TRANSIENT),
        (client_error("", 403), UNREADABLE),
        (client_error("PreconditionFailed", 412), CONDITION),
        (ConnectionResetError("reset by peer"), TRANSIENT),
        (TimeoutError("read timed out"), TRANSIENT),
    ],
)
def test_errors_outside_the_table_are_transient_unless_their_status_says_otherwise(
    error: Exception, kind: str
) -> None:
    assert classify(error)[0] == kind


def test_the_table_covers_the_kinds_the_issue_names() -> None:
    kinds = {code: meaning[0] for code, meaning in S3_ERRORS.items()}
    for code in ("SlowDown", "Throttling", "InternalError", "ServiceUnavailable", "RequestTimeout", "503"):
        assert kinds[code] == TRANSIENT
    assert kinds["NoSuchKey"] == MISSING
    for code in ("InvalidObjectState", "AccessDenied", "KMS.DisabledException", "KMS.NotFoundException"):
        assert kinds[code] == UNREADABLE
    reason = classify(GLACIER)[1]
    assert reason.startswith("the object is in the GLACIER storage class")


def test_memory_store_reads_fail_as_classified() -> None:
    store = MemoryStore()
    store.put("articles/x.md", b"x")
    store.fail_reads("articles/x.md", client_error("SlowDown", 503))
    with pytest.raises(ClientError):
        store.get("articles/x.md")
    store.fail_reads("articles/x.md", None)
    assert store.get("articles/x.md").body == b"x"
