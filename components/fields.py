"""The base of every settings model, and the typed values the concerns share.

`pulumi config set --path` stores scalars as strings ("0.6", "true"), so numbers and flags are
read from text too (pydantic's lax mode does numbers); a flag is only true or false, and a
number is never a flag. Constraints are declared once, on the field, and the error messages
read them from there (`errors.describe`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, Strict, ValidationError
from pydantic.alias_generators import to_camel
from pydantic_core import InitErrorDetails, PydanticCustomError, PydanticKnownError

from .errors import Hint


class SettingsModel(BaseModel):
    """A block of stack settings: camelCase keys as the stack file writes them (Python names work
    too), unknown keys refused with a suggestion, values immutable once validated.

    Fields are validated in the order they are declared; a check that compares two fields sits
    on the later one and reads the earlier from `info.data` (absent when it failed, so no second
    problem is reported about a value that is already wrong).
    """

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="forbid",
        frozen=True,
        allow_inf_nan=False,
        # Patterns are Python's: some use look-aheads, which pydantic's default engine lacks.
        regex_engine="python-re",
        defer_build=True,
    )
    # (regex, message) for keys guides show that this block does not have, naming the real knob.
    unknown_key_hints: ClassVar[tuple[tuple[str, str], ...]] = ()


def problem(message: str) -> PydanticCustomError:
    """A validation error whose sentence is `message` exactly (no placeholders are filled in)."""
    return PydanticCustomError("config", message)


def problems_at(title: str, found: Sequence[tuple[tuple[str | int, ...], str]]) -> ValidationError:
    """Several problems at locations inside the value being validated (e.g. items of a list);
    pydantic prefixes them with the field's own location when raised from a validator."""
    return ValidationError.from_exception_data(
        title, [InitErrorDetails(type=problem(message), loc=location, input=None) for location, message in found])


def _flag_from_text(value: Any) -> Any:
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def _no_flag_for_an_int(value: Any) -> Any:
    if isinstance(value, bool):  # True is an int to Python; not a number to a user
        raise PydanticKnownError("int_type")
    return value


def _no_flag_for_a_number(value: Any) -> Any:
    if isinstance(value, bool):
        raise PydanticKnownError("float_type")
    return value


Flag = Annotated[bool, BeforeValidator(_flag_from_text), Strict()]
WholeNumber = Annotated[int, BeforeValidator(_no_flag_for_an_int)]
Number = Annotated[float, BeforeValidator(_no_flag_for_a_number)]
Port = Annotated[WholeNumber, Field(ge=1, le=65535)]


def text_from_number(value: Any) -> Any:
    """YAML reads 1.33 or 2 as numbers where text (a version, a CPU count, an account id) is meant."""
    return str(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value


def _ip_address(value: str) -> str:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise problem(f"must be an IP address such as 127.0.0.1 or 0.0.0.0, got {value!r}") from None
    return value


IpAddress = Annotated[str, AfterValidator(_ip_address), Hint("an IP address such as 127.0.0.1 or 0.0.0.0")]


def network(value: str, *, ipv6: bool) -> str:
    """A CIDR in canonical form; host bits set is an error showing the likely intent."""
    try:
        parsed = ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise problem(f"must be a CIDR such as 10.0.0.0/16, got {value!r}") from None
    if parsed.version == 6 and not ipv6:
        raise problem(f"must be an IPv4 CIDR, got {value!r}")
    if str(parsed) != value:
        raise problem(f"{value!r} has host bits set or is not canonical; did you mean {parsed}?")
    return value


Ipv4Cidr = Annotated[str, AfterValidator(lambda v: network(v, ipv6=False)), Hint("a CIDR such as 10.0.0.0/16")]
Cidr = Annotated[str, AfterValidator(lambda v: network(v, ipv6=True)), Hint("a CIDR such as 10.0.0.0/16")]


def unique(values: Sequence[Any], title: str) -> None:
    """Refuse an item listed twice, at the index of its second appearance."""
    seen: set[Any] = set()
    repeated = []
    for index, value in enumerate(values):
        if value in seen:
            repeated.append(((index,), f"{value} is listed twice"))
        seen.add(value)
    if repeated:
        raise problems_at(title, repeated)
