"""Each policy of the pack, called the way CrossGuard calls it, with passing and failing resources."""

import json

import pytest
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    Secret,
    StackValidationArgs,
)

from openhands_zai.guardrails.checks import ZAI_KEY_SHAPE
from openhands_zai.guardrails.rules import POLICIES

# Shaped like a Z.AI key (32 hex, a dot, 16 alphanumerics), built here so no key-shaped literal is committed.
KEY = "0123456789abcdef" * 2 + "." + "AbCdEfGh" * 2
OPTS = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])
CONTAINER = "docker:index/container:Container"
STATEFULSET = "kubernetes:apps/v1:StatefulSet"
BY_NAME = {policy.name: policy for policy in POLICIES}


def violations(policy: str, resource_type: str, props: dict, config: dict | None = None) -> list[str]:
    found: list[str] = []
    args = ResourceValidationArgs(resource_type, props, f"urn:pulumi:t::p::{resource_type}::r", "r", OPTS, None,
                                  config or {})
    BY_NAME[policy].validate(args, lambda message, urn=None: found.append(message))
    return found


def stack_violations(policy: str, resources: list[tuple[str, dict]]) -> list[str]:
    found: list[str] = []
    stack = [PolicyResource(kind, props, f"urn:{i}", f"r{i}", OPTS, None, None, [], {})
             for i, (kind, props) in enumerate(resources)]
    BY_NAME[policy].validate(StackValidationArgs(stack, {}), lambda message, urn=None: found.append(message))
    return found


def pod(container: dict, **spec) -> dict:
    return {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "app:1.0", **container}],
                                           **spec}}}}


def test_levels_match_the_issue():
    mandatory = {p.name for p in POLICIES if p.enforcement_level == EnforcementLevel.MANDATORY}
    assert mandatory == {"llm-key-not-in-plaintext", "secrets-manager-customer-kms-key",
                         "no-open-security-group-egress", "iam-no-wildcards", "no-privileged-workloads",
                         "images-pinned"}
    assert {p.name for p in POLICIES} - mandatory == {"images-have-digest", "aws-resources-tagged",
                                                       "secret-recovery-window", "coding-plan-key-label",
                                                       "llm-key-behind-gateway"}


def test_key_shape_matches_a_key_and_not_its_neighbours():
    assert ZAI_KEY_SHAPE.search(f"LLM_API_KEY={KEY}")
    assert not ZAI_KEY_SHAPE.search("0123456789abcdef0123456789abcdef")  # an id alone (e.g. a hash)
    assert not ZAI_KEY_SHAPE.search("x" + KEY + "x")


# -- llm-key-not-in-plaintext --------------------------------------------------------------------

@pytest.mark.parametrize("resource_type, props", [
    (CONTAINER, {"labels": [{"label": "key", "value": KEY}]}),
    (CONTAINER, {"command": ["openhands", f"--api-key={KEY}"]}),
    ("kubernetes:core/v1:ConfigMap", {"data": {"settings.json": json.dumps({"llm_api_key": KEY})}}),
    ("aws:secretsmanager/secret:Secret", {"tags": {"note": KEY}}),
    (STATEFULSET, pod({"args": ["--key", KEY]})),
])
def test_the_key_outside_its_places_is_refused_under_the_cli_too(resource_type, props):
    found = violations("llm-key-not-in-plaintext", resource_type, props)
    assert found and all(KEY not in message for message in found)


def test_a_literal_credential_env_value_in_a_pod_is_refused_whatever_its_shape():
    assert violations("llm-key-not-in-plaintext", STATEFULSET, pod({"env": [{"name": "LLM_API_KEY", "value": "x"}]}))
    by_reference = pod({"env": [{"name": "LLM_API_KEY", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}]})
    assert violations("llm-key-not-in-plaintext", STATEFULSET, by_reference) == []


def test_a_credential_in_a_configmap_key_is_refused():
    assert violations("llm-key-not-in-plaintext", "kubernetes:core/v1:ConfigMap", {"data": {"api-key": "x"}})
    assert violations("llm-key-not-in-plaintext", "kubernetes:core/v1:ConfigMap", {"data": {"region": "x"}}) == []


