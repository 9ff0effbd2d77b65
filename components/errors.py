"""Configuration problems, named by the key as the user writes it.

The one place that turns what pydantic reports into `openhands-zai:<key>: <what is allowed>`
lines: the key comes from the error's location (camelCase aliases, `[i]` for list items), the
sentence from the error's type and the constraints declared on the field that failed, so a
bound written once on a model (`Field(ge=0, le=1)`) is also the bound the user reads. Every
problem of a stack is collected before anything is raised: a user fixing a stack file sees
the whole list at once.

pydantic is imported only when there is an error to describe: the command line catches
`ConfigError` without paying for pydantic's import.
"""

from __future__ import annotations

import difflib
import re
import types
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union, get_args, get_origin

from pulumi.errors import RunError

if TYPE_CHECKING:
    from pydantic import BaseModel, ValidationError

PROJECT = "openhands-zai"
# pydantic names a failed dict key with this location step after the key itself.
_KEY_STEP = "[key]"


def config_key(*parts: str) -> str:
    """`config_key("profiles", "coding", "temperature")` -> `openhands-zai:profiles.coding.temperature`."""
    return f"{PROJECT}:" + ".".join(parts)


def key_at(location: Sequence[str | int]) -> str:
    """A pydantic location as the stack file spells it: `openhands-zai:instances[0].profiles.x`."""
    text = ""
    for step in location:
        if step == _KEY_STEP:
            continue
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return f"{PROJECT}:{text}"


@dataclass(frozen=True)
class Hint:
    """What a value must be, in words (`an id like vpc-0123456789abcdef0`): annotation metadata the
    error messages use where the type alone cannot say it."""

    text: str


@dataclass(frozen=True)
class ConfigProblem:
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.key}: {self.message}"


class ConfigError(RunError):
    """Invalid stack configuration.

    A `pulumi.RunError`, so `pulumi up` prints the problems without a Python traceback;
    `openhands-zai plan` catches it and exits 2 with one line per problem.
    """

    def __init__(self, problems: Iterable[ConfigProblem]):
        self.problems = list(problems)
        super().__init__("invalid configuration:\n" + "\n".join(f"  {p}" for p in self.problems))


def unknown_key_message(key: str, allowed: Sequence[str], hints: Sequence[tuple[str, str]] = ()) -> str:
    """`unknown key; did you mean `topP`? allowed: ...`; case, "_" and "-" are ignored first.

    `hints` are (regex, message) pairs for keys integration guides show that do not exist here,
    each pointing at the real knob.
    """
    for pattern, message in hints:
        if re.search(pattern, key, re.IGNORECASE):
            return message
    folded = {name.replace("_", "").replace("-", "").lower(): name for name in allowed}
    guess = folded.get(key.replace("_", "").replace("-", "").lower())
    if guess is None:
        close = difflib.get_close_matches(key, list(allowed), n=1)
        guess = close[0] if close else None
    hint = f"did you mean `{guess}`? " if guess else ""
    return f"unknown key; {hint}allowed: {', '.join(allowed)}"


def problems_from(error: ValidationError, model: type[BaseModel]) -> list[ConfigProblem]:
    """Every error of a validation of `model`, as a problem naming its key."""
    problems = []
    for item in error.errors(include_url=False):
        location = tuple(item["loc"])
        # An unknown key is never a field, even when it is one's Python name (`top_p` for `topP`).
        place = _locate(model, location, known=len(location) - (item["type"] == "extra_forbidden"))
        problems.append(ConfigProblem(key_at(place.location), describe(item, place)))
    return problems


# -- what the failed value must be ---------------------------------------------------------------

_NUMERIC = {"int_type", "int_parsing", "int_from_float", "float_type", "float_parsing", "finite_number",
            "greater_than", "greater_than_equal", "less_than", "less_than_equal"}
_FLAG = {"bool_type", "bool_parsing"}


@dataclass
class _Place:
    """What the model declares at an error's location."""

    location: tuple[str | int, ...]  # as the user writes it: fields by their aliases
    owner: Any  # the model class holding the last key (for unknown keys)
    annotation: Any  # the declared type there, Annotated and Optional removed; None if unknown
    metadata: list[Any]  # constraints and hints declared on it
    optional: bool = False


