"""The guardrails' checks (pure): each `(resource type, input properties, config) -> [problem, ...]`.

Mandatory: the LLM key only where it belongs and marked secret, customer KMS keys, no open
egress, no IAM wildcards, no privileged workloads, pinned images in the tag format their
registry publishes. Advisory: image digests, tags,
the secret's recovery window, the Coding Plan key label, the Z.AI key behind the LLM gateway.
Problems name paths, never values.

Secrets and what each runner can see: the Pulumi CLI hands policies the inputs with Pulumi's
secret markers already removed (pulumi_policy's `deserialize_properties`), so under the CLI the
key check looks at *where* the key sits: the places built to carry it (the container's env and
settings upload, a Secrets Manager version, a Kubernetes Secret's data) and nowhere else - not in
a pod's literal env value, args, labels, tags, a ConfigMap. `openhands-zai plan` keeps the
markers (values wrapped in `pulumi_policy.Secret`) and sets `secretsVisible`, and then also
requires the key to be marked secret in those places, i.e. encrypted in state and masked in the
preview.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ..images import unpublished_tag
from .inputs import (
    DOCKER_CONTAINER,
    K8S_SECRET,
    SM_SECRET,
    SM_VERSION,
    as_list,
    containers,
    docker_labels,
    env_entries,
    get,
    image_references,
    pod_spec,
    reveal,
    strings,
    tag_of,
)
from .labels import (
    EGRESS_EXCEPTION_FIREWALL,
    EGRESS_EXCEPTION_INSECURE,
    EGRESS_EXCEPTION_NO_ALLOW_LIST,
    EGRESS_EXCEPTION_TAG,
    KEY_PLAN_TAG,
    SANDBOX_RUNTIME_DOCKER_SOCKET,
    SANDBOX_RUNTIME_LABEL,
)

DOCKER_SOCKETS = ("/var/run/docker.sock", "/run/docker.sock")

# Required tag -> the spellings accepted for it.
REQUIRED_TAGS = {"environment": ("environment",), "owner": ("owner",),
                 "cost-center": ("cost-center", "cost-centre", "CostCenter")}
CODING_PLAN_BASE = "https://api.z.ai/api/coding/"
MIN_RECOVERY_WINDOW_DAYS = 7

# A Z.AI API key as issued: a 32-hex id, a dot, a 16-character secret.
ZAI_KEY_SHAPE = re.compile(r"(?<![0-9A-Za-z])[0-9a-f]{32}\.[0-9A-Za-z]{16}(?![0-9A-Za-z])")
SENSITIVE_ENV = re.compile(r"(?:^|_)(?:API_?KEY|TOKEN|SECRET|PASSWORD|PASSWD)$", re.IGNORECASE)
CAPABILITIES_OF_ROOT = {"ALL", "SYS_ADMIN", "CAP_SYS_ADMIN", "NET_ADMIN", "CAP_NET_ADMIN", "SYS_PTRACE"}

# AWS types these components create that accept tags (the tagging advisory checks these).
TAGGABLE_AWS_TYPES = frozenset({
    SM_SECRET, "aws:kms/key:Key", "aws:iam/role:Role", "aws:iam/policy:Policy",
    "aws:iam/instanceProfile:InstanceProfile", "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
    "aws:ec2/securityGroup:SecurityGroup", "aws:ec2/managedPrefixList:ManagedPrefixList",
    "aws:ec2/vpcPeeringConnection:VpcPeeringConnection",
    "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "aws:ec2/launchTemplate:LaunchTemplate",
    "aws:eks/addon:Addon", "aws:route53/resolverFirewallDomainList:ResolverFirewallDomainList",
    "aws:route53/resolverFirewallRuleGroup:ResolverFirewallRuleGroup",
    "aws:route53/resolverFirewallRuleGroupAssociation:ResolverFirewallRuleGroupAssociation",
    "aws:networkfirewall/firewall:Firewall", "aws:networkfirewall/firewallPolicy:FirewallPolicy",
    "aws:networkfirewall/ruleGroup:RuleGroup", "aws:eks/cluster:Cluster", "aws:eks/nodeGroup:NodeGroup",
})
IAM_DOCUMENT_FIELDS = {
    "aws:iam/policy:Policy": "policy",
    "aws:iam/rolePolicy:RolePolicy": "policy",
    "aws:iam/userPolicy:UserPolicy": "policy",
    "aws:iam/groupPolicy:GroupPolicy": "policy",
}


# -- mandatory --------------------------------------------------------------------------------

def _key_sink(resource_type: str, path: str) -> bool:
    """The places built to carry the key."""
    if resource_type == DOCKER_CONTAINER:
        return path.startswith("envs[") or bool(re.fullmatch(r"uploads\[\d+\]\.content(Base64)?", path))
    if resource_type == SM_VERSION:
        return path in ("secretString", "secretBinary")
    if resource_type == K8S_SECRET:
        return path.startswith(("data.", "stringData."))
    return False


def llm_key_findings(resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]) -> list[str]:
    """The LLM key: only where it belongs, never in plaintext (problems name paths, never values)."""
    visible = bool(config.get("secretsVisible"))
    needles = [n for n in config.get("knownSecrets") or [] if isinstance(n, str) and len(n) >= 8]
    findings = []
    for path, text, secret in strings(props):
        if not (ZAI_KEY_SHAPE.search(text) or any(n in text for n in needles)):
            continue
        if not _key_sink(resource_type, path):
            findings.append(f"{path} holds the LLM key: reference it from a Secret or Secrets Manager instead")
        elif visible and not secret:
            findings.append(f"{path} holds the LLM key without Pulumi's secret marker (plaintext in state "
                            "and preview): pass it as pulumi.Output.secret")
    if resource_type == DOCKER_CONTAINER and visible:
        for _, name, value, secret in env_entries(props):
            if SENSITIVE_ENV.search(name) and value and not secret:
                findings.append(f"envs {name} carries a credential without Pulumi's secret marker")
    spec = pod_spec(resource_type, props)
    if spec is not None:
        for where, container in containers(spec):
            for env in as_list(container.get("env")):
                name, value = get(env, "name"), get(env, "value")
                if isinstance(name, str) and SENSITIVE_ENV.search(name) and value:
                    findings.append(f"{where}.env {name} is a literal value: use valueFrom.secretKeyRef")
    if resource_type == "kubernetes:core/v1:ConfigMap":
        for key in (get(props, "data") or {}):
            if SENSITIVE_ENV.search(str(key).replace("-", "_").replace(".", "_")):
                findings.append(f"data.{key} looks like a credential in a ConfigMap: use a Secret")
    return sorted(set(findings))


def customer_kms_findings(resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]) -> list[str]:
    if resource_type != SM_SECRET:
        return []
    findings = []
    replicas = as_list(props.get("replicas"))
    places = [("kmsKeyId", props.get("kmsKeyId"))] + [
        (f"replicas[{i}].kmsKeyId", get(replica, "kmsKeyId")) for i, replica in enumerate(replicas)]
    for where, key in places:
        key = reveal(key)[0]
        if not key:
            findings.append(f"{where} is not set: the AWS-managed aws/secretsmanager key cannot be shared across "
                            "accounts or restricted by a key policy; use a customer managed KMS key")
        elif str(key).endswith("alias/aws/secretsmanager"):
            findings.append(f"{where} is the AWS-managed aws/secretsmanager key; use a customer managed KMS key")
    return findings


def _open(cidr: Any) -> bool:
    try:
        return ipaddress.ip_network(str(cidr), strict=False).prefixlen == 0
    except ValueError:
        return False


def _egress_exception(props: Mapping[str, Any], protocol: Any, from_port: Any, to_port: Any) -> bool:
    reason = (get(props, "tags") or {}).get(EGRESS_EXCEPTION_TAG)
    if reason in (EGRESS_EXCEPTION_INSECURE, EGRESS_EXCEPTION_NO_ALLOW_LIST):
        return True
    return (reason == EGRESS_EXCEPTION_FIREWALL and str(protocol).lower() in ("tcp", "6")
            and from_port == 443 and to_port == 443)


def open_egress_findings(resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]) -> list[str]:
    """Security-group egress (and prefix-list entries) to 0.0.0.0/0 or ::/0, unless the stack said so."""
    flows: list[tuple[str, Any, Any, Any, Any]] = []  # (where, cidr, protocol, from, to)
    if resource_type == "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule":
        for field in ("cidrIpv4", "cidrIpv6"):
            flows.append((field, props.get(field), props.get("ipProtocol"), props.get("fromPort"), props.get("toPort")))
    elif resource_type == "aws:ec2/securityGroupRule:SecurityGroupRule" and props.get("type") == "egress":
        for field in ("cidrBlocks", "ipv6CidrBlocks"):
            flows += [(field, c, props.get("protocol"), props.get("fromPort"), props.get("toPort"))
                      for c in as_list(props.get(field))]
    elif resource_type == "aws:ec2/securityGroup:SecurityGroup":
        for i, rule in enumerate(as_list(props.get("egress"))):
            for field in ("cidrBlocks", "ipv6CidrBlocks"):
                flows += [(f"egress[{i}].{field}", c, get(rule, "protocol"), get(rule, "fromPort"),
                           get(rule, "toPort")) for c in as_list(get(rule, field))]
    elif resource_type == "aws:ec2/managedPrefixList:ManagedPrefixList":
        # A prefix list is an egress target here: an open entry opens every rule that uses it.
        flows += [(f"entries[{i}].cidr", get(e, "cidr"), None, None, None)
                  for i, e in enumerate(as_list(props.get("entries")))]
    return [f"{where} allows egress to {reveal(cidr)[0]}: set openhands-zai:egress.allowInsecureEgress "
            "to mean it, or allow-list the endpoint's ranges"
            for where, cidr, protocol, low, high in flows
            if _open(reveal(cidr)[0]) and not _egress_exception(props, protocol, low, high)]


def wildcard_grants(document: Mapping[str, Any]) -> list[str]:
    """Allow statements that grant a wildcard action or a `*` resource (parliament does not flag
    `{"Action": "*", "Resource": "*"}`, so this check stands beside it)."""
    found = []
    for index, statement in enumerate(as_list(document.get("Statement"))):
        if statement.get("Effect") != "Allow":
            continue
        label = statement.get("Sid", f"#{index}")
        for action in as_list(statement.get("Action")) + as_list(statement.get("NotAction")):
            if "*" in action or "?" in action:
                found.append(f"{label}: wildcard action {action!r}")
        if "NotAction" in statement or "NotResource" in statement:
            found.append(f"{label}: NotAction/NotResource grants everything else")
        for resource in as_list(statement.get("Resource")):
            if resource == "*" or resource.endswith(":*"):
                found.append(f"{label}: wildcard resource {resource!r}")
    return found


def iam_wildcard_findings(resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]) -> list[str]:
    documents = []
    if resource_type in IAM_DOCUMENT_FIELDS:
        field = IAM_DOCUMENT_FIELDS[resource_type]
        documents.append((field, props.get(field)))
    elif resource_type == "aws:iam/role:Role":
        documents += [(f"inlinePolicies[{i}].policy", get(p, "policy"))
                      for i, p in enumerate(as_list(props.get("inlinePolicies")))]
    findings = []
    for where, raw in documents:
        raw = reveal(raw)[0]
        try:
            document = json.loads(raw) if isinstance(raw, str) else raw
        except json.JSONDecodeError:
            findings.append(f"{where} is not a JSON policy document")
            continue
        if isinstance(document, Mapping):
            findings += [f"{where}: {grant}" for grant in wildcard_grants(document)]
    return findings


def privileged_findings(resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]) -> list[str]:
    findings = []
    if resource_type == DOCKER_CONTAINER:
        if get(props, "privileged"):
            findings.append("privileged is true")
        for field in ("networkMode", "pidMode", "ipcMode", "usernsMode"):
            if get(props, field) == "host":
                findings.append(f"{field} is host")
        adds = {str(c).upper() for c in as_list(get(props, "capabilities", "adds"))}
        findings += [f"capabilities.adds has {cap}" for cap in sorted(adds & CAPABILITIES_OF_ROOT)]
        sandbox = docker_labels(props).get(SANDBOX_RUNTIME_LABEL) == SANDBOX_RUNTIME_DOCKER_SOCKET
        mounts = [(f"volumes[{i}]", get(v, "hostPath"), get(v, "containerPath"))
                  for i, v in enumerate(as_list(props.get("volumes")))]
        mounts += [(f"mounts[{i}]", get(m, "source"), get(m, "target"))
                   for i, m in enumerate(as_list(props.get("mounts"))) if get(m, "type") == "bind"]
        for where, host, target in mounts:
            if host in DOCKER_SOCKETS and not (sandbox and host == target == DOCKER_SOCKETS[0]
                                               and not get(props, "privileged")):
                findings.append(f"{where} mounts the Docker socket (root on the host); only the OpenHands "
                                f"server labelled {SANDBOX_RUNTIME_LABEL}={SANDBOX_RUNTIME_DOCKER_SOCKET} may, "
                                f"at {DOCKER_SOCKETS[0]}")
    spec = pod_spec(resource_type, props)
    if spec is not None:
        for field in ("hostNetwork", "hostPID", "hostIPC"):
            if get(spec, field):
                findings.append(f"pod {field} is true")
        findings += [f"pod volume {get(v, 'name')} is a hostPath" for v in as_list(spec.get("volumes"))
                     if get(v, "hostPath") is not None]
        for where, container in containers(spec):
            context = get(container, "securityContext") or {}
            if get(context, "privileged"):
                findings.append(f"{where} securityContext.privileged is true")
            if get(context, "allowPrivilegeEscalation"):
                findings.append(f"{where} securityContext.allowPrivilegeEscalation is true")
            adds = {str(c).upper() for c in as_list(get(context, "capabilities", "add"))}
            findings += [f"{where} adds capability {cap}" for cap in sorted(adds & CAPABILITIES_OF_ROOT)]
    return findings


def pinned_image_findings(resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]) -> list[str]:
    findings = []
    for where, ref in image_references(resource_type, props):
        tag = tag_of(ref)
        if tag == "latest" and "@sha256:" not in ref:
            findings.append(f"{where} {ref} uses latest: pin a release")
        elif unpublished_tag(ref):
            # A tag its registry does not publish fails the pull, digest or not (images.py).
            findings.append(f"{where} {ref}: {unpublished_tag(ref)}")
        elif tag is None and "@sha256:" not in ref:
            findings.append(f"{where} {ref} has no tag (Docker pulls latest): pin a release")
    return findings


# -- advisory ---------------------------------------------------------------------------------

# Which setting pins which image's digest.
_DIGEST_KEYS = (("/agent-server", "release.agentServerImageDigest"), ("/litellm", "gateway.imageDigest"),
                ("/agent-canvas", "canvas.imageDigest"))


def _digest_key(ref: str) -> str:
    return next((key for part, key in _DIGEST_KEYS if part in ref), "release.imageDigest")


def image_digest_findings(resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]) -> list[str]:
    return [f"{where} {ref} has no @sha256 digest: a tag can be moved (set openhands-zai:{_digest_key(ref)})"
            for where, ref in image_references(resource_type, props) if "@sha256:" not in ref]


def tag_findings(resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]) -> list[str]:
    if resource_type not in TAGGABLE_AWS_TYPES:
        return []
    tags = get(props, "tags") or {}
    missing = [key for key, spellings in REQUIRED_TAGS.items() if not any(tags.get(k) for k in spellings)]
    return [f"tags lack {', '.join(missing)} (set them in openhands-zai:tags)"] if missing else []


def recovery_window_findings(resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]) -> list[str]:
    window = get(props, "recoveryWindowInDays")
    if resource_type == SM_SECRET and window is not None and window < MIN_RECOVERY_WINDOW_DAYS:
        return [f"recoveryWindowInDays is {window}: a deleted key is gone in under {MIN_RECOVERY_WINDOW_DAYS} "
                "days (0 deletes at once)"]
    return []


# The LLM gateway's config.yaml (a Docker upload, or the ConfigMap's `config.yaml`): where it calls Z.AI.
_API_BASE = re.compile(r"^\s*api_base:\s*['\"]?([^'\"\s]+)", re.MULTILINE)


def _gateway_configs(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    texts: list[Any] = []
    if resource_type == DOCKER_CONTAINER:
        uploads, _ = reveal(props.get("uploads"))
        for upload in as_list(uploads):
            if str(get(upload, "file") or "").endswith("litellm/config.yaml"):
                texts.append(reveal(get(upload, "content"))[0])
    elif resource_type == "kubernetes:core/v1:ConfigMap":
        texts.append((get(props, "data") or {}).get("config.yaml"))
    return [text for text in texts if isinstance(text, str)]


def _env_values(resource_type: str, props: Mapping[str, Any], name: str) -> list[str]:
    """The values of env variable `name` in a Docker container or a pod's containers."""
    values = [value for _, entry, value, _ in env_entries(props) if entry == name] \
        if resource_type == DOCKER_CONTAINER else []
    spec = pod_spec(resource_type, props)
    if spec is not None:
        values += [get(env, "value") for _, c in containers(spec) for env in as_list(c.get("env"))
                   if get(env, "name") == name]
    return [value for value in values if isinstance(value, str)]