def test_the_key_in_its_places_passes_when_marked_and_fails_unmarked_where_markers_are_visible():
    seen = {"secretsVisible": True}
    marked = {"envs": Secret([f"LLM_API_KEY={KEY}", "LLM_MODEL=zai/glm-4.6"]),
              "uploads": [{"file": "/s.json", "content": Secret(json.dumps({"llm_api_key": KEY}))}]}
    assert violations("llm-key-not-in-plaintext", CONTAINER, marked, seen) == []
    plain = {"envs": [f"LLM_API_KEY={KEY}"]}
    assert violations("llm-key-not-in-plaintext", CONTAINER, plain, seen)
    # Under the CLI (no markers), the container env is where the key belongs: not a violation.
    assert violations("llm-key-not-in-plaintext", CONTAINER, plain) == []
    assert violations("llm-key-not-in-plaintext", "kubernetes:core/v1:Secret", {"stringData": {"k": KEY}}) == []
    assert violations("llm-key-not-in-plaintext", "aws:secretsmanager/secretVersion:SecretVersion",
                      {"secretString": Secret(KEY)}, seen) == []


def test_a_known_secret_of_any_shape_is_found_and_never_repeated():
    found = violations("llm-key-not-in-plaintext", "aws:ssm/parameter:Parameter", {"value": "prefix-s3cr3t-value"},
                       {"knownSecrets": ["s3cr3t-value"]})
    assert found == ["value holds the LLM key: reference it from a Secret or Secrets Manager instead"]


# -- secrets-manager-customer-kms-key ------------------------------------------------------------

@pytest.mark.parametrize("props, problems", [
    ({"kmsKeyId": "arn:aws:kms:eu-west-1:123456789012:key/abc"}, 0),
    ({}, 1),
    ({"kmsKeyId": "alias/aws/secretsmanager"}, 1),
    ({"kmsKeyId": "arn:aws:kms:eu-west-1:1:key/a", "replicas": [{"region": "eu-central-1"}]}, 1),
    ({"kmsKeyId": "arn:aws:kms:eu-west-1:1:key/a", "replicas": [{"region": "x", "kmsKeyId": "arn:k2"}]}, 0),
])
def test_secrets_use_a_customer_key(props, problems):
    assert len(violations("secrets-manager-customer-kms-key", "aws:secretsmanager/secret:Secret", props)) == problems


# -- no-open-security-group-egress ---------------------------------------------------------------

RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
HTTPS = {"ipProtocol": "tcp", "fromPort": 443, "toPort": 443}


@pytest.mark.parametrize("resource_type, props, open_", [
    (RULE, {**HTTPS, "cidrIpv4": "10.0.0.0/8"}, False),
    (RULE, {**HTTPS, "cidrIpv4": "0.0.0.0/0"}, True),
    (RULE, {**HTTPS, "cidrIpv6": "::/0"}, True),
    (RULE, {**HTTPS, "cidrIpv4": "0.0.0.0/0", "tags": {"openhands-zai:egress-exception": "network-firewall"}}, False),
    # The firewall exception covers HTTPS only.
    (RULE, {"ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "cidrIpv4": "0.0.0.0/0",
            "tags": {"openhands-zai:egress-exception": "network-firewall"}}, True),
    (RULE, {"ipProtocol": "-1", "cidrIpv4": "0.0.0.0/0",
            "tags": {"openhands-zai:egress-exception": "allowInsecureEgress"}}, False),
    ("aws:ec2/securityGroup:SecurityGroup", {"egress": [{"protocol": "-1", "cidrBlocks": ["0.0.0.0/0"]}]}, True),
    ("aws:ec2/securityGroupRule:SecurityGroupRule", {"type": "egress", "cidrBlocks": ["0.0.0.0/0"]}, True),
    ("aws:ec2/securityGroupRule:SecurityGroupRule", {"type": "ingress", "cidrBlocks": ["0.0.0.0/0"]}, False),
    ("aws:ec2/managedPrefixList:ManagedPrefixList", {"entries": [{"cidr": "0.0.0.0/0"}]}, True),
])
def test_open_egress_needs_the_stack_override(resource_type, props, open_):
    assert bool(violations("no-open-security-group-egress", resource_type, props)) is open_


