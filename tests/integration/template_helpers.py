"""Running the IaC tools (sam, cfn-lint, checkov) from their own venv, and reading template.yaml."""

from __future__ import annotations

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
