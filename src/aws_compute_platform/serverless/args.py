"""ServerlessApiArgs: what a stack file, or a team's own program, asks of the purchase-order API.

The same models read `aws-compute-platform:serverless` and Python: `RouteFunctionArgs(timeout_s=45)` and
`functions: {getOrder: {timeout: 45}}` raise the same error, naming the key, what was wrong and what is allowed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import AfterValidator, Field, ModelWrapValidatorHandler, field_validator, model_validator
from pydantic.alias_generators import to_snake

from aws_compute_platform.args import ArgsModel, Flag, LogRetentionDays, validate_refusing
from aws_compute_platform.serverless.catalogue import (
    HANDLERS,
    INTEGRATION_TIMEOUT_MS,
    MAX_ROUTE_TIMEOUT_S,
    ROUTES,
    SCHEDULED,
)

_RATE = re.compile(r"rate\((?P<n>[1-9]\d*) (?P<unit>minute|minutes|hour|hours|day|days)\)")
_CRON = re.compile(r"cron\((?P<fields>[^()]+)\)")
_ORIGIN = re.compile(
    r"https?://[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*(:\d{1,5})?"
)


def schedule_problem(expression: str) -> str | None:
    """Why an EventBridge schedule expression is invalid, or None when it is valid."""
    rate = _RATE.fullmatch(expression)
    if rate:
        singular = rate["n"] == "1"
        if singular != (not rate["unit"].endswith("s")):
            return 'must use a singular unit for 1 and plural otherwise, e.g. "rate(1 day)", "rate(5 minutes)"'
        return None
    cron = _CRON.fullmatch(expression)
    if cron:
        fields = cron["fields"].split()
        if len(fields) != 6:
            return "must have 6 cron fields: minutes hours day-of-month month day-of-week year"
        if "?" not in (fields[2], fields[4]):
            return "must put ? in day-of-month or day-of-week, e.g. cron(0 8 ? * MON-FRI *)"
        return None
    return 'must be "rate(<n> <minute(s)|hour(s)|day(s)>)" or "cron(<6 fields>)"'


def _origin(value: str) -> str:
    if not _ORIGIN.fullmatch(value):
        raise ValueError("must be an origin URL: http(s)://host[:port], no path and no wildcard")
    return value


Origin = Annotated[str, AfterValidator(_origin)]
"""A browser origin, `https://host[:port]`: no path, no wildcard."""

_ONLY_ROUTES = f"is only for the API's functions ({', '.join(ROUTES)}); this one runs in the background"
_ONLY_SCHEDULED = f"is only for the scheduled functions ({', '.join(SCHEDULED)})"


class FunctionArgs(ArgsModel):
    """One function running in the background (onUpload): its memory, time limit and /tmp size."""

    misplaced: ClassVar[Mapping[str, str]] = {"provisionedConcurrency": _ONLY_ROUTES, "schedule": _ONLY_SCHEDULED}
    """Settings of other kinds of function, refused here with the reason (rather than as merely unknown)."""

    memory_mb: int = Field(256, ge=128, le=10240)
    """Memory in MB (CPU grows with it)."""
    timeout_s: int = Field(60, ge=1, le=900, alias="timeout")
    """Seconds the function may run."""
    ephemeral_storage_mb: int = Field(512, ge=512, le=10240)
    """Size of /tmp in MB."""

    @model_validator(mode="wrap")
    @classmethod
    def _refuse_misplaced(cls, raw: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        """A setting of another kind of function is refused with its reason, alongside every other problem."""
        result: Self = validate_refusing(cls, raw, handler, cls.misplaced, "misplaced_setting")
        return result


class RouteFunctionArgs(FunctionArgs):
    """One function behind an API route: it must answer before API Gateway gives up, and can be kept warm."""

    misplaced: ClassVar[Mapping[str, str]] = {"schedule": _ONLY_SCHEDULED}

    timeout_s: int = Field(10, ge=1, le=MAX_ROUTE_TIMEOUT_S, alias="timeout")
    """Seconds the function may run; less than the API's 30-second integration limit."""
    provisioned_concurrency: int = Field(0, ge=0, le=1000)
    """Pre-initialised instances, through a published version and the alias `live` (0: none)."""

    @field_validator("timeout_s", mode="before")
    @classmethod
    def _answers_before_the_api_gives_up(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool) and value > MAX_ROUTE_TIMEOUT_S:
            raise ValueError(
                f"must be at most {MAX_ROUTE_TIMEOUT_S} seconds: the function answers an API route, and API Gateway "
                f"gives up on an HTTP API integration after {INTEGRATION_TIMEOUT_MS // 1000} seconds"
            )
        return value