# -- iam-no-wildcards ----------------------------------------------------------------------------

def _document(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@pytest.mark.parametrize("statement, bad", [
    ({"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "arn:aws:secretsmanager:x"}, False),
    ({"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::b"}, True),
    ({"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::b"}, True),
    ({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}, True),
    ({"Effect": "Allow", "NotAction": "iam:CreateUser", "Resource": "arn:aws:s3:::b"}, True),
    ({"Effect": "Deny", "Action": "*", "Resource": "*"}, False),  # a deny with wildcards only restricts
])
def test_identity_policies_grant_no_wildcards(statement, bad):
    for resource_type in ("aws:iam/policy:Policy", "aws:iam/rolePolicy:RolePolicy"):
        assert bool(violations("iam-no-wildcards", resource_type, {"policy": _document(statement)})) is bad
    inline = {"inlinePolicies": [{"name": "p", "policy": _document(statement)}]}
    assert bool(violations("iam-no-wildcards", "aws:iam/role:Role", inline)) is bad


# -- no-privileged-workloads ---------------------------------------------------------------------

SOCKET = {"hostPath": "/var/run/docker.sock", "containerPath": "/var/run/docker.sock"}
SANDBOX = {"label": "openhands-zai.sandbox-runtime", "value": "docker-socket"}


@pytest.mark.parametrize("props, bad", [
    ({"image": "sha256:abc"}, False),
    ({"privileged": True}, True),
    ({"networkMode": "host"}, True),
    ({"capabilities": {"adds": ["SYS_ADMIN"]}}, True),
    ({"volumes": [SOCKET]}, True),  # the socket without the documented exception
    ({"volumes": [SOCKET], "labels": [SANDBOX]}, False),  # the Docker target's server
    ({"volumes": [SOCKET], "labels": [SANDBOX], "privileged": True}, True),
    ({"volumes": [{"hostPath": "/run/docker.sock", "containerPath": "/var/run/docker.sock"}], "labels": [SANDBOX]},
     True),
])
def test_docker_containers_are_not_privileged(props, bad):
    assert bool(violations("no-privileged-workloads", CONTAINER, props)) is bad


@pytest.mark.parametrize("props, bad", [
    (pod({"securityContext": {"allowPrivilegeEscalation": False, "runAsNonRoot": True}}), False),
    (pod({"securityContext": {"privileged": True}}), True),
    (pod({"securityContext": {"allowPrivilegeEscalation": True}}), True),
    (pod({"securityContext": {"capabilities": {"add": ["NET_ADMIN"]}}}), True),
    (pod({}, hostNetwork=True), True),
    (pod({}, volumes=[{"name": "sock", "hostPath": {"path": "/var/run/docker.sock"}}]), True),
])
def test_pods_are_not_privileged(props, bad):
    assert bool(violations("no-privileged-workloads", STATEFULSET, props)) is bad


# -- images ----------------------------------------------------------------------------------------

DIGEST = "@sha256:" + "a" * 64


@pytest.mark.parametrize("reference, pinned, digest", [
    ("docker.openhands.dev/openhands/openhands:1.11.0", True, False),
    ("docker.openhands.dev/openhands/openhands:latest", False, False),
    ("registry:5000/openhands", False, False),  # a registry port is not a tag
    ("openhands/openhands:1.11.0" + DIGEST, True, True),
    ("openhands/openhands" + DIGEST, True, True),
])
def test_images_are_pinned_and_advised_to_carry_a_digest(reference, pinned, digest):
    for resource_type, props in (("docker:index/remoteImage:RemoteImage", {"name": reference}),
                                 (STATEFULSET, pod({"image": reference}))):
        assert (violations("images-pinned", resource_type, props) == []) is pinned
        assert (violations("images-have-digest", resource_type, props) == []) is digest


# -- advisories ------------------------------------------------------------------------------------

def test_aws_resources_are_advised_to_carry_owner_and_cost_centre():
    tagged = {"tags": {"environment": "prod", "owner": "platform", "cost-centre": "eng"}}
    assert violations("aws-resources-tagged", "aws:kms/key:Key", tagged) == []
    assert violations("aws-resources-tagged", "aws:kms/key:Key", {"tags": {"environment": "prod"}}) == [
        "tags lack owner, cost-center (set them in openhands-zai:tags)"]
    assert violations("aws-resources-tagged", "aws:ec2/route:Route", {}) == []  # routes take no tags


@pytest.mark.parametrize("window, advised", [(None, False), (7, False), (30, False), (6, True), (0, True)])
def test_recovery_window_is_advised_to_be_a_week(window, advised):
    props = {} if window is None else {"recoveryWindowInDays": window}
    assert bool(violations("secret-recovery-window", "aws:secretsmanager/secret:Secret", props)) is advised


def test_a_coding_plan_stack_is_advised_to_label_its_key():
    coding = (CONTAINER, {"envs": Secret(["LLM_BASE_URL=https://api.z.ai/api/coding/paas/v4"]), "labels": []})
    general = (CONTAINER, {"envs": ["LLM_BASE_URL=https://api.z.ai/api/paas/v4"]})
    labelled = ("aws:secretsmanager/secret:Secret", {"tags": {"zai-key-plan": "coding-plan"}})
    mislabelled = ("aws:secretsmanager/secret:Secret", {"tags": {"zai-key-plan": "general"}})
    assert stack_violations("coding-plan-key-label", [coding])
    assert stack_violations("coding-plan-key-label", [coding, labelled]) == []
    assert stack_violations("coding-plan-key-label", [general]) == []
    assert stack_violations("coding-plan-key-label", [coding, labelled, mislabelled]) == [
        "zai-key-plan is 'general' but the stack calls the Coding Plan endpoint"]


GATEWAY_CONFIG = "model_list:\n- litellm_params:\n    api_base: https://api.z.ai/api/coding/paas/v4\n    model: zai/glm-4.6\n"


def test_behind_the_gateway_the_coding_plan_is_seen_in_the_gateways_config():
    # OpenHands calls the gateway; the gateway's config.yaml says where the calls end.
    app = (CONTAINER, {"envs": Secret(["LLM_BASE_URL=http://host.docker.internal:4000"])})
    docker_gateway = (CONTAINER, {"uploads": [{"file": "/etc/litellm/config.yaml", "content": GATEWAY_CONFIG}]})
    config_map = ("kubernetes:core/v1:ConfigMap", {"metadata": {"name": "openhands-gateway"},
                                                   "data": {"config.yaml": GATEWAY_CONFIG}})
    labelled = ("aws:secretsmanager/secret:Secret", {"tags": {"zai-key-plan": "coding-plan"}})
    assert stack_violations("coding-plan-key-label", [app]) == []
    assert stack_violations("coding-plan-key-label", [app, docker_gateway])
    assert stack_violations("coding-plan-key-label", [app, config_map])
    assert stack_violations("coding-plan-key-label", [app, docker_gateway, labelled]) == []


@pytest.mark.parametrize(("resource_type", "props", "advised"), [
    (CONTAINER, {"envs": Secret(["LLM_MODEL=zai/glm-4.6", "LLM_API_KEY=k"])}, True),
    (CONTAINER, {"envs": Secret(["LLM_MODEL=litellm_proxy/glm-4.6-latest", "LLM_API_KEY=k"])}, False),
    (STATEFULSET, pod({"env": [{"name": "LLM_MODEL", "value": "zai/glm-4.5"}]}), True),
    (STATEFULSET, pod({"env": [{"name": "LLM_MODEL", "value": "litellm_proxy/glm-4.5-coding"}]}), False),
    (CONTAINER, {"envs": ["ZAI_API_KEY=k"]}, False),  # the gateway itself
])
def test_openhands_is_advised_to_hold_the_gateways_key_not_zais(resource_type, props, advised):
    found = violations("llm-key-behind-gateway", resource_type, props)
    assert bool(found) is advised
    assert all("set openhands-zai:gateway" in message for message in found)
