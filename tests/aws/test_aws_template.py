"""deploy/template.yaml watches the checker: cfn-lint clean with and without the
optional parameters, every alarm to the topic, the routing key readable from
exactly one SSM parameter or secret, and a dashboard of the EMF metrics."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from tests.support.deploy import TEMPLATE, load_template, tool

REQUIRED = ["CodeBucket=code-bucket", "CodeKey=e2echeck/build-1.zip"]
SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:pd-routing-key-AbCdEf"


def _cfn_lint(*parameters: str) -> subprocess.CompletedProcess[str]:
    command = [tool("cfn-lint", "cfn-lint"), str(TEMPLATE)]
    if parameters:
        command += ["--parameters", *REQUIRED, *parameters]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.parametrize(
    "parameters",
    [
        (),  # the template alone
        ("RoutingKey=R0UT1NGKEY0123456789abcdefABCDEF",),  # no optional parameter
        (
            "RoutingKeyParameter=/e2echeck/routing-key",
            "AlarmEmail=ops@example.com",
            "AlarmEndpoint=https://events.pagerduty.com/integration/0123/enqueue",
            "ScheduleMinutes=10",
            "ReserveConcurrency=false",
        ),
        (f"RoutingKeyParameter={SECRET_ARN}", "AlarmEmail=ops@example.com"),
        (  # one of several regions sharing a state bucket in another region
            "RoutingKey=R0UT1NGKEY0123456789abcdefABCDEF",
            "StateBucket=ops-state",
            "StateBucketRegion=eu-west-1",
            "Location=ap-southeast-2",
        ),
    ],
    ids=["template", "without-optional", "ssm-and-subscriptions", "secretsmanager", "locations"],
)
def test_cfn_lint_passes(parameters: tuple[str, ...]) -> None:
    completed = _cfn_lint(*parameters)
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_every_alarm_targets_the_topic() -> None:
    resources = load_template()["Resources"]
    alarms = {k: v for k, v in resources.items() if v["Type"] == "AWS::CloudWatch::Alarm"}
    assert set(alarms) == {
        "ErrorsAlarm",
        "ThrottlesAlarm",
        "NoInvocationsAlarm",
        "DurationAlarm",
        "UnknownChecksAlarm",
    }
    for name, alarm in alarms.items():
        properties = alarm["Properties"]
        assert properties["AlarmActions"] == [{"Ref": "AlarmTopic"}], name
        assert properties["OKActions"] == [{"Ref": "AlarmTopic"}], name
    assert resources["AlarmTopic"]["Type"] == "AWS::SNS::Topic"
    # Encrypted with a key whose policy lets CloudWatch publish (the AWS managed
    # key's policy does not, and alarms would be dropped).
    assert resources["AlarmTopic"]["Properties"]["KmsMasterKeyId"] == {"Ref": "AlarmTopicKey"}
    key = resources["AlarmTopicKey"]["Properties"]
    assert key["EnableKeyRotation"] is True
    cloudwatch = [
        s
        for s in key["KeyPolicy"]["Statement"]
        if s["Principal"].get("Service") == "cloudwatch.amazonaws.com"
    ]
    assert cloudwatch and {"kms:Decrypt", "kms:GenerateDataKey*"} <= set(cloudwatch[0]["Action"])
    outputs = load_template()["Outputs"]
    assert outputs["AlarmTopicArn"]["Value"] == {"Ref": "AlarmTopic"}


def test_alarms_say_what_the_checker_needs() -> None:
    template = load_template()
    resources = template["Resources"]
    function = {"Name": "FunctionName", "Value": {"Ref": "Function"}}
    period = {"Fn::FindInMap": ["SchedulePeriods", {"Ref": "ScheduleMinutes"}, "Seconds"]}

    errors = resources["ErrorsAlarm"]["Properties"]
    assert (errors["MetricName"], errors["Dimensions"]) == ("Errors", [function])
    assert (errors["EvaluationPeriods"], errors["DatapointsToAlarm"]) == (2, 2)
    assert errors["Period"] == period and errors["Threshold"] == 1

    throttles = resources["ThrottlesAlarm"]["Properties"]
    assert throttles["MetricName"] == "Throttles" and throttles["Threshold"] == 1
    assert throttles["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"

    silent = resources["NoInvocationsAlarm"]["Properties"]
    assert silent["MetricName"] == "Invocations" and silent["Period"] == period
    assert (silent["EvaluationPeriods"], silent["DatapointsToAlarm"]) == (3, 3)
    assert silent["TreatMissingData"] == "breaching"
    assert silent["ComparisonOperator"] == "LessThanThreshold" and silent["Threshold"] == 1

    duration = resources["DurationAlarm"]["Properties"]
    stat, expression = duration["Metrics"]
    assert stat["MetricStat"]["Metric"]["MetricName"] == "Duration"
    assert stat["MetricStat"]["Metric"]["Dimensions"] == [function]
    # Duration (ms) / (Timeout (s) * 10) is the percentage of the timeout.
    assert expression["Expression"] == {"Fn::Sub": "duration / (${Timeout} * 10)"}
    assert duration["Threshold"] == 80
    assert duration["ComparisonOperator"] == "GreaterThanThreshold"

    # Every ScheduleMinutes has its period, in seconds.
    allowed = template["Parameters"]["ScheduleMinutes"]["AllowedValues"]
    periods = template["Mappings"]["SchedulePeriods"]
    assert {m: periods[m]["Seconds"] for m in allowed} == {m: int(m) * 60 for m in allowed}


def test_subscriptions_are_optional() -> None:
    template = load_template()
    resources = template["Resources"]
    email = resources["AlarmEmailSubscription"]
    endpoint = resources["AlarmEndpointSubscription"]
    assert (email["Condition"], email["Properties"]["Protocol"]) == ("HasAlarmEmail", "email")
    assert (endpoint["Condition"], endpoint["Properties"]["Protocol"]) == (
        "HasAlarmEndpoint",
        "https",
    )
    for subscription in (email, endpoint):
        assert subscription["Properties"]["TopicArn"] == {"Ref": "AlarmTopic"}
    pattern = re.compile(template["Parameters"]["AlarmEndpoint"]["AllowedPattern"])
    assert pattern.match("") and pattern.match("https://events.pagerduty.com/x/enqueue")
    assert not pattern.match("http://example.com/") and not pattern.match("mailto:x")


def test_routing_key_parameter_grants_exactly_that_resource() -> None:
    template = load_template()
    parameters = template["Parameters"]
    pattern = re.compile(parameters["RoutingKeyParameter"]["AllowedPattern"])
    for good in ("", "/e2echeck/routing-key", SECRET_ARN):
        assert pattern.match(good), good
    for bad in ("e2echeck/no-leading-slash", "arn:aws:ssm:eu-west-1:1:parameter/x", "/a b"):
        assert not pattern.match(bad), bad
    assert parameters["RoutingKey"]["Default"] == "" and parameters["RoutingKey"]["NoEcho"]
    assert "RoutingKeyGiven" in template["Rules"]

    resources = template["Resources"]
    (policy,) = [
        p["Fn::If"][1]
        for p in resources["Role"]["Properties"]["Policies"]
        if "Fn::If" in p and p["Fn::If"][0] == "HasRoutingKeyParameter"
    ]
    read, decrypt = policy["PolicyDocument"]["Statement"]
    condition, secret, parameter = read["Fn::If"]
    assert condition == "RoutingKeyIsSecret"
    assert secret == {
        "Effect": "Allow",
        "Action": "secretsmanager:GetSecretValue",
        "Resource": {"Ref": "RoutingKeyParameter"},
    }
    assert parameter["Action"] == "ssm:GetParameter"
    assert parameter["Resource"] == {
        "Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}"
        ":parameter${RoutingKeyParameter}"
    }
    assert decrypt["Action"] == "kms:Decrypt"
    assert "kms:ViaService" in decrypt["Condition"]["StringEquals"]

    # The function's environment: a reference the handler resolves, never the key.
    env = resources["Function"]["Properties"]["Environment"]["Variables"]
    condition, reference, plain = env["PAGERDUTY_ROUTING_KEY"]["Fn::If"]
    assert (condition, plain) == ("HasRoutingKeyParameter", {"Ref": "RoutingKey"})
    _, as_secret, as_parameter = reference["Fn::If"]
    assert as_secret == {
        "Fn::Join": ["", ["${secretsmanager:", {"Ref": "RoutingKeyParameter"}, "}"]]
    }
    assert as_parameter == {"Fn::Join": ["", ["${ssm:", {"Ref": "RoutingKeyParameter"}, "}"]]}


def test_dashboard_plots_the_emf_metrics_of_this_stack() -> None:
    body = load_template()["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    text, variables = body
    assert set(variables) == {"Period"}
    values = {
        "AWS::Region": "eu-west-1",
        "AWS::StackName": "e2e-staging",
        "MetricsNamespace": "e2echeck",
        "Function": "e2echeck",
        "Period": "300",
    }
    rendered = re.sub(r"\$\{([^}]+)\}", lambda m: values[m.group(1)], text)
    dashboard = json.loads(rendered)
    widgets = {w["properties"]["title"]: w["properties"] for w in dashboard["widgets"]}
    expressions = [
        m["expression"]
        for w in widgets.values()
        for row in w["metrics"]
        for m in row
        if isinstance(m, dict) and "expression" in m
    ]
    search = '{"e2echeck",Stack,check} Stack="e2e-staging" MetricName='
    assert f"SEARCH('{search}\"Success\"', 'Average', 300)" in expressions
    assert f"SEARCH('{search}\"Latency\"', 'p50', 300)" in expressions
    assert f"SEARCH('{search}\"Latency\"', 'p99', 300)" in expressions
    runs = widgets["Failed, unknown and in-maintenance checks per run"]["metrics"]
    assert runs == [
        ["e2echeck", "Failed", "Stack", "e2e-staging"],
        ["e2echeck", "Unknown", "Stack", "e2e-staging"],
        ["e2echeck", "Maintenance", "Stack", "e2e-staging"],
    ]


def test_metrics_namespace_and_stack_come_from_the_stack() -> None:
    """The function's EMF namespace is a parameter and its Stack dimension the
    stack's name; the alarm on the checks' metrics filters by both."""
    template = load_template()
    parameter = template["Parameters"]["MetricsNamespace"]
    assert parameter["Default"] == "e2echeck"
    pattern = re.compile(parameter["AllowedPattern"].replace("\\w", "A-Za-z0-9_"))
    assert pattern.fullmatch("e2echeck") and pattern.fullmatch("Team/e2e-checks")
    assert not pattern.fullmatch("") and not pattern.fullmatch("bad$name")
    resources = template["Resources"]
    variables = resources["Function"]["Properties"]["Environment"]["Variables"]
    assert variables["E2ECHECK_METRICS_NAMESPACE"] == {"Ref": "MetricsNamespace"}
    assert variables["E2ECHECK_STACK"] == {"Ref": "AWS::StackName"}
    unknown = resources["UnknownChecksAlarm"]["Properties"]
    assert unknown["Namespace"] == {"Ref": "MetricsNamespace"}
    assert unknown["Dimensions"] == [{"Name": "Stack", "Value": {"Ref": "AWS::StackName"}}]
    assert unknown["MetricName"] == "Unknown"


def test_a_shared_state_bucket_in_another_region() -> None:
    """Several regions, one bucket: the bucket's region and the location reach the
    function's environment only when set; the state statements name no region."""
    template = load_template()
    variables = template["Resources"]["Function"]["Properties"]["Environment"]["Variables"]
    assert variables["E2ECHECK_STATE_REGION"] == {
        "Fn::If": ["HasStateBucketRegion", {"Ref": "StateBucketRegion"}, {"Ref": "AWS::NoValue"}]
    }
    assert variables["E2ECHECK_LOCATION"] == {
        "Fn::If": ["HasLocation", {"Ref": "Location"}, {"Ref": "AWS::NoValue"}]
    }
    policies = template["Resources"]["Role"]["Properties"]["Policies"]
    state = next(p for p in policies if p.get("Fn::If", [""])[0] == "HasStateObject")["Fn::If"][1]
    statement = state["PolicyDocument"]["Statement"][0]
    assert statement["Action"] == ["s3:GetObject", "s3:PutObject"]
    assert "${AWS::Region}" not in json.dumps(state)
