"""The local feeds keep pointing at the local edge whoever uploads site.yaml (issue: after
`feedpub publish` or `aws s3 sync`, feed.xml and OPML pointed at the production domain)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import SAMPLE_CONTENT, RunningPipeline, eventually, start_pipeline

PRODUCTION = b"https://feeds.example.org/"


@pytest.fixture
def dev(tmp_path: Path) -> Iterator[RunningPipeline]:
    yield from start_pipeline(tmp_path)


def test_an_author_uploading_the_production_site_yaml_keeps_local_links(dev: RunningPipeline) -> None:
    site = (SAMPLE_CONTENT / "site.yaml").read_bytes()
    assert PRODUCTION in site  # the sample names its production domain
    # When an author uploads site.yaml as it is (production base_url), with a new title, as
    # `aws s3 cp` or `feedpub publish` would
    dev.upload("site.yaml", site.replace(b"title: The Cutting Room", b"title: The Cutting Room Weekly"))
    dev.wait_for_text("The Cutting Room Weekly")
    # Then every feed and the OPML still point at the edge, never at the production domain
    for path in ("feed.xml", "atom.xml", "feed.json", "feeds.opml"):
        body = eventually(lambda path=path: dev.feed(path), f"{path} to be served")
        assert PRODUCTION not in body, path
        assert dev.url.encode() in body, path
    # And the bucket keeps the author's file as uploaded
    stored = dev.s3.get_object(Bucket=dev.content_bucket, Key="site.yaml")["Body"].read()
    assert PRODUCTION in stored
