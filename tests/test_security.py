"""The security claims of docs/security.md, checked on the rendered plans of the
shipped prod, staging and build-host stacks (`openhands-zai plan`, the program under Pulumi's mocks).

Each test reads the objects a real `pulumi up` would create and reasons over them the way the
cluster and AWS would: which identity a pod's containers can obtain, which roles can read the key,
which sources NetworkPolicies let reach a port, whether a metadata address is reachable, what the
VPC resolver answers. None of them looks for a string the code happens to write.
"""

from __future__ import annotations

import ipaddress
import json
from functools import cache
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.helpers import planned

CLUSTER_STACKS = ("prod", "staging")
METADATA = ("169.254.169.254", "169.254.170.23", "fd00:ec2::254", "fd00:ec2::23")  # IMDS, Pod Identity agent
AGENT_CONTAINERS = {"agent-server"}  # where OpenHands' agent runs its commands on the cluster target


@cache
def plan_of(stack: str) -> dict[str, Any]:
    result = planned(stack, ROOT / "examples" / "stacks" / f"Pulumi.{stack}.yaml")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def resources(stack: str, type_suffix: str) -> list[dict[str, Any]]:
    found = [r for r in plan_of(stack)["resources"] if r["type"].endswith(type_suffix)]
    return found


def kube(stack: str, kind: str) -> list[dict[str, Any]]:
    return [r["inputs"] for r in plan_of(stack)["resources"]
            if r["type"].startswith("kubernetes:") and r["inputs"].get("kind") == kind]


def policy_document(text: Any) -> dict[str, Any]:
    return json.loads(text) if isinstance(text, str) else text


def statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    found = document["Statement"]
    return found if isinstance(found, list) else [found]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# -- identities ---------------------------------------------------------------------------------

def roles_that_read_the_key(stack: str) -> dict[str, dict[str, Any]]:
    """Every role of the plan with the reader policy attached: name -> its trust policy."""
    readers = {r["inputs"]["role"] for r in resources(stack, "iam/rolePolicyAttachment:RolePolicyAttachment")
               if "reader" in r["name"] and "zai-api-key" in r["inputs"]["policyArn"]}
    roles = {}
    for role in resources(stack, "iam/role:Role"):
        physical = role["inputs"].get("name") or f"{role['name']}-"
        if any(reader.startswith(role["name"]) for reader in readers) or physical in readers:
            roles[role["name"]] = policy_document(role["inputs"]["assumeRolePolicy"])
    assert readers, f"{stack}: no reader policy attachment in the plan: the test would prove nothing"
    return roles


def trusted_service_accounts(trust: dict[str, Any]) -> list[str]:
    """The `system:serviceaccount:<ns>:<name>` subjects an IRSA trust policy admits."""
    subjects = []
    for statement in statements(trust):
        for conditions in statement.get("Condition", {}).values():
            for key, value in conditions.items():
                if key.endswith(":sub"):
                    subjects += as_list(value)
    return subjects


def agent_pods(stack: str) -> list[dict[str, Any]]:
    """The pod templates with a container where the agent runs."""
    pods = []
    for kind in ("StatefulSet", "Deployment", "DaemonSet", "Job"):
        for workload in kube(stack, kind):
            spec = workload["spec"]["template"]["spec"]
            if any(c["name"] in AGENT_CONTAINERS for c in spec["containers"]):
                pods.append({"namespace": workload["metadata"]["namespace"], **spec})
    assert pods, f"{stack}: no agent-bearing pod in the plan"
    return pods


@pytest.mark.parametrize("stack", CLUSTER_STACKS)
def test_no_container_of_an_agent_pod_can_obtain_a_role_that_reads_the_key(stack):
    readers = roles_that_read_the_key(stack)
    accounts = {a["metadata"]["name"]: a for a in kube(stack, "ServiceAccount")}
    for pod in agent_pods(stack):
        name = pod.get("serviceAccountName", "default")
        subject = f"system:serviceaccount:{pod['namespace']}:{name}"
        # IRSA: EKS's webhook injects the annotated role into every container of the pod.
        annotations = accounts.get(name, {}).get("metadata", {}).get("annotations") or {}
        assert "eks.amazonaws.com/role-arn" not in annotations, f"{stack}: {name} carries a role into the agent's pod"
        for role, trust in readers.items():
            assert subject not in trusted_service_accounts(trust), f"{stack}: {role} trusts {subject}"
            assert not any("*" in s for s in trusted_service_accounts(trust)), f"{stack}: {role} trusts a wildcard"
        # No token a web-identity exchange could use, no credentials by environment.
        assert pod.get("automountServiceAccountToken") is False
        assert not any("projected" in v for v in pod.get("volumes", []))
        for container in pod["containers"] + pod.get("initContainers", []):
            assert not [e["name"] for e in container.get("env", []) if e["name"].startswith("AWS_")]
    # EKS Pod Identity would bind a role by association instead: none names the agent's account.
    for association in resources(stack, "eks/podIdentityAssociation:PodIdentityAssociation"):
        assert association["inputs"]["serviceAccount"] not in {p.get("serviceAccountName") for p in agent_pods(stack)}


