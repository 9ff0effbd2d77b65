"""Policy as code: the rules an openhands-zai stack must (mandatory) or should (advisory) pass.

One source, three runners:
- `pulumi preview --policy-pack policy`: `policy/__main__.py` only wires `POLICIES` into a
  CrossGuard `PolicyPack`;
- `openhands-zai plan`: `cli/verdict.py` calls the same objects over the offline plan and exits 3
  on a mandatory violation;
- the unit tests call each policy's `validate` with passing and failing resources.

The checks are pure functions (`checks.py`); the `pulumi_policy` objects here only adapt them.
Only the standard library and pulumi_policy are imported, so a platform team can add these
rules to its own pack.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from .checks import (
    MIN_RECOVERY_WINDOW_DAYS,
    coding_plan_label_findings,
    customer_kms_findings,
    iam_wildcard_findings,
    image_digest_findings,
    key_behind_gateway_findings,
    llm_key_findings,
    open_egress_findings,
    pinned_image_findings,
    privileged_findings,
    recovery_window_findings,
    tag_findings,
)
from .labels import KEY_PLAN_TAG

Check = Callable[[str, Mapping[str, Any], Mapping[str, Any]], list[str]]

RULES: list[tuple[str, EnforcementLevel, str, Check]] = [
    ("llm-key-not-in-plaintext", EnforcementLevel.MANDATORY,
     "The LLM key appears only in a Secret, a Secrets Manager version or the container's env/settings "
     "upload, marked secret; never in pod env values, args, labels, tags or ConfigMaps.", llm_key_findings),
    ("secrets-manager-customer-kms-key", EnforcementLevel.MANDATORY,
     "Secrets Manager secrets (and replicas) are encrypted with a customer managed KMS key.", customer_kms_findings),
    ("no-open-security-group-egress", EnforcementLevel.MANDATORY,
     "No security-group egress to 0.0.0.0/0 or ::/0 unless the stack sets egress.allowInsecureEgress "
     "(or HTTPS behind the domain firewall).", open_egress_findings),
    ("iam-no-wildcards", EnforcementLevel.MANDATORY,
     "IAM identity policies allow no wildcard actions, NotAction/NotResource or '*' resources.",
     iam_wildcard_findings),
    ("no-privileged-workloads", EnforcementLevel.MANDATORY,
     "Containers and pods are not privileged, share no host namespaces and mount no host paths; the only "
     "exception is the Docker target's server mounting /var/run/docker.sock to start sandboxes.",
     privileged_findings),
    ("images-pinned", EnforcementLevel.MANDATORY,
     "Images name a release tag in the format their registry publishes (or a digest), never latest.",
     pinned_image_findings),
    ("images-have-digest", EnforcementLevel.ADVISORY, "Images are pinned by @sha256 digest.", image_digest_findings),
    ("aws-resources-tagged", EnforcementLevel.ADVISORY,
     "AWS resources carry environment, owner and cost-center tags.", tag_findings),
    ("secret-recovery-window", EnforcementLevel.ADVISORY,
     f"Secrets Manager recovery window is at least {MIN_RECOVERY_WINDOW_DAYS} days.", recovery_window_findings),
    ("llm-key-behind-gateway", EnforcementLevel.ADVISORY,
     "OpenHands holds the LLM gateway's key, not the Z.AI key (which its sandboxes would expose to agents).",
     key_behind_gateway_findings),
]


def _resource_policy(name: str, level: EnforcementLevel, description: str, check: Check) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        for problem in check(args.resource_type, args.props, args.get_config()):
            report_violation(problem, None)

    return ResourceValidationPolicy(name=name, description=description, enforcement_level=level, validate=validate)


def _validate_coding_plan(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    resources = [(r.urn, r.resource_type, r.props) for r in args.resources]
    for urn, problem in coding_plan_label_findings(resources):
        report_violation(problem, urn or None)


POLICIES: list[ResourceValidationPolicy | StackValidationPolicy] = [
    *(_resource_policy(*rule) for rule in RULES),
    StackValidationPolicy(
        name="coding-plan-key-label", enforcement_level=EnforcementLevel.ADVISORY,
        description=f"A stack on the Coding Plan endpoint labels its key {KEY_PLAN_TAG}: coding-plan.",
        validate=_validate_coding_plan),
]
