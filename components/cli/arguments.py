"""`--endpoint` and `--model` as the operator commands take them."""

from __future__ import annotations

import re

from ..llm.catalogue import bare_model_name
from ..llm.endpoints import resolve_endpoint
from ..llm.settings import BUILTIN_PROFILES, DEFAULT_PROFILE


class UsageError(Exception):
    """A problem with what the operator passed (an argument, a file, standard input): exit 2."""


DEFAULT_ENDPOINT = "coding-plan"
DEFAULT_MODEL = BUILTIN_PROFILES[DEFAULT_PROFILE]["model"]
# Not limited to the catalogue: the point of `doctor` is to ask Z.AI whether a model is there.
_MODEL = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$", re.ASCII)


def resolve_base_url(value: str | None) -> str:
    base_url, problem = resolve_endpoint(value or DEFAULT_ENDPOINT)
    if base_url is None:
        raise UsageError(f"--endpoint: {problem}")
    return base_url


def resolve_model(value: str | None) -> str:
    model = bare_model_name(value or DEFAULT_MODEL)
    if not _MODEL.match(model):
        raise UsageError(f"--model: {value!r} is not a model name such as glm-4.6 or zai/glm-4.6")
    return model
