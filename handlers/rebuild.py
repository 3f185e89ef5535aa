"""RebuildFunction: one step of a rebuild, as RebuildStateMachine (template.yaml) calls it.

- `{"step": "plan", "plan": <execution name>, "reason": ..., "site_etag": ...}` takes the lease,
  lists the records and answers the parts for the Map: `{"plan", "parts": [...], "workers"}`
  (`"plan": null` when there is nothing to do);
- `{"step": "part", "plan": ..., "part": n}` reads and parses one part's records;
- `{"step": "merge", "plan": ...}` commits every part's entries and answers the render parts for
  the second Map: `{"render": [...], ...}`;
- `{"step": "render_parts", "plan": ...}` answers the render parts of a feed-level site.yaml change
  the publisher committed (an execution started with `{"render": <plan>}`): `{"render": [...], ...}`;
- `{"step": "render", "plan": ..., "part": n, "parts": m}` writes one share of the archive documents;
- `{"step": "finish", "plan": ...}` writes the feed documents and what else the commit left pending;
- `{"step": "abandon", "plan": ...}` gives the lease up after a step failed for good.

A step that cannot finish raises: the state machine retries it (a part alone), then abandons.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from feedpub.publish.rebuild import RebuildRequest, RebuildSteps
from handlers.observability import logger, metrics, record_report, tracer
from handlers.publish import current_publisher
from handlers.settings import Settings

STEPS = ("plan", "part", "merge", "render_parts", "render", "finish", "abandon")


class UnknownStepError(ValueError):
    pass


class MergeFailedError(RuntimeError):
    """The merge could not commit (records unreadable for now, commit conflicts): it is retried."""


class FinishFailedError(RuntimeError):
    """The finish step could not write what the commit left pending: it is retried."""


@logger.inject_lambda_context(log_event=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(raise_on_empty_metrics=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = event.get("step") if isinstance(event, dict) else None
    if step not in STEPS:
        raise UnknownStepError(f"event step {step!r} is not one of {', '.join(STEPS)}")
    plan_id = str(event["plan"])
    logger.append_keys(plan=plan_id, step=step)
    steps = RebuildSteps(current_publisher())
    if step == "plan":
        return _plan(steps, plan_id, event)
    if step == "part":
        part = int(event["part"])
        records = steps.part(plan_id, part)
        metrics.add_metric(name="RebuildRecordsParsed", unit=MetricUnit.Count, value=records)
        return {"part": part, "records": records}
    if step == "merge":
        report = steps.merge(plan_id)
        record_report(report, "rebuild")
        if report.failed_keys:
            raise MergeFailedError(
                f"merge of {plan_id} could not finish: {', '.join(report.failed_keys[:5])}"
            )
        return {
            **_render_parts(steps, plan_id),
            "published": report.published,
            "rejected": len(report.rejected),
            "records_read": report.records_read,
            "superseded": report.superseded,
        }
    if step == "render_parts":
        return _render_parts(steps, plan_id)
    if step == "render":
        # Seen in the execution's history; the finish step's report counts them all.
        written = steps.render(plan_id, int(event["part"]), int(event["parts"]))
        return {"part": int(event["part"]), "written": written}
    if step == "finish":
        report = steps.finish(plan_id)
        record_report(report, "rebuild")
        if report.failed_keys:
            raise FinishFailedError(f"finish of {plan_id} could not write what its commit left pending")
        return {"published": report.published, "written": len(report.written), "deleted": len(report.deleted)}
    steps.abandon(plan_id)
    logger.error("rebuild abandoned: the last good feeds stay served")
    return {}


def _render_parts(steps: RebuildSteps, plan_id: str) -> dict[str, Any]:
    """The render parts for the Render Map, and how many run at once."""
    workers = Settings.from_env().rebuild_workers
    parts = steps.render_parts(plan_id, workers)
    render = [{"step": "render", "plan": plan_id, "part": part, "parts": parts} for part in range(parts)]
    return {"render": render, "workers": workers}


def _plan(steps: RebuildSteps, plan_id: str, event: dict[str, Any]) -> dict[str, Any]:
    workers = Settings.from_env().rebuild_workers
    request = RebuildRequest(str(event.get("reason") or "rebuild"), str(event.get("site_etag") or ""))
    planned = steps.plan(plan_id, request, workers, take_over=False)
    if planned is None:
        if steps.report.site_error:
            record_report(steps.report, "rebuild")
        return {"plan": None, "parts": [], "workers": workers}
    parts = [{"step": "part", "plan": plan_id, "part": part} for part in range(planned.parts)]
    return {"plan": plan_id, "parts": parts, "workers": workers}
