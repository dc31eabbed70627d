"""The base of every component's Args: a typed model, validated when it is built, spelt in camelCase in stack files.

The same model reads a stack file's section and a team's own Python: `WordPressArgs(min_size=5, max_size=2)` and
`aws-compute-platform:wordpress: {minSize: 5, maxSize: 2}` raise the same `SettingsError`, naming the same key
(`aws-compute-platform:wordpress.maxSize`), what was wrong and what is allowed, every problem at once.

pydantic v2 does the reading (types, bounds, unknown keys, nested objects and lists, JSON Schema); this module
only turns its errors into the project's phrasing: the full config key, in the stack file's spelling.
"""

from __future__ import annotations

import ipaddress
import types
import typing
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal, Self, Union

import annotated_types
from pydantic import AfterValidator, BaseModel, ConfigDict, ModelWrapValidatorHandler, StrictBool, ValidationError
from pydantic._internal._model_construction import ModelMetaclass
from pydantic.alias_generators import to_camel, to_snake
from pydantic.fields import FieldInfo
from pydantic_core import InitErrorDetails, PydanticCustomError

from aws_compute_platform.config import ConfigError, SettingsError

PROJECT = "aws-compute-platform"

Flag = StrictBool
"""A true/false setting. Strict: `"yes"` or `1` is refused, not read as true."""

# CloudWatch Logs accepts only these retention periods (PutRetentionPolicy); anything else fails at deploy time.
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip
LogRetentionDays = Literal[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
]  # fmt: skip
"""Days a log group keeps its events: one of the periods CloudWatch Logs accepts."""


class _ArgsModelType(ModelMetaclass):
    """Builds Args models; `SomeArgs(...)` with bad values raises `SettingsError` instead of pydantic's error.

    Done at the call rather than in `__init__`: pydantic calls an overridden `__init__` while validating nested
    models, where the error must stay a pydantic error so its location reaches the outermost model.
    """

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 (a metaclass method: its instance is a class)
        try:
            return super().__call__(*args, **kwargs)
        except ValidationError as exc:
            raise settings_error(exc, cls, _prefix(cls)) from None  # type: ignore[arg-type]


