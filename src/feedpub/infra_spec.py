"""What the local pipeline must copy from template.yaml, read into a typed `PipelineSpec`.

`feedpub dev` builds its queue, notifications, poller, schedules and edge headers from this,
so the local pipeline cannot drift from what `sam deploy` creates. Resources are found by how
they are wired (the bucket that notifies a queue, the function that polls it), not by name.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict

JSONish = Any  # a value of the parsed template (dict, list, str, int, bool or None)


class TemplateError(ValueError):
    """template.yaml does not describe the pipeline the way feedpub expects."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


class CloudFormationLoader(yaml.SafeLoader):
    """SafeLoader that reads CloudFormation short tags (!Ref, !GetAtt, !Sub, ...) as their long forms."""


def _short_tag(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, JSONish]:
    value: JSONish
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if tag_suffix == "Ref":
        return {"Ref": value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)  # !GetAtt Queue.Arn == Fn::GetAtt: [Queue, Arn]
    return {f"Fn::{tag_suffix}": value}


CloudFormationLoader.add_multi_constructor("!", _short_tag)


def load_template(path: Path) -> dict[str, JSONish]:
    """template.yaml as plain data, short tags in their long form."""
    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=CloudFormationLoader)  # noqa: S506
    except OSError as exc:
        raise TemplateError(str(path), f"cannot read the template: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise TemplateError(str(path), f"not valid YAML: {exc}") from exc
    if not isinstance(document, dict) or not isinstance(document.get("Resources"), dict):
        raise TemplateError(str(path), "has no Resources section")
    return document


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class NotificationRule(_Spec):
    """One QueueConfiguration of the content bucket: S3 events on keys with this prefix/suffix."""

    event: str  # e.g. "s3:ObjectCreated:*"
    prefix: str = ""
    suffix: str = ""

    def matches(self, event_name: str, key: str) -> bool:
        """Would S3 send `event_name` (e.g. "s3:ObjectCreated:Put" or "ObjectCreated:Put") for `key`?"""
        full_name = event_name if event_name.startswith("s3:") else "s3:" + event_name
        if self.event.endswith(":*"):
            event_ok = full_name.startswith(self.event[:-1])
        else:
            event_ok = full_name == self.event
        return event_ok and key.startswith(self.prefix) and key.endswith(self.suffix)


class QueueSpec(_Spec):
    visibility_timeout_s: int
    message_retention_s: int
    max_receive_count: int  # deliveries before a message moves to the dead-letter queue


class EventSourceSpec(_Spec):
    batch_size: int
    max_batching_window_s: int
    max_concurrency: int | None
    report_batch_item_failures: bool


class FunctionSpec(_Spec):
    logical_id: str
    handler: str  # "module.attribute"
    runtime: str
    architecture: str
    timeout_s: int
    memory_mb: int
    reserved_concurrency: int | None
    environment: dict[str, str]  # the variables whose values are literals (resource names are not)


class ScheduleSpec(_Spec):
    name: str
    function: str  # logical id of the function it invokes
    expression: str  # "rate(5 minutes)"
    interval_s: int
    input: dict[str, JSONish]


class ErrorResponseSpec(_Spec):
    """How CloudFront answers when the origin returns one error code."""

    caching_ttl_s: int
    response_code: int | None  # None: the origin's own code
    page_path: str | None  # None: the origin's own body


class EdgeSpec(_Spec):
    """What CloudFront adds or decides, so the local edge can behave the same."""

    security_headers: dict[str, str]
    cors_headers: dict[str, str]
    root_object: str  # what "/" serves
    min_ttl_s: int
    default_ttl_s: int
    max_ttl_s: int
    error_responses: dict[int, ErrorResponseSpec]  # keyed by the origin's status code


class PipelineSpec(_Spec):
    notifications: tuple[NotificationRule, ...]
    queue: QueueSpec
    event_source: EventSourceSpec
    publish_function: FunctionSpec
    schedules: tuple[ScheduleSpec, ...]
    schedule_functions: dict[str, FunctionSpec]
    edge: EdgeSpec

    def notifies(self, event_name: str, key: str) -> bool:
        """Does the content bucket send this S3 event for this key to the queue?"""
        return any(rule.matches(event_name, key) for rule in self.notifications)


_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


class _Template:
    """Lookups over the parsed template that resolve parameters (by default) and Globals."""

    def __init__(self, document: dict[str, JSONish], source: str) -> None:
        self.source = source
        self.resources: dict[str, dict[str, JSONish]] = document["Resources"]
        self.parameters: dict[str, JSONish] = document.get("Parameters") or {}
        self.conditions: dict[str, JSONish] = document.get("Conditions") or {}
        self.function_globals: dict[str, JSONish] = (document.get("Globals") or {}).get("Function") or {}

    def fail(self, where: str, reason: str) -> TemplateError:
        return TemplateError(f"{self.source}: {where}", reason)

    def literal(self, value: JSONish, where: str) -> JSONish:
        """A plain value, the default of the parameter it !Refs, or the branch an !If takes with the
        parameters at their defaults (None for AWS::NoValue)."""
        if value == {"Ref": "AWS::NoValue"}:
            return None
        if isinstance(value, dict) and set(value) == {"Ref"} and value["Ref"] in self.parameters:
            parameter = self.parameters[value["Ref"]]
            if "Default" not in parameter:
                raise self.fail(where, f"parameter {value['Ref']} has no Default to run with locally")
            return parameter["Default"]
        if isinstance(value, dict) and set(value) == {"Fn::If"}:
            name, when_true, when_false = value["Fn::If"]
            return self.literal(when_true if self.condition(name, where) else when_false, where)
        if isinstance(value, dict):
            raise self.fail(where, f"{value} is not a literal or a parameter with a default")
        return value

    def condition(self, name: str, where: str) -> bool:
        """A condition of the template, decided with the parameters at their defaults."""
        if name not in self.conditions:
            raise self.fail(where, f"condition {name} is not defined")

        def decide(node: JSONish) -> bool:
            ((function, argument),) = node.items()
            if function == "Fn::Equals":
                left, right = (self.literal(item, where) for item in argument)
                return str(left) == str(right)
            if function == "Fn::Not":
                return not decide(argument[0])
            if function == "Fn::And":
                return all(decide(item) for item in argument)
            if function == "Fn::Or":
                return any(decide(item) for item in argument)
            if function == "Condition":
                return self.condition(argument, where)
            raise self.fail(where, f"condition {name} uses {function}, which feedpub dev cannot decide")

        return decide(self.conditions[name])

    def number(self, value: JSONish, where: str) -> int:
        resolved = self.literal(value, where)
        try:
            return int(resolved)
        except (TypeError, ValueError) as exc:
            raise self.fail(where, f"{resolved!r} is not a whole number") from exc

    def of_type(self, resource_type: str) -> dict[str, dict[str, JSONish]]:
        return {
            logical_id: resource.get("Properties") or {}
            for logical_id, resource in self.resources.items()
            if resource.get("Type") == resource_type
        }

    def referenced(self, value: JSONish, where: str) -> tuple[str, dict[str, JSONish]]:
        """The resource a !Ref or !GetAtt points to: (logical id, properties)."""
        if isinstance(value, dict) and "Ref" in value:
            logical_id = value["Ref"]
        elif isinstance(value, dict) and "Fn::GetAtt" in value:
            logical_id = value["Fn::GetAtt"][0]
        else:
            raise self.fail(where, f"{value!r} does not reference a resource")
        if logical_id not in self.resources:
            raise self.fail(where, f"references {logical_id}, which the template does not define")
        return logical_id, self.resources[logical_id].get("Properties") or {}

    def function(self, logical_id: str) -> FunctionSpec:
        own = self.resources[logical_id].get("Properties") or {}
        properties = {**self.function_globals, **own}
        where = f"Resources.{logical_id}"
        # SAM merges the variables of Globals and of the function (the function's win).
        variables = {
            **((self.function_globals.get("Environment") or {}).get("Variables") or {}),
            **((own.get("Environment") or {}).get("Variables") or {}),
        }
        environment = {name: str(value) for name, value in variables.items() if not isinstance(value, dict)}
        reserved = self.literal(properties.get("ReservedConcurrentExecutions"), where)
        return FunctionSpec(
            logical_id=logical_id,
            handler=properties.get("Handler", ""),
            runtime=str(self.literal(properties.get("Runtime", ""), where + ".Runtime")),
            architecture=(properties.get("Architectures") or ["x86_64"])[0],
            timeout_s=self.number(properties.get("Timeout", 3), where + ".Timeout"),
            memory_mb=self.number(properties.get("MemorySize", 128), where + ".MemorySize"),
            reserved_concurrency=None if reserved is None else self.number(reserved, where),
            environment=environment,
        )


def _notifications(template: _Template) -> tuple[str, list[NotificationRule]]:
    """The queue the content bucket notifies, and the rules it notifies it with."""
    notifying = {
        logical_id: properties["NotificationConfiguration"]["QueueConfigurations"]
        for logical_id, properties in template.of_type("AWS::S3::Bucket").items()
        if (properties.get("NotificationConfiguration") or {}).get("QueueConfigurations")
    }
    if len(notifying) != 1:
        raise template.fail("Resources", f"expected one bucket notifying a queue, found {len(notifying)}")
    bucket_id, configurations = next(iter(notifying.items()))
    queues = set()
    rules = []
    for index, configuration in enumerate(configurations):
        where = f"Resources.{bucket_id}.NotificationConfiguration.QueueConfigurations[{index}]"
        queues.add(template.referenced(configuration.get("Queue"), where)[0])
        filters = {
            rule["Name"].lower(): rule["Value"]
            for rule in ((configuration.get("Filter") or {}).get("S3Key") or {}).get("Rules") or []
        }
        rules.append(
            NotificationRule(
                event=configuration["Event"],
                prefix=filters.get("prefix", ""),
                suffix=filters.get("suffix", ""),
            )
        )
    if len(queues) != 1:
        raise template.fail(
            f"Resources.{bucket_id}", f"notifies several queues ({', '.join(sorted(queues))})"
        )
    return queues.pop(), rules


def _queue(template: _Template, queue_id: str) -> QueueSpec:
    properties = template.resources[queue_id].get("Properties") or {}
    where = f"Resources.{queue_id}"
    redrive = properties.get("RedrivePolicy")
    if not redrive:
        raise template.fail(where, "the content queue has no RedrivePolicy (dead-letter queue)")
    return QueueSpec(
        visibility_timeout_s=template.number(
            properties.get("VisibilityTimeout", 30), where + ".VisibilityTimeout"
        ),
        message_retention_s=template.number(
            properties.get("MessageRetentionPeriod", 345600), where + ".MessageRetentionPeriod"
        ),
        max_receive_count=template.number(
            redrive.get("maxReceiveCount"), where + ".RedrivePolicy.maxReceiveCount"
        ),
    )


def _publish_source(template: _Template, queue_id: str) -> tuple[str, EventSourceSpec]:
    """The function that polls the content queue, and how it polls."""
    for logical_id, properties in template.of_type("AWS::Serverless::Function").items():
        for event_name, event in (properties.get("Events") or {}).items():
            if event.get("Type") != "SQS":
                continue
            where = f"Resources.{logical_id}.Events.{event_name}.Properties"
            source = event.get("Properties") or {}
            if template.referenced(source.get("Queue"), where + ".Queue")[0] != queue_id:
                continue
            scaling = source.get("ScalingConfig") or {}
            max_concurrency = scaling.get("MaximumConcurrency")
            return logical_id, EventSourceSpec(
                batch_size=template.number(source.get("BatchSize", 10), where + ".BatchSize"),
                max_batching_window_s=template.number(
                    source.get("MaximumBatchingWindowInSeconds", 0), where + ".MaximumBatchingWindowInSeconds"
                ),
                max_concurrency=None if max_concurrency is None else template.number(max_concurrency, where),
                report_batch_item_failures="ReportBatchItemFailures"
                in (source.get("FunctionResponseTypes") or []),
            )
    raise template.fail("Resources", f"no function has an SQS event on {queue_id}")


def _interval_s(expression: str, where: str, template: _Template) -> int:
    match = _RATE.match(expression)
    if not match:
        raise template.fail(
            where, f"{expression!r} is not a rate(N minutes|hours|days) the local pipeline can run"
        )
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2).rstrip("s")]


