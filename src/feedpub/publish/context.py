"""What the parts of one publish run share: the publisher, the run's clock reading and report, and
the site configuration it works under (the run, publish/engine.py `_Run`, is one)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from feedpub.config import SiteConfig, parse_site
from feedpub.errors import SiteConfigError
from feedpub.publish.report import PublishReport

if TYPE_CHECKING:
    from feedpub.publish.engine import Publisher

log = logging.getLogger("feedpub.publish")
# What also goes into the run's report (rejections, site.yaml errors): front ends that print the
# report themselves (feedpub dev's human output) leave this logger out.
report_log = logging.getLogger("feedpub.publish.report")


class RunContext:
    def __init__(self, publisher: Publisher) -> None:
        self.pub = publisher
        self.state = publisher.state
        self.report = PublishReport()
        self.now = publisher.clock()
        self.site: SiteConfig | None = None

    def site_config(self) -> SiteConfig:
        assert self.site is not None, "the plan reads the site configuration first"
        return self.site


def stored_site(root: dict[str, Any]) -> SiteConfig | None:
    """The site.yaml the state was built with; None if there is none, or if it no longer passes
    validation (a stricter feedpub): then the run rebuilds from the current site.yaml, which is
    reported as a site error if it is still invalid."""
    if root["site"] is None:
        return None
    try:
        return parse_site(root["site"]["text"].encode())
    except SiteConfigError as exc:
        log.warning("the published site.yaml no longer passes validation (%s): rebuilding", exc.reason)
        return None
