"""Running the IaC tools (sam, cfn-lint, checkov) from their own venv, and reading template.yaml."""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from feedpub.infra_spec import load_template

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = PROJECT_ROOT / "template.yaml"
TOOLS = ("sam", "cfn-lint", "checkov")


def tools_bin() -> Path:
    """Where sam, cfn-lint and checkov live: $FEEDPUB_TOOLS_BIN, .venv-tools/bin, or PATH."""
    candidates = [os.environ.get("FEEDPUB_TOOLS_BIN"), str(PROJECT_ROOT / ".venv-tools" / "bin")]
    for candidate in filter(None, candidates):
        if all((Path(candidate) / tool).exists() for tool in TOOLS):
            return Path(candidate)
    found = [shutil.which(tool) for tool in TOOLS]
    if all(found):
        return Path(str(found[0])).parent
    pytest.fail(
        "sam, cfn-lint and checkov are not installed: run `make tools` (creates .venv-tools from "
        "infra/requirements-tools.txt) or point FEEDPUB_TOOLS_BIN at their bin directory"
    )


def run_tool(tool: str, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run one tool from the project root, offline-friendly (no telemetry, no update checks)."""
    env = {
        **os.environ,
        "SAM_CLI_TELEMETRY": "0",
        "SAM_CLI_DISABLE_UPDATE_CHECK": "1",
        "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        "BC_SKIP_MAPPING": "TRUE",
    }
    return subprocess.run(
        [str(tools_bin() / tool), *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def template() -> dict[str, Any]:
    return load_template(TEMPLATE)


def resources_of_type(document: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource.get("Properties") or {}
        for logical_id, resource in document["Resources"].items()
        if resource["Type"] == resource_type
    }


def policy_documents(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, policy document) for every IAM, bucket, queue and key policy in the template."""
    for logical_id, resource in document["Resources"].items():
        properties = resource.get("Properties") or {}
        for field in ("PolicyDocument", "KeyPolicy"):
            if field in properties:
                yield logical_id, properties[field]
        for index, policy in enumerate(properties.get("Policies") or []):
            if isinstance(policy, dict) and "Statement" in policy:
                yield f"{logical_id}.Policies[{index}]", policy


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def sub_text(value: Any) -> str:
    """The template string of a !Sub (plain strings pass through)."""
    if isinstance(value, dict) and "Fn::Sub" in value:
        inner = value["Fn::Sub"]
        return inner[0] if isinstance(inner, list) else inner
    return value if isinstance(value, str) else repr(value)


# What `sam deploy` submits: the AWS::Serverless-2016-10-31 transform expands functions into
# AWS::Lambda::Function, their events into event source mappings and schedules, EventInvokeConfig
# into its own resource. aws-sam-translator lives in the tools venv (it pins its own boto3); the
# local CodeUri is replaced by an S3 one, as `sam package` does, since the translator wants one.
_TRANSFORM = """
import json, sys
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

class NoManagedPolicies:
    def load(self):
        return {}

document = yaml_parse(open(sys.argv[1], encoding="utf-8").read())
document["Globals"]["Function"]["CodeUri"] = "s3://feedpub-artifacts/feedpub.zip"
json.dump(transform(document, {}, NoManagedPolicies()), sys.stdout)
"""


@functools.cache
def transformed_template() -> dict[str, Any]:
    """template.yaml after the SAM transform, conditions still unresolved (see `deployed`)."""
    python = tools_bin() / "python"
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1"}
    result = subprocess.run(
        [str(python), "-c", _TRANSFORM, str(TEMPLATE)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"the SAM transform failed:\n{result.stderr}"
    transformed: dict[str, Any] = json.loads(result.stdout)
    return transformed


_NO_VALUE = object()


def deployed(document: dict[str, Any], **parameters: str) -> dict[str, Any]:
    """The resources and outputs CloudFormation creates from `document` with these parameter values
    (the others at their defaults): conditions decided, Fn::If chosen, AWS::NoValue dropped, and
    !Ref of a parameter replaced by its value. Other intrinsics (!GetAtt, !Sub) stay as they are."""
    declared = document.get("Parameters") or {}
    unknown = set(parameters) - set(declared)
    assert not unknown, f"the template has no parameter {sorted(unknown)}"
    values = {name: str(spec.get("Default", "")) for name, spec in declared.items()} | parameters
    conditions: dict[str, bool] = {}

    def condition(name: str) -> bool:
        if name not in conditions:
            conditions[name] = bool(resolve(document["Conditions"][name]))
        return conditions[name]

    def resolve(node: Any) -> Any:
        if isinstance(node, list):
            return [item for item in map(resolve, node) if item is not _NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((function, argument),) = node.items()
            if function == "Ref" and argument == "AWS::NoValue":
                return _NO_VALUE
            if function == "Ref" and argument in values:
                return values[argument]
            if function == "Condition":
                return condition(argument)
            if function == "Fn::If":
                name, when_true, when_false = argument
                return resolve(when_true if condition(name) else when_false)
            if function == "Fn::Equals":
                left, right = (resolve(item) for item in argument)
                return str(left) == str(right)
            if function == "Fn::Not":
                return not resolve(argument[0])
            if function == "Fn::And":
                return all(resolve(item) for item in argument)
            if function == "Fn::Or":
                return any(resolve(item) for item in argument)
        resolved = {key: resolve(value) for key, value in node.items()}
        return {key: value for key, value in resolved.items() if value is not _NO_VALUE}

    def created(section: str) -> dict[str, Any]:
        return {
            name: resolve(body)
            for name, body in (document.get(section) or {}).items()
            if "Condition" not in body or condition(body["Condition"])
        }

    failed_rules = [
        assertion.get("AssertDescription", rule)
        for rule, body in (document.get("Rules") or {}).items()
        if resolve(body.get("RuleCondition", True))
        for assertion in body["Assertions"]
        if not resolve(assertion["Assert"])
    ]
    return {"Resources": created("Resources"), "Outputs": created("Outputs"), "FailedRules": failed_rules}
