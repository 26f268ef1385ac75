"""The HTTP kind: requests (`request.py`), their responses and assertions
(`exchange.py`, `assertions.py`, `tls.py`), scenario plans and captures
(`plan.py`), and what a result carries (`details.py`). `KIND` is what the
registry loads."""

from e2echeck.kinds.http.details import HttpDetails
from e2echeck.kinds.http.kind import KIND, HttpKind, HttpRunner
from e2echeck.kinds.http.plan import HttpPlan, plan_check, run_attempt

__all__ = ["KIND", "HttpDetails", "HttpKind", "HttpPlan", "HttpRunner", "plan_check", "run_attempt"]
