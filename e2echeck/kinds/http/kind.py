"""The HTTP kind: a single request or a scenario of requests, over a shared pool."""

from __future__ import annotations

from collections.abc import AsyncIterator, Coroutine, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from e2echeck.config.http import HttpRequest
from e2echeck.kinds.base import Attempt, Kind, RunContext
from e2echeck.kinds.http.plan import HttpPlan, plan_check, run_attempt
from e2echeck.kinds.http.request import HttpPool

if TYPE_CHECKING:
    from e2echeck.config.models import Check, CheckSettings
    from e2echeck.redaction.names import NameRule


class HttpRunner:
    """A run's HTTP connections, running attempts of HTTP plans."""

    __slots__ = ("origins", "pool")

    def __init__(self, pool: HttpPool, origins: Mapping[str, str]) -> None:
        self.pool, self.origins = pool, origins

    def attempt(self, plan: HttpPlan) -> Coroutine[Any, Any, Attempt]:
        # The attempt's own coroutine, not one more wrapped around it.
        return run_attempt(plan, self.pool, origins=self.origins)


class HttpKind:
    """http:// and https:// checks (see e2echeck.kinds.base.Kind)."""

    name = "http"
    schemes = ("http", "https")
    config_model = HttpRequest

    def plan(self, check: Check, settings: CheckSettings, rule: NameRule) -> HttpPlan:
        return plan_check(check, settings, rule)

    @asynccontextmanager
    async def open(self, context: RunContext) -> AsyncIterator[HttpRunner]:
        pool = HttpPool(
            context.concurrency, ssl_context=context.ssl_context, body_limit=context.body_limit
        )
        async with pool:
            yield HttpRunner(pool, context.origins)


KIND: Kind[HttpPlan] = HttpKind()  # typed: mypy checks that it meets the Protocol