class ArgsModel(BaseModel, metaclass=_ArgsModelType):
    """Typed, frozen, camelCase-aliased, unknown keys refused; bad values raise `SettingsError`."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        validate_default=False,
        use_attribute_docstrings=True,
    )

    config_key: ClassVar[str | None] = None
    """Where the stack file keeps this model (`aws-compute-platform:wordpress`); errors are named from it."""

    @classmethod
    def from_config(cls, raw: Any, key: str | None = None) -> Self:
        """Read one stack-file section (`{"minSize": 2, ...}`); `key` names it in errors."""
        try:
            return cls.model_validate({} if raw is None else raw)
        except ValidationError as exc:
            raise settings_error(exc, cls, key or _prefix(cls)) from None


def cidr_refusing_the_internet(refusal: str) -> AfterValidator:
    """A validator for a CIDR block that must name networks: malformed or host bits set is refused, and so is a
    prefix of length 0 (0.0.0.0/0, ::/0), with `refusal` saying what to name instead."""

    def check(value: str) -> str:
        try:
            network = ipaddress.ip_network(value, strict=True)
        except ValueError as exc:
            raise ValueError(f"is not a valid CIDR block ({exc})") from None
        if network.prefixlen == 0:
            raise ValueError(refusal)
        return str(network)

    return AfterValidator(check)


def validate_refusing(
    model: type[BaseModel],
    raw: Any,
    handler: ModelWrapValidatorHandler[Any],
    refused: Mapping[str, str],
    error_type: str,
) -> Any:
    """Validate `raw` (in a wrap validator) with the keys of `refused` taken out, each reported with its reason
    under its camelCase name, alongside every other problem of the model: a retired or misplaced setting says why
    it is refused rather than being merely unknown."""
    if not isinstance(raw, Mapping):
        return handler(raw)
    rest = dict(raw)
    wrong: list[InitErrorDetails] = []
    for key, problem in refused.items():
        for spelling in (key, to_snake(key)):
            if spelling in rest:
                wrong.append(
                    InitErrorDetails(
                        type=PydanticCustomError(error_type, problem), loc=(key,), input=rest.pop(spelling)
                    )
                )
    if not wrong:
        return handler(raw)
    try:
        handler(rest)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            detail = InitErrorDetails(type=error["type"], loc=error["loc"], input=error["input"])
            if "ctx" in error:
                detail["ctx"] = error["ctx"]
            wrong.append(detail)
    raise ValidationError.from_exception_data(model.__name__, wrong)


def _prefix(model: type[BaseModel]) -> str:
    key = getattr(model, "config_key", None)
    return str(key) if key else model.__name__


# -- errors in the stack file's words ----------------------------------------------------------------------------

_MISSING = object()


def settings_error(exc: ValidationError, model: type[BaseModel], prefix: str) -> SettingsError:
    return SettingsError(problems(exc, model, prefix))


def problems(exc: ValidationError, model: type[BaseModel], prefix: str) -> list[ConfigError]:
    """Each pydantic error as a `ConfigError` named by its full key (`prefix.database.instanceClass`)."""
    found: list[ConfigError] = []
    for error in exc.errors(include_url=False):
        key, known, field = _key(model, error["loc"], prefix)
        problem = _phrase(error, known, field)
        value = error.get("input", _MISSING)
        if error["type"] in ("missing", "extra_forbidden") or isinstance(value, Mapping):
            found.append(ConfigError(key, problem))
        else:
            found.append(ConfigError(key, problem, value))
    return found


def join_key(prefix: str, part: str | int) -> str:
    if isinstance(part, int):
        return f"{prefix}[{part}]"
    if not prefix or prefix.endswith(":"):
        return f"{prefix}{part}"
    return f"{prefix}.{part}"


def _key(model: type[BaseModel], loc: tuple[str | int, ...], prefix: str) -> tuple[str, list[str], FieldInfo | None]:
    """The stack-file key of an error location, the keys allowed beside its last part, and the field it names."""
    key = prefix
    current: Any = model
    known: list[str] = []
    info: FieldInfo | None = None
    for part in loc:
        models = _models_in(current)
        if isinstance(part, int):
            key = join_key(key, part)
            current = _item_type(current)
            continue
        field = _find_field(models, part)
        info = None
        if field is not None:
            owner, name = field
            known = aliases(owner)
            info = owner.model_fields[name]
            key = join_key(key, info.alias or name)
            current = info.annotation
        elif _is_mapping(current):
            key = join_key(key, part)
            current = _value_type(current)
        elif models and part in {m.__name__ for m in models}:
            continue  # a union member's tag in the location, not a key
        elif models:
            known = sorted({a for m in models for a in aliases(m)})
            key = join_key(key, part)
            current = None
        elif "[" in part or part.startswith(("function-", "lax-", "strict-", "json-", "tagged-union")):
            continue  # a validator's or union member's tag in the location, not a key
        else:
            key = join_key(key, part)
    return key, known, info


def aliases(model: type[BaseModel]) -> list[str]:
    """Every key a model accepts, as a stack file spells them."""
    return [info.alias or name for name, info in model.model_fields.items()]


def _find_field(models: list[type[BaseModel]], part: str) -> tuple[type[BaseModel], str] | None:
    for m in models:
        for name, info in m.model_fields.items():
            if part in (name, info.alias):
                return m, name
    return None


def _unwrap(tp: Any) -> list[Any]:
    """The concrete types behind Optional, Union and Annotated."""
    origin = typing.get_origin(tp)
    if origin is Annotated:
        return _unwrap(typing.get_args(tp)[0])
    if origin in (Union, types.UnionType):
        return [t for arg in typing.get_args(tp) for t in _unwrap(arg)]
    return [tp]


def _models_in(tp: Any) -> list[type[BaseModel]]:
    return [t for t in _unwrap(tp) if isinstance(t, type) and issubclass(t, BaseModel)]


def _is_mapping(tp: Any) -> bool:
    return any(typing.get_origin(t) in (dict, Mapping) for t in _unwrap(tp))


def _value_type(tp: Any) -> Any:
    for t in _unwrap(tp):
        if typing.get_origin(t) in (dict, Mapping):
            return typing.get_args(t)[1]
    return None


def _item_type(tp: Any) -> Any:
    for t in _unwrap(tp):
        if typing.get_origin(t) in (list, tuple, typing.Sequence, frozenset, set):
            args = typing.get_args(t)
            return args[0] if args else None
    return None


_PHRASES: dict[str, str] = {
    "missing": "is required",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "string_type": "must be a string",
    "list_type": "must be a list",
    "tuple_type": "must be a list",
    "dict_type": "must be an object",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
}


def _bounds(field: FieldInfo | None) -> str | None:
    """`at least 1 and at most 6` for a field with both bounds: the whole allowed range in one phrase."""
    if field is None:
        return None
    low = next((m.ge for m in field.metadata if isinstance(m, annotated_types.Ge)), None)
    high = next((m.le for m in field.metadata if isinstance(m, annotated_types.Le)), None)
    if low is None or high is None:
        return None
    return f"must be at least {low} and at most {high}"


def _phrase(error: Any, known: list[str], field: FieldInfo | None = None) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "extra_forbidden":
        return f"is not a known setting (known: {', '.join(known) or 'none'})"
    if kind in _PHRASES:
        return _PHRASES[kind]
    if kind == "greater_than_equal":
        return _bounds(field) or f"must be at least {ctx['ge']}"
    if kind == "less_than_equal":
        return _bounds(field) or f"must be at most {ctx['le']}"
    if kind == "greater_than":
        return f"must be more than {ctx['gt']}"
    if kind == "less_than":
        return f"must be less than {ctx['lt']}"
    if kind == "literal_error":
        return f"must be one of: {ctx['expected']}"
    if kind == "string_pattern_mismatch":
        return f"must match the pattern {ctx['pattern']}"
    if kind in ("value_error", "assertion_error"):
        message = str(error["msg"])
        for lead in ("Value error, ", "Assertion failed, "):
            message = message.removeprefix(lead)
        return message
    return str(error["msg"])[:1].lower() + str(error["msg"])[1:]


__all__ = [
    "PROJECT",
    "ArgsModel",
    "Flag",
    "aliases",
    "cidr_refusing_the_internet",
    "join_key",
    "problems",
    "settings_error",
    "validate_refusing",
]