@pytest.mark.parametrize("stack", CLUSTER_STACKS)
def test_only_the_secret_sync_account_is_trusted_and_no_pod_runs_as_it(stack):
    accounts = {a["metadata"]["name"]: a for a in kube(stack, "ServiceAccount")}
    stores = kube(stack, "SecretStore")
    assert stores, f"{stack}: no SecretStore"
    sync = stores[0]["spec"]["provider"]["aws"]["auth"]["jwt"]["serviceAccountRef"]["name"]
    assert sync in accounts
    pods = [w["spec"]["template"]["spec"] for kind in ("StatefulSet", "Deployment") for w in kube(stack, kind)]
    assert sync not in {p.get("serviceAccountName", "default") for p in pods}, "a pod runs as the sync's account"
    for role, trust in roles_that_read_the_key(stack).items():
        assert {s.rsplit(":", 1)[1] for s in trusted_service_accounts(trust)} <= {sync}, role


def test_the_build_host_has_no_role_that_reads_the_key():
    # Nothing on the host reads the secret (the deployer's Pulumi reads it and hands it to the gateway).
    for role in resources("build-host", "iam/role:Role"):
        for statement in statements(policy_document(role["inputs"]["assumeRolePolicy"])):
            assert "ec2.amazonaws.com" not in json.dumps(statement.get("Principal")), role["name"]
    assert not resources("build-host", "iam/instanceProfile:InstanceProfile")


def _principals(statement: dict[str, Any]) -> list[str]:
    principal = statement.get("Principal")
    return ["*"] if principal == "*" else as_list(principal.get("AWS", [])) if isinstance(principal, dict) else []


@pytest.mark.parametrize("stack", [*CLUSTER_STACKS, "build-host"])
def test_key_policy_and_secret_policy_name_who_may_decrypt_and_read(stack):
    for key in resources(stack, "kms/key:Key"):
        for statement in statements(policy_document(key["inputs"]["policy"])):
            actions = set(as_list(statement["Action"]))
            uses = actions & {"kms:Decrypt", "kms:*", "kms:GenerateDataKey", "kms:Encrypt"}
            if statement["Effect"] == "Allow" and uses:
                # No "anyone in the account": the use of the key is granted to named principals only.
                assert "*" not in _principals(statement), statement["Sid"]
                assert not any(p.endswith(":root") for p in _principals(statement)), statement["Sid"]
                assert "kms:ViaService" in json.dumps(statement.get("Condition")), statement["Sid"]
    for secret_policy in resources(stack, "secretsmanager/secretPolicy:SecretPolicy"):
        document = policy_document(secret_policy["inputs"]["policy"])
        denies = [s for s in statements(document) if s["Effect"] == "Deny" and "secretsmanager:GetSecretValue" in
                  as_list(s["Action"]) + ["secretsmanager:*" if "secretsmanager:*" in as_list(s["Action"]) else ""]]
        named = [s for s in denies if "aws:PrincipalArn" in json.dumps(s.get("Condition"))
                 and "aws:PrincipalAccount" not in json.dumps(s.get("Condition"))]
        assert named, f"{stack}: the secret policy does not deny reading to principals it does not name"


# -- no anonymous UI ------------------------------------------------------------------------------