def unwrap(annotation: Any) -> tuple[Any, list[Any], bool]:
    metadata: list[Any] = []
    optional = False
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation, *extra = get_args(annotation)
            metadata += extra
        elif origin in (Union, types.UnionType) and type(None) in get_args(annotation):
            rest = [arg for arg in get_args(annotation) if arg is not type(None)]
            optional = True
            if len(rest) != 1:
                return annotation, metadata, optional
            annotation = rest[0]
        else:
            return annotation, metadata, optional


def is_model(annotation: Any) -> bool:
    from pydantic import BaseModel

    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _field(model: Any, alias: Any) -> Any:
    for name, field in model.model_fields.items():
        if alias in (field.alias, name):
            return field
    return None


def _locate(model: type[BaseModel], location: Sequence[str | int], known: int) -> _Place:
    """What `model` declares at `location`; only its first `known` steps are looked up."""
    annotation: Any = model
    metadata: list[Any] = []
    optional = False
    owner: Any = None
    steps = list(location)
    index = 0
    while index < len(steps):
        step = steps[index]
        annotation, extra, optional = unwrap(annotation)
        metadata += extra
        if is_model(annotation):
            owner, field = annotation, (_field(annotation, step) if index < known else None)
            if field is None:
                return _Place(tuple(steps), owner, None, [])
            steps[index] = field.alias or step  # a default's error names the field by its Python name
            annotation, metadata = field.annotation, list(field.metadata)
        elif get_origin(annotation) is dict:
            key_type, value_type = get_args(annotation)
            is_key = index + 1 < len(steps) and steps[index + 1] == _KEY_STEP
            annotation, metadata = (key_type if is_key else value_type), []
            index += is_key
        elif get_origin(annotation) in (list, tuple, set, frozenset):
            annotation, metadata = get_args(annotation)[0], []
        else:
            return _Place(tuple(steps), owner, None, [])
        index += 1
    annotation, extra, optional = unwrap(annotation)
    return _Place(tuple(steps), owner, annotation, metadata + extra, optional)


def bounds_text(metadata: list[Any]) -> str:
    parts = []
    for name, sign in (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<")):
        for item in metadata:
            value = getattr(item, name, None)
            if value is not None:
                parts.append(f"{sign} {value:g}")
    return " and ".join(parts)


def _aliases(model: Any) -> list[str]:
    return [field.alias or name for name, field in model.model_fields.items()]


def describe(item: Any, place: _Place) -> str:
    """One sentence for one pydantic error: what the value must be, and what it was."""
    kind, given = item["type"], item.get("input")
    hint = next((m.text for m in place.metadata if isinstance(m, Hint)), None)
    got = f", got {given!r}"
    if kind == "extra_forbidden":
        key = str(item["loc"][-1])
        return unknown_key_message(key, _aliases(place.owner), getattr(place.owner, "unknown_key_hints", ()))
    if kind == "missing":
        return f"is required; {hint}" if hint else "is required"
    if kind in _NUMERIC:
        number = "an integer" if place.annotation is int else "a number"
        bounds = bounds_text(place.metadata)
        return f"must be {number}{' ' + bounds if bounds else ''}{got}"
    if kind in _FLAG:
        return f"must be true or false{' or null' if place.optional else ''}{got}"
    if kind == "literal_error" and get_origin(place.annotation) is Literal:
        return f"must be one of {', '.join(map(str, get_args(place.annotation)))}{got}"
    if kind in ("model_type", "model_attributes_type") and is_model(place.annotation):
        return f"must be a map with keys {', '.join(_aliases(place.annotation))}"
    if kind.startswith("value_error"):
        return str(item["msg"]).removeprefix("Value error, ")
    if not kind.endswith(("_type", "_parsing", "pattern_mismatch", "too_short", "too_long")):
        return str(item["msg"])  # our own validators' sentences (PydanticCustomError), as written
    if hint:
        return f"must be {hint}{got}"
    generic = {"dict_type": "must be a map", "list_type": "must be a list", "tuple_type": "must be a list",
               "string_type": "must be a string", "too_short": "has too few items", "too_long": "has too many items"}
    return generic.get(kind, str(item["msg"])) + got
