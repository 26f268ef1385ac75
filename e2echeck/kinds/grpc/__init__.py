"""The grpc:// and grpcs:// kinds: the standard gRPC health checking protocol
(`kind.py`, with grpcio from the `grpc` extra), its two messages by hand
(`wire.py`), and what a result carries (`details.py`). `KIND` is what the
registry loads."""

from e2echeck.kinds.grpc.details import GrpcDetails
from e2echeck.kinds.grpc.kind import KIND, GrpcKind, GrpcPlan, GrpcRunner

__all__ = ["KIND", "GrpcDetails", "GrpcKind", "GrpcPlan", "GrpcRunner"]