def _base_urls(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """Where the stack's LLM calls go: OpenHands' LLM_BASE_URL, and behind the gateway its api_base."""
    return _env_values(resource_type, props, "LLM_BASE_URL") + [
        url for text in _gateway_configs(resource_type, props) for url in _API_BASE.findall(text)]


def key_behind_gateway_findings(resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]) -> list[str]:
    """OpenHands calling Z.AI itself holds the Z.AI key, and hands it to every agent sandbox."""
    direct = [model for model in _env_values(resource_type, props, "LLM_MODEL") if model.startswith("zai/")]
    if not direct:
        return []
    return [f"OpenHands calls Z.AI itself ({direct[0]}): it holds the Z.AI key, and agents in its sandboxes can read "
            "it; set openhands-zai:gateway so only the LLM gateway holds it"]


def _key_plan_labels(resource_type: str, props: Mapping[str, Any]) -> list[str | None] | None:
    """The key-plan label on a resource that holds or uses the key; None for other resources."""
    if resource_type == SM_SECRET:
        return [(get(props, "tags") or {}).get(KEY_PLAN_TAG)]
    if resource_type == DOCKER_CONTAINER:
        return [docker_labels(props).get(KEY_PLAN_TAG)]
    if resource_type in (K8S_SECRET, "kubernetes:external-secrets.io/v1:ExternalSecret") or pod_spec(resource_type,
                                                                                                     props):
        meta = get(props, "metadata") or {}
        return [(get(meta, "labels") or {}).get(KEY_PLAN_TAG), (get(meta, "annotations") or {}).get(KEY_PLAN_TAG)]
    return None


def coding_plan_label_findings(resources: Sequence[tuple[str, str, Mapping[str, Any]]]) -> list[tuple[str, str]]:
    """Stack-wide: a stack calling the Coding Plan endpoint labels its key `zai-key-plan: coding-plan`.

    A general (pay-as-you-go) key fails there with error 1113; the label tells whoever rotates
    the key which kind to put in. `resources` is (urn, type, props); returns (urn, problem).
    """
    if not any(url.startswith(CODING_PLAN_BASE) for _, kind, props in resources for url in _base_urls(kind, props)):
        return []
    holders = [(urn, labels) for urn, kind, props in resources
               if (labels := _key_plan_labels(kind, props)) is not None]
    if any("coding-plan" in labels for _, labels in holders):
        return [(urn, f"{KEY_PLAN_TAG} is {value!r} but the stack calls the Coding Plan endpoint")
                for urn, labels in holders for value in labels if value not in (None, "coding-plan")]
    return [(holders[0][0] if holders else "",
             f"the stack calls the Coding Plan endpoint: label the key {KEY_PLAN_TAG}: coding-plan "
             "(openhands-zai:tags), so whoever rotates it puts a Coding Plan key in")]