class ScheduledFunctionArgs(FunctionArgs):
    """One function started by an EventBridge schedule."""

    misplaced: ClassVar[Mapping[str, str]] = {"provisionedConcurrency": _ONLY_ROUTES}

    schedule: str
    """EventBridge expression: `rate(<n> <minute(s)|hour(s)|day(s)>)` or `cron(<6 fields>)`."""

    @field_validator("schedule")
    @classmethod
    def _valid_expression(cls, value: str) -> str:
        problem = schedule_problem(value)
        if problem:
            raise ValueError(problem)
        return value


class ProcessOrdersArgs(ScheduledFunctionArgs):
    """processOrders: writes approved orders' documents, on a schedule."""

    schedule: str = SCHEDULED["processOrders"]
    """EventBridge expression: `rate(<n> <minute(s)|hour(s)|day(s)>)` or `cron(<6 fields>)`."""


class RemindPendingArgs(ScheduledFunctionArgs):
    """remindPending: flags orders left pending too long, on a schedule."""

    schedule: str = SCHEDULED["remindPending"]
    """EventBridge expression: `rate(<n> <minute(s)|hour(s)|day(s)>)` or `cron(<6 fields>)`."""


class FunctionsArgs(ArgsModel):
    """Each of the API's functions, by name; any may be left out (its defaults apply)."""

    list_orders: RouteFunctionArgs = Field(default_factory=RouteFunctionArgs)
    """GET /orders."""
    get_order: RouteFunctionArgs = Field(default_factory=RouteFunctionArgs)
    """GET /orders/{id}."""
    create_order: RouteFunctionArgs = Field(default_factory=RouteFunctionArgs)
    """POST /orders."""
    approve_order: RouteFunctionArgs = Field(default_factory=RouteFunctionArgs)
    """POST /orders/{id}/approve."""
    process_orders: ProcessOrdersArgs = Field(default_factory=ProcessOrdersArgs)
    """Scheduled: writes the documents of approved orders (default every 15 minutes)."""
    on_upload: FunctionArgs = Field(default_factory=FunctionArgs)
    """Started by a CSV file landing in the uploads bucket: imports its orders."""
    remind_pending: RemindPendingArgs = Field(default_factory=RemindPendingArgs)
    """Scheduled: flags orders pending longer than remindAfterDays (default daily)."""

    def __getitem__(self, fn_name: str) -> FunctionArgs:
        """One function's settings by its name in the stack file (`listOrders`)."""
        if fn_name not in HANDLERS:
            raise KeyError(f"{fn_name!r} is not a function of the API (known: {', '.join(HANDLERS)})")
        args: FunctionArgs = getattr(self, to_snake(fn_name))
        return args

    def schedules(self) -> dict[str, str]:
        """Each scheduled function's EventBridge expression, by name."""
        return {
            fn_name: args.schedule for fn_name in HANDLERS if isinstance(args := self[fn_name], ScheduledFunctionArgs)
        }


class ThrottleArgs(ArgsModel):
    """The stage's request limits; beyond them API Gateway answers 429."""

    burst_limit: int = Field(100, ge=1, le=5000)
    """Requests the stage accepts in a burst."""
    rate_limit: int = Field(50, ge=1, le=10000)
    """Steady requests per second."""


class CorsArgs(ArgsModel):
    """Which browser origins may call the API (none: no CORS at all)."""

    allow_origins: tuple[Origin, ...] = ()
    """Origins as `https://host[:port]`: no path, no `*`."""


class ServerlessApiArgs(ArgsModel):
    """The purchase-order API: an HTTP API with one Lambda per route, a DynamoDB table, buckets and schedules."""

    config_key = "aws-compute-platform:serverless"

    enabled: Flag = False
    """Build the purchase-order API."""
    authorization: Literal["iam", "none"] = "iam"
    """`iam`: every route needs SigV4-signed requests that IAM allows; `none`: open routes (throwaway stacks only)."""
    functions: FunctionsArgs = Field(default_factory=FunctionsArgs)
    """Memory, time limit, /tmp size, warm instances and schedule of each function."""
    throttle: ThrottleArgs = Field(default_factory=ThrottleArgs)
    """The stage's request limits."""
    cors: CorsArgs = Field(default_factory=CorsArgs)
    """Browser origins allowed to call the API."""
    remind_after_days: int = Field(3, ge=1, le=365)
    """remindPending flags orders pending for longer than this."""
    point_in_time_recovery: Flag = False
    """Continuous backups of the orders table (35 days of restore points)."""
    protect: Flag = False
    """Protect the table and buckets (Pulumi protect, deletion protection). Defaults to the stack's protectData."""
    log_retention_days: LogRetentionDays = 30
    """Days the functions' and the API's logs are kept (a period CloudWatch Logs accepts). Defaults to the stack's
    logRetentionDays."""


__all__ = [
    "CorsArgs",
    "FunctionArgs",
    "FunctionsArgs",
    "ProcessOrdersArgs",
    "RemindPendingArgs",
    "RouteFunctionArgs",
    "ScheduledFunctionArgs",
    "ServerlessApiArgs",
    "ThrottleArgs",
    "schedule_problem",
]
