"""RebuildStateMachine and RebuildFunction as CloudFormation receives them after the SAM transform:
what starts a rebuild, what each role may do, and how the execution retries, gives up and is seen.
(tests/integration/test_rebuild_state_machine.py runs the same definition.)"""

from __future__ import annotations

import json
from typing import Any

import pytest
from handlers.rebuild import STEPS

from feedpub.publish.rebuild import LEASE_S, SHARDS
from tests.integration.template_helpers import as_list, deployed, template, transformed_template

LAMBDA_SERVICE_ERRORS = {
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
}


@pytest.fixture(scope="module")
def stack() -> dict[str, Any]:
    return deployed(transformed_template())["Resources"]


@pytest.fixture(scope="module")
def definition(stack: dict[str, Any]) -> dict[str, Any]:
    body = stack["RebuildStateMachine"]["Properties"]["DefinitionString"]
    if isinstance(body, dict):
        separator, lines = body["Fn::Join"]
        body = separator.join(lines)
    parsed: dict[str, Any] = json.loads(body)
    return parsed


def statements(role: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        statement
        for policy in role["Properties"].get("Policies") or []
        for statement in as_list(policy["PolicyDocument"]["Statement"])
    ]


def tasks(states: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every Task state, those inside the Maps' processors included."""
    found = {}
    for name, state in states.items():
        if state["Type"] == "Task":
            found[name] = state
        if state["Type"] == "Map":
            found.update(tasks(state["ItemProcessor"]["States"]))
    return found


def test_rebuilds_are_started_on_the_state_machine_and_nothing_else_may_start_them(
    stack: dict[str, Any],
) -> None:
    machine = stack["RebuildStateMachine"]
    assert machine["Type"] == "AWS::StepFunctions::StateMachine"
    assert machine["Properties"]["StateMachineType"] == "STANDARD"  # durable, one history per rebuild
    # Given the functions that start rebuilds: a site.yaml change or a new stack (PublishFunction),
    # a rebuild still owed or many lost events (ReconcileFunction's hourly run)
    for function in ("PublishFunction", "ReconcileFunction"):
        variables = stack[function]["Properties"]["Environment"]["Variables"]
        # Then each is told which state machine, and may start that one only
        assert variables["REBUILD_STATE_MACHINE"] == {"Ref": "RebuildStateMachine"}
        starts = [s for s in statements(stack[f"{function}Role"]) if "states:" in json.dumps(s["Action"])]
        assert starts == [
            {"Effect": "Allow", "Action": "states:StartExecution", "Resource": {"Ref": "RebuildStateMachine"}}
        ]
        # And none may invoke another function any more
        assert "lambda:InvokeFunction" not in json.dumps(stack[f"{function}Role"])
    # And RebuildFunction runs only when the state machine invokes it: it has no event source
    assert not [
        name
        for name, resource in stack.items()
        if resource["Type"]
        in ("AWS::Lambda::EventSourceMapping", "AWS::Scheduler::Schedule", "AWS::Lambda::Permission")
        and "RebuildFunction" in json.dumps(resource)
    ]


def test_the_state_machine_may_invoke_rebuild_function_and_nothing_else(stack: dict[str, Any]) -> None:
    role = stack["RebuildStateMachineRole"]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": ["states.amazonaws.com"]
    }
    assert statements(stack["RebuildStateMachineRole"]) == [
        {
            "Effect": "Allow",
            "Action": "lambda:InvokeFunction",
            "Resource": {"Fn::GetAtt": ["RebuildFunction", "Arn"]},
        }
    ]
    # (X-Ray tracing of executions is AWS's write-only managed policy)
    assert role["ManagedPolicyArns"] == ["arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess"]
    assert stack["RebuildStateMachine"]["Properties"]["TracingConfiguration"] == {"Enabled": True}
    # And RebuildFunction has the publishers' own least privilege, nothing more
    rebuild_role = stack["RebuildFunctionRole"]["Properties"]
    assert {"Ref": "PublisherPolicy"} in rebuild_role["ManagedPolicyArns"]
    assert not rebuild_role.get("Policies")


def test_every_step_calls_rebuild_function_with_a_known_step_and_retries(definition: dict[str, Any]) -> None:
    states = definition["States"]
    steps_called = set()
    for name, task in tasks(states).items():
        # Then each task invokes RebuildFunction, synchronously (the result is the step's output)
        assert task["Resource"] == "arn:aws:states:::lambda:invoke", name
        assert task["Parameters"]["FunctionName"] == "${RebuildFunctionArn}", name
        payload = task["Parameters"].get("Payload") or {}
        # The Maps' tasks take their payload from the step before: the plan's parts, the merge's render parts
        steps_called.add(payload.get("step") or {"Part": "part", "RenderPart": "render"}[name])
        # And retries Lambda's own throttling and service errors, then anything else a few times
        retriers = task["Retry"]
        assert set(retriers[0]["ErrorEquals"]) == LAMBDA_SERVICE_ERRORS, name
        assert retriers[-1]["ErrorEquals"] == ["States.ALL"], name
        assert all(retrier["MaxAttempts"] >= 3 for retrier in retriers), name
    # And every step the handler knows is used, and no other
    assert steps_called == set(STEPS)


