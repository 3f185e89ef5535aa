"""Powertools Logger, Metrics and Tracer, created once per process and shared by both handlers."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

from feedpub import catalogue
from feedpub.publish import PublishReport

SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "feedpub")

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "feedpub"), service=SERVICE)
# Only botocore: patching everything X-Ray supports imports requests, sqlite3 and more that feedpub
# never uses (65 ms of every cold start, measured with bench/cold_start.py).
tracer = Tracer(service=SERVICE, patch_modules=["botocore"])


# Called with (report, action, keys) after every run: the local pipeline's human output.
ReportListener = Callable[[PublishReport, str, Sequence[str]], None]
_listeners: list[ReportListener] = []
_listeners_lock = threading.Lock()


def add_report_listener(listener: ReportListener) -> None:
    with _listeners_lock:
        _listeners.append(listener)


def remove_report_listener(listener: ReportListener) -> None:
    with _listeners_lock:
        if listener in _listeners:
            _listeners.remove(listener)


def record_report(report: PublishReport, action: str, keys: Sequence[str] = ()) -> None:
    """Log one structured line per run (and one per rejected record), emit the run's metrics and
    tell the listeners. `keys`: the content keys the run was asked to apply."""
    with _listeners_lock:
        listeners = list(_listeners)
    for listener in listeners:
        try:
            listener(report, action, keys)
        except Exception:
            logger.exception("a report listener failed")
    for rejection in report.rejected:
        logger.warning("record rejected", extra={"record": rejection["path"], "reason": rejection["reason"]})
    if report.site_error:
        logger.error("site.yaml problem: nothing published", extra={"reason": report.site_error})
        metrics.add_metric(name="SiteConfigErrors", unit=MetricUnit.Count, value=1)
    if report.failed_keys:
        logger.error("keys failed and will be retried", extra={"failed_keys": report.failed_keys})
    if report.hub_failures:
        metrics.add_metric(name="HubPingFailures", unit=MetricUnit.Count, value=report.hub_failures)
    logger.info(
        "publish run finished",
        extra={
            "action": action,
            "written": len(report.written),
            "deleted": len(report.deleted),
            "unchanged": report.unchanged,
            "invalidated": len(report.invalidation_paths),
            "rejected": len(report.rejected),
            "failed": len(report.failed_keys),
            "published": report.published,
            "next_due": report.next_due.isoformat() if report.next_due else None,
            "records_read": report.records_read,
            "hub_failures": report.hub_failures,
            "duration_s": round(report.duration_s, 3),
        },
    )
    feeds_written = sum(1 for path in report.written if catalogue.is_feed_document(path))
    metrics.add_metric(name="RecordsPublished", unit=MetricUnit.Count, value=report.published)
    metrics.add_metric(name="RecordsRejected", unit=MetricUnit.Count, value=len(report.rejected))
    metrics.add_metric(name="FeedsWritten", unit=MetricUnit.Count, value=feeds_written)
    invalidations = 1 if report.invalidation_paths else 0  # one CloudFront request per run at most
    metrics.add_metric(name="Invalidations", unit=MetricUnit.Count, value=invalidations)
    metrics.add_metric(name="InvalidatedPaths", unit=MetricUnit.Count, value=len(report.invalidation_paths))
    metrics.add_metric(name="PublishDuration", unit=MetricUnit.Seconds, value=report.duration_s)
