"""The moto fixture itself: S3, SSM and Secrets Manager on 127.0.0.1, reached by
boto3 from the environment alone (as e2echeck's own clients are), and a reset
that empties them between tests."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from tests.support.aws import MotoServer


def test_env_alone_reaches_s3_ssm_and_secrets_manager(
    aws_env: dict[str, str], moto_server: MotoServer
) -> None:
    import boto3  # type: ignore[import-untyped]

    assert urlsplit(aws_env["AWS_ENDPOINT_URL"]).hostname == "127.0.0.1"
    s3: Any = boto3.client("s3")  # no endpoint or credentials given: AWS_* from aws_env
    s3.create_bucket(Bucket="probe")
    s3.put_object(Bucket="probe", Key="k", Body=b"v")
    assert moto_server.client("s3").get_object(Bucket="probe", Key="k")["Body"].read() == b"v"

    ssm: Any = boto3.client("ssm")
    ssm.put_parameter(Name="/e2e/key", Value="p", Type="SecureString")
    assert ssm.get_parameter(Name="/e2e/key", WithDecryption=True)["Parameter"]["Value"] == "p"

    secrets: Any = boto3.client("secretsmanager")
    secrets.create_secret(Name="e2e/routing-key", SecretString="s")
    assert secrets.get_secret_value(SecretId="e2e/routing-key")["SecretString"] == "s"


def test_reset_forgets_everything(aws_env: dict[str, str], moto_server: MotoServer) -> None:
    s3: Any = moto_server.client("s3")
    s3.create_bucket(Bucket="left-over")
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["left-over"]
    moto_server.reset()
    assert s3.list_buckets()["Buckets"] == []
