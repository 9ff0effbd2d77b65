"""The policy verdict of `openhands-zai plan`: the policy pack's own objects, run over the recorded plan.

The same `ResourceValidationPolicy`/`StackValidationPolicy` instances the CrossGuard pack
serves are called here with `ResourceValidationArgs` built from what the program registered.
Unlike the CLI, this runner still sees Pulumi's secret markers: it wraps marked values in
`pulumi_policy.Secret` and sets `secretsVisible`, so the key rule also checks that the key is
marked secret where it may sit; `knownSecrets` (the stack's secret config values, in memory
only) lets it find the key whatever its shape. Messages name paths, never values, and are
redacted again before printing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Secret,
    StackValidationArgs,
)

from ..guardrails.rules import POLICIES
from ..testing import SECRET_SIG, SIG_KEY
from .engine import RecordedResource

# Resources no rule is about: the stack, providers, and our own component wrappers.
_SKIPPED_PREFIXES = ("pulumi:", "openhands-zai:")


@dataclass(frozen=True)
class Violation:
    policy: str
    level: str  # mandatory | advisory
    urn: str
    message: str

    @property
    def mandatory(self) -> bool:
        return self.level == EnforcementLevel.MANDATORY.value


def policy_props(value: Any) -> Any:
    """Protobuf-JSON inputs as policies see them, with secret markers kept as `Secret`."""
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            return Secret(policy_props(value.get("value")))
        return {key: policy_props(item) for key, item in value.items()}
    if isinstance(value, list):
        return [policy_props(item) for item in value]
    return value


def _options(resource: RecordedResource) -> PolicyResourceOptions:
    return PolicyResourceOptions(protect=False, ignore_changes=[], delete_before_replace=None, aliases=[],
                                 custom_timeouts=PolicyCustomTimeouts(0, 0, 0), additional_secret_outputs=[],
                                 parent=resource.parent)


def _reporter(into: list[Violation], policy: str, level: str, default_urn: str) -> Callable[..., None]:
    """CrossGuard's `report_violation(message, urn=None)`, collecting into `into`."""
    def report(message: str, urn: str | None = None) -> None:
        into.append(Violation(policy, level, urn or default_urn, message))

    return report


def evaluate(resources: list[RecordedResource], secret_values: set[str]) -> list[Violation]:
    """Every policy over every recorded resource (raw inputs, markers on); violations in plan order."""
    config = {"secretsVisible": True, "knownSecrets": sorted(v for v in secret_values if v)}
    checked = [r for r in resources if not r.type.startswith(_SKIPPED_PREFIXES)]
    props = {r.urn: policy_props(r.inputs) for r in checked}
    violations: list[Violation] = []
    for policy in POLICIES:
        level = (policy.enforcement_level or EnforcementLevel.ADVISORY).value

        if isinstance(policy, ResourceValidationPolicy):
            for resource in checked:
                args = ResourceValidationArgs(resource.type, props[resource.urn], resource.urn, resource.name,
                                              _options(resource), None, config)
                policy.validate(args, _reporter(violations, policy.name, level, resource.urn))
        else:
            stack = [PolicyResource(r.type, props[r.urn], r.urn, r.name, _options(r), None, None, [], {})
                     for r in checked]
            policy.validate(StackValidationArgs(stack, config), _reporter(violations, policy.name, level, ""))
    return violations