def _schedules(template: _Template) -> list[ScheduleSpec]:
    schedules = []
    for logical_id, properties in template.of_type("AWS::Serverless::Function").items():
        for event_name, event in (properties.get("Events") or {}).items():
            if event.get("Type") not in ("ScheduleV2", "Schedule"):
                continue
            where = f"Resources.{logical_id}.Events.{event_name}.Properties"
            source = event.get("Properties") or {}
            expression = str(
                template.literal(source.get("ScheduleExpression"), where + ".ScheduleExpression")
            )
            raw_input = template.literal(source.get("Input", "{}"), where + ".Input")
            try:
                payload = yaml.safe_load(raw_input) if isinstance(raw_input, str) else raw_input
            except yaml.YAMLError as exc:
                raise template.fail(where + ".Input", f"not JSON: {exc}") from exc
            if not isinstance(payload, dict):
                raise template.fail(where + ".Input", "must be a JSON object")
            schedules.append(
                ScheduleSpec(
                    name=event_name,
                    function=logical_id,
                    expression=expression,
                    interval_s=_interval_s(expression, where + ".ScheduleExpression", template),
                    input=payload,
                )
            )
    return schedules


def _edge(template: _Template) -> EdgeSpec:
    distributions = template.of_type("AWS::CloudFront::Distribution")
    if len(distributions) != 1:
        raise template.fail("Resources", f"expected one CloudFront distribution, found {len(distributions)}")
    distribution_id, properties = next(iter(distributions.items()))
    config = properties["DistributionConfig"]
    where = f"Resources.{distribution_id}.DistributionConfig"
    behavior = config["DefaultCacheBehavior"]
    _, headers_policy = template.referenced(
        behavior.get("ResponseHeadersPolicyId"), where + ".DefaultCacheBehavior.ResponseHeadersPolicyId"
    )
    _, cache_policy = template.referenced(
        behavior.get("CachePolicyId"), where + ".DefaultCacheBehavior.CachePolicyId"
    )
    headers_config = headers_policy["ResponseHeadersPolicyConfig"]
    cache_config = cache_policy["CachePolicyConfig"]
    security = headers_config.get("SecurityHeadersConfig") or {}
    security_headers = {}
    if hsts := security.get("StrictTransportSecurity"):
        value = f"max-age={hsts['AccessControlMaxAgeSec']}"
        value += "; includeSubDomains" if hsts.get("IncludeSubdomains") else ""
        value += "; preload" if hsts.get("Preload") else ""
        security_headers["Strict-Transport-Security"] = value
    if "ContentTypeOptions" in security:
        security_headers["X-Content-Type-Options"] = "nosniff"
    if frame := security.get("FrameOptions"):
        security_headers["X-Frame-Options"] = frame["FrameOption"]
    if referrer := security.get("ReferrerPolicy"):
        security_headers["Referrer-Policy"] = referrer["ReferrerPolicy"]
    if csp := security.get("ContentSecurityPolicy"):
        security_headers["Content-Security-Policy"] = " ".join(csp["ContentSecurityPolicy"].split())
    cors = headers_config.get("CorsConfig") or {}
    cors_headers = {}
    if cors:
        cors_headers["Access-Control-Allow-Origin"] = ", ".join(cors["AccessControlAllowOrigins"]["Items"])
        cors_headers["Access-Control-Allow-Methods"] = ", ".join(cors["AccessControlAllowMethods"]["Items"])
        if "AccessControlMaxAgeSec" in cors:
            cors_headers["Access-Control-Max-Age"] = str(cors["AccessControlMaxAgeSec"])
    return EdgeSpec(
        security_headers=security_headers,
        cors_headers=cors_headers,
        root_object=config.get("DefaultRootObject", ""),
        min_ttl_s=template.number(cache_config.get("MinTTL", 0), "CachePolicyConfig.MinTTL"),
        default_ttl_s=template.number(cache_config.get("DefaultTTL", 86400), "CachePolicyConfig.DefaultTTL"),
        max_ttl_s=template.number(cache_config.get("MaxTTL", 31536000), "CachePolicyConfig.MaxTTL"),
        error_responses={
            int(response["ErrorCode"]): ErrorResponseSpec(
                caching_ttl_s=int(response.get("ErrorCachingMinTTL", 10)),
                response_code=int(response["ResponseCode"]) if "ResponseCode" in response else None,
                page_path=response.get("ResponsePagePath"),
            )
            for response in config.get("CustomErrorResponses") or []
        },
    )


def load_pipeline_spec(template_path: Path | str) -> PipelineSpec:
    """Read what the local pipeline must reproduce from template.yaml (raises TemplateError)."""
    path = Path(template_path)
    template = _Template(load_template(path), str(path))
    try:
        queue_id, rules = _notifications(template)
        publish_id, event_source = _publish_source(template, queue_id)
        schedules = _schedules(template)
        return PipelineSpec(
            notifications=tuple(rules),
            queue=_queue(template, queue_id),
            event_source=event_source,
            publish_function=template.function(publish_id),
            schedules=tuple(schedules),
            schedule_functions={s.function: template.function(s.function) for s in schedules},
            edge=_edge(template),
        )
    except (KeyError, TypeError, IndexError) as exc:
        raise TemplateError(str(path), f"unexpected shape near {exc!r}") from exc