def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    if not all(labels.get(k) == v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expression in selector.get("matchExpressions") or []:
        value = labels.get(expression["key"])
        if expression["operator"] == "In" and value not in expression["values"]:
            return False
        if expression["operator"] == "NotIn" and value in expression["values"]:
            return False
    return True


def _policies_for(stack: str, namespace: str, labels: dict[str, str], direction: str) -> list[dict[str, Any]]:
    return [p for p in kube(stack, "NetworkPolicy") if p["metadata"]["namespace"] == namespace
            and direction in p["spec"].get("policyTypes", ["Ingress"]) and _selects(p["spec"]["podSelector"], labels)]


def _port_matches(ports: list[dict[str, Any]] | None, port: int | str, names: dict[str, int]) -> bool:
    if not ports:
        return True
    for item in ports:
        wanted = item.get("port")
        if wanted is None or wanted == port or names.get(str(wanted)) == port:
            return True
    return False


def pods_of(stack: str) -> list[dict[str, Any]]:
    pods = []
    for kind in ("StatefulSet", "Deployment"):
        for workload in kube(stack, kind):
            template = workload["spec"]["template"]
            names = {p["name"]: p["containerPort"] for c in template["spec"]["containers"] for p in c.get("ports", [])}
            pods.append({"namespace": workload["metadata"]["namespace"], "labels": template["metadata"]["labels"],
                         "ports": names, "spec": template["spec"]})
    return pods


def ingress_sources(stack: str, pod: dict[str, Any], port: int) -> list[dict[str, Any]] | None:
    """The `from` peers NetworkPolicies admit to a pod's port; None: anything (no policy selects it)."""
    policies = _policies_for(stack, pod["namespace"], pod["labels"], "Ingress")
    if not policies:
        return None
    peers: list[dict[str, Any]] = []
    for policy in policies:
        for rule in policy["spec"].get("ingress") or []:
            if _port_matches(rule.get("ports"), port, pod["ports"]):
                if not rule.get("from"):
                    return None
                peers += rule["from"]
    return peers


def _the_ui_pod(stack: str) -> dict[str, Any]:
    found = [p for p in pods_of(stack) if any(c["name"] in AGENT_CONTAINERS for c in p["spec"]["containers"])]
    assert len(found) == 1
    return found[0]


@pytest.mark.parametrize("stack", CLUSTER_STACKS)
def test_the_ui_is_reached_only_through_authentication(stack):
    ui = _the_ui_pod(stack)
    services = {s["metadata"]["name"]: s for s in kube(stack, "Service")}
    ingresses = kube(stack, "Ingress")
    assert ingresses, f"{stack}: the template exposes the UI through an Ingress"
    for ingress in ingresses:
        # TLS on every Ingress: a certificate on the ALB, or a TLS secret.
        annotations = ingress["metadata"].get("annotations") or {}
        assert ingress["spec"].get("tls") or annotations.get("alb.ingress.kubernetes.io/certificate-arn")
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = services[path["backend"]["service"]["name"]]
                if _selects({"matchLabels": backend["spec"]["selector"]}, ui["labels"]):
                    # Straight to the UI: only an ALB that authenticates first may do that.
                    assert annotations.get("alb.ingress.kubernetes.io/auth-type") in ("oidc", "cognito"), stack
                    assert json.loads(annotations["alb.ingress.kubernetes.io/listen-ports"]) == [{"HTTPS": 443}]
                    assert annotations.get("alb.ingress.kubernetes.io/auth-on-unauthenticated-request") in (
                        None, "authenticate")
    # Inside the cluster: only the authentication layer reaches the UI's port.
    sources = ingress_sources(stack, ui, ui["ports"]["http"])
    assert sources is not None, f"{stack}: every pod of the cluster can reach the UI"
    assert sources, f"{stack}: nothing reaches the UI, not even the authentication layer"
    for peer in sources:
        if "ipBlock" in peer:  # the ALB's subnets
            assert ipaddress.ip_network(peer["ipBlock"]["cidr"]).prefixlen > 0, peer
        else:
            selected = [p for p in pods_of(stack) if _selects(peer.get("podSelector", {}), p["labels"])]
            assert selected and all(
                c["image"].split("@")[0].split(":")[0].endswith("oauth2-proxy") for p in selected
                for c in p["spec"]["containers"]), peer


@pytest.mark.parametrize("stack", CLUSTER_STACKS)
def test_only_openhands_reaches_the_gateway(stack):
    gateways = [p for p in pods_of(stack) if p["labels"].get("app.kubernetes.io/name") == "openhands-gateway"]
    if not gateways:
        pytest.skip(f"{stack} has no gateway")
    for gateway in gateways:
        sources = ingress_sources(stack, gateway, next(iter(gateway["ports"].values())))
        assert sources, "the gateway takes connections from any pod"
        for peer in sources:
            selected = [p for p in pods_of(stack) if _selects(peer.get("podSelector", {}), p["labels"])]
            assert selected == [_the_ui_pod(stack)]


# -- egress that holds ----------------------------------------------------------------------------

def _reaches(rule: dict[str, Any], address: str) -> bool:
    peers = rule.get("to")
    if not peers:
        return True  # no `to`: every destination
    ip = ipaddress.ip_address(address)
    for peer in peers:
        block = peer.get("ipBlock")
        if block and ip.version == ipaddress.ip_network(block["cidr"]).version \
                and ip in ipaddress.ip_network(block["cidr"]) \
                and not any(ip in ipaddress.ip_network(e) for e in block.get("except", [])):
            return True
    return False


@pytest.mark.parametrize("stack", CLUSTER_STACKS)
def test_no_pod_reaches_the_metadata_address(stack):
    pods = pods_of(stack)
    assert pods
    for pod in pods:
        policies = _policies_for(stack, pod["namespace"], pod["labels"], "Egress")
        assert policies, f"{stack}: {pod['labels']} has no egress policy, so it may reach anything"
        for policy in policies:
            for rule in policy["spec"].get("egress") or []:
                for address in METADATA:
                    assert not _reaches(rule, address), f"{stack}: {policy['metadata']['name']} lets {address} in"


def launch_templates(stack: str) -> list[dict[str, Any]]:
    return [r["inputs"] for r in resources(stack, "ec2/launchTemplate:LaunchTemplate")]


@pytest.mark.parametrize("stack", ["prod", "build-host"])
def test_imdsv2_with_hop_limit_one_by_launch_template(stack):
    templates = launch_templates(stack)
    assert templates, f"{stack}: no launch template"
    for template in templates:
        options = template["metadataOptions"]
        assert options["httpTokens"] == "required" and options["httpPutResponseHopLimit"] == 1
    if stack == "prod":
        group = resources(stack, "eks/nodeGroup:NodeGroup")[0]["inputs"]
        assert group.get("launchTemplate"), "the node group does not use the launch template"


def test_the_new_cluster_enforces_network_policies_and_carries_the_egress_group_on_its_nodes():
    addons = {r["inputs"]["addonName"]: r["inputs"] for r in resources("prod", "eks/addon:Addon")}
    assert json.loads(addons["vpc-cni"]["configurationValues"])["enableNetworkPolicy"] == "true"
    (template,) = launch_templates("prod")
    groups = template["vpcSecurityGroupIds"]
    egress_group = plan_of("prod")["outputs"]["securityGroupId"]
    assert egress_group in groups
    # The control plane's group lets everything out; on the nodes it would undo the allow-list.
    cluster = resources("prod", "eks/cluster:Cluster")[0]["inputs"]
    assert egress_group not in cluster["vpcConfig"].get("securityGroupIds", [])
    for rule in resources("prod", "vpc/securityGroupEgressRule:SecurityGroupEgressRule"):
        inputs = rule["inputs"]
        if inputs["securityGroupId"] in groups and inputs.get("cidrIpv4") == "0.0.0.0/0":
            assert inputs.get("fromPort") == 443 and "firewall" in rule["name"], rule["name"]


@pytest.mark.parametrize("stack", [*CLUSTER_STACKS, "build-host"])
def test_dns_is_filtered_by_the_resolver_firewall(stack):
    lists = {r["name"]: r["inputs"]["domains"] for r in resources(stack, "route53/resolverFirewallDomainList:"
                                                                         "ResolverFirewallDomainList")}
    rules = [r["inputs"] for r in resources(stack, "route53/resolverFirewallRule:ResolverFirewallRule")]
    associations = resources(stack, "route53/resolverFirewallRuleGroupAssociation:ResolverFirewallRuleGroupAssociation")
    assert associations, f"{stack}: no DNS firewall on the VPC"
    egress = [r for r in resources(stack, "ec2/securityGroup:SecurityGroup") if r["name"] == "egress-workloads"][0]
    assert {a["inputs"]["vpcId"] for a in associations} == {egress["inputs"]["vpcId"]}
    by_priority = sorted(rules, key=lambda r: r["priority"])
    assert by_priority[-1]["action"] == "BLOCK", "the last rule must block what no rule allowed"
    blocked = [d for name, domains in lists.items() for d in domains if name.endswith("everything")]
    assert blocked == ["*"]
    allowed = {d for name, domains in lists.items() if not name.endswith("everything") for d in domains}
    firewall_targets = resources(stack, "networkfirewall/ruleGroup:RuleGroup")[0]["inputs"]["ruleGroup"][
        "rulesSource"]["rulesSourceList"]["targets"]
    for target in firewall_targets:
        assert (f"*{target}" if target.startswith(".") else target) in allowed, target
    assert "*" not in allowed
    configs = resources(stack, "route53/resolverFirewallConfig:ResolverFirewallConfig")
    assert configs and configs[0]["inputs"]["firewallFailOpen"] == "DISABLED"