def test_the_map_runs_the_plans_parts_concurrently_each_retried_alone(
    stack: dict[str, Any], definition: dict[str, Any]
) -> None:
    states = definition["States"]
    assert states["Plan"]["ResultSelector"] == {
        "plan.$": "$.Payload.plan",
        "parts.$": "$.Payload.parts",
        "workers.$": "$.Payload.workers",
    }
    parts = states["Parts"]
    # Then the Map iterates over the parts the plan made, as many at once as RebuildWorkers says
    assert parts["Type"] == "Map"
    assert parts["ItemsPath"] == "$.parts"
    assert parts["MaxConcurrencyPath"] == "$.workers"
    assert parts["ItemProcessor"]["ProcessorConfig"]["Mode"] == "INLINE"
    (part,) = parts["ItemProcessor"]["States"].values()
    assert part["Parameters"]["Payload.$"] == "$"
    assert part["End"] is True  # the Retry is inside the iteration: a failed part is retried alone
    # And the workers the plan reports are the parameter's, within the inline Map's 40
    variables = stack["RebuildFunction"]["Properties"]["Environment"]["Variables"]
    parameter = template()["Parameters"]["RebuildWorkers"]
    assert variables["REBUILD_WORKERS"] == str(parameter["Default"])
    assert 1 <= parameter["MinValue"] <= parameter["Default"] <= parameter["MaxValue"] <= 40
    # And an inline Map's history stays within Step Functions' 25,000 events even if every part used
    # every retry: at most one part per record shard, each 4 events (iteration and task state
    # entered and left) and 3 per attempt (scheduled, started, succeeded or failed)
    attempts = 1 + sum(retrier["MaxAttempts"] for retrier in part["Retry"])
    assert SHARDS * (4 + 3 * attempts) < 25_000


def test_the_archive_documents_are_written_by_a_second_map_before_the_finish_step(
    definition: dict[str, Any],
) -> None:
    states = definition["States"]
    # Then the merge's render parts go to a Map that runs RebuildWorkers of them at once
    merge = states["Merge"]
    assert merge["ResultSelector"]["render.$"] == "$.Payload.render"
    assert merge["ResultPath"] == "$.merged"  # the plan and the workers stay in the state's input
    assert merge["Next"] == "Render"
    render = states["Render"]
    assert render["Type"] == "Map"
    assert render["ItemsPath"] == "$.merged.render"
    assert render["MaxConcurrencyPath"] == "$.merged.workers"
    assert render["ItemProcessor"]["ProcessorConfig"]["Mode"] == "INLINE"
    (part,) = render["ItemProcessor"]["States"].values()
    assert part["Parameters"]["Payload.$"] == "$"
    assert part["End"] is True  # retried inside the iteration: a failed render part is retried alone
    # And the finish step, which writes the feed documents linking to them, comes only after all of them
    assert render["Next"] == "Finish"
    finish = states["Finish"]
    assert finish["Parameters"]["Payload"] == {"step": "finish", "plan.$": "$$.Execution.Name"}
    assert finish["End"] is True


def test_a_feed_level_change_starts_an_execution_at_its_render_parts(definition: dict[str, Any]) -> None:
    states = definition["States"]
    # Then an execution whose input names a render plan goes to RenderParts, any other to Plan
    assert definition["StartAt"] == "WhatToDo"
    choice = states["WhatToDo"]
    assert choice["Choices"] == [{"Variable": "$.render", "IsPresent": True, "Next": "RenderParts"}]
    assert choice["Default"] == "Plan"
    # And RenderParts hands the Render Map its parts and workers, as the merge does
    render_parts = states["RenderParts"]
    assert render_parts["Parameters"]["Payload"] == {"step": "render_parts", "plan.$": "$$.Execution.Name"}
    selected = render_parts["ResultSelector"]
    assert selected == {"render.$": "$.Payload.render", "workers.$": "$.Payload.workers"}
    assert render_parts["ResultPath"] == "$.merged"
    assert render_parts["Next"] == "Render"


def test_a_failed_step_gives_the_lease_up_and_fails_the_execution_within_the_lease(
    definition: dict[str, Any],
) -> None:
    states = definition["States"]
    # Then whatever fails for good after the plan has run leads to Abandon, then to a failed execution
    for name in ("Plan", "Parts", "Merge", "RenderParts", "Render", "Finish"):
        (catch,) = states[name]["Catch"]
        assert catch["ErrorEquals"] == ["States.ALL"]
        assert catch["Next"] == "Abandon"
    assert states["Abandon"]["Parameters"]["Payload"]["plan.$"] == "$$.Execution.Name"
    assert states["Abandon"]["Next"] == "Failed"
    assert states["Failed"]["Type"] == "Fail"
    # And a plan with nothing to do (already rebuilt, or rebuilt by another execution) succeeds at once
    choice = states["AnythingToDo"]
    assert choice["Choices"] == [{"Variable": "$.plan", "IsNull": True, "Next": "NothingToDo"}]
    assert states["NothingToDo"]["Type"] == "Succeed"
    # And the plan is named after its execution, which the engine's lease outlives by nothing
    assert states["Plan"]["Parameters"]["Payload"]["plan.$"] == "$$.Execution.Name"
    assert definition["TimeoutSeconds"] == LEASE_S


def test_a_failed_or_timed_out_rebuild_raises_the_alarm(stack: dict[str, Any]) -> None:
    alarm = stack["RebuildFailedAlarm"]["Properties"]
    inputs = {m["Id"]: m["MetricStat"]["Metric"] for m in alarm["Metrics"] if "MetricStat" in m}
    assert {metric["MetricName"] for metric in inputs.values()} == {"ExecutionsFailed", "ExecutionsTimedOut"}
    for metric in inputs.values():
        assert metric["Namespace"] == "AWS/States"
        assert metric["Dimensions"] == [{"Name": "StateMachineArn", "Value": {"Ref": "RebuildStateMachine"}}]
    (total,) = [m for m in alarm["Metrics"] if m.get("ReturnData")]
    assert set(total["Expression"].replace(" ", "").split("+")) == set(inputs)
    assert alarm["Threshold"] == 0
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
    assert alarm["AlarmActions"] == alarm["OKActions"] == [{"Ref": "AlarmTopic"}]
