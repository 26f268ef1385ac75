"""The grpc:// kind's part of checks.yaml: the service whose health is asked
(`grpc: {service}`), and the statuses of the standard gRPC health checking
protocol that `expect.status` may name."""

from __future__ import annotations

from pydantic import Field

from e2echeck.config._base import ConfigModel
from e2echeck.config.types import GRPC_HEALTH_STATUSES as GRPC_HEALTH_STATUSES

GRPC_EXTRA = "grpc"  # e2echeck's grpc extra (grpcio)


class GrpcQuery(ConfigModel):
    """Which service's health a grpc:// check asks for."""

    service: str = Field(
        default="",
        max_length=1000,
        description='The service name (e.g. orders.v1.Orders); "" (default) asks for the '
        "server's overall health.",
    )


class GrpcFields(ConfigModel):
    """The grpc:// kind's own field of a check."""

    grpc: GrpcQuery | None = Field(
        default=None, description="grpc:// and grpcs:// only: {service}. Default: the server."
    )
