"""openhands-zai:kubernetes / openhands-zai:eks: defaults, cross-checks with the secret, errors by key."""

import pytest

from openhands_zai import parse_stack_settings
from tests.helpers import problems

OIDC = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC"
SECRET = {"createReaderRole": {"irsa": {"oidcProviderArn": OIDC, "namespace": "openhands",
                                        "serviceAccount": "openhands-secret-sync"}}}


def test_defaults_with_external_secrets():
    stack = parse_stack_settings({"target": "kubernetes", "secret": SECRET})
    kube = stack.kubernetes
    assert (kube.namespace, kube.replicas, kube.secret_sync, kube.runtime.kind) == ("openhands", 1, "external-secrets",
                                                                                    "agent-server-sidecar")
    assert kube.resources.limits.memory == "8Gi" and kube.storage.size == "20Gi"


def test_a_partial_resources_block_keeps_the_other_defaults():
    kube = parse_stack_settings({"target": "kubernetes", "secret": SECRET,
                                 "kubernetes": {"resources": {"limits": {"memory": "16Gi"}}}}).kubernetes
    assert kube.resources.model_dump() == {"requests": {"cpu": "1", "memory": "2Gi"},
                                           "limits": {"cpu": "4", "memory": "16Gi"}}


def test_direct_sync_needs_no_aws():
    stack = parse_stack_settings({"target": "kubernetes", "kubernetes": {"secretSync": "direct", "context": "kind"}})
    assert stack.kubernetes.secret_sync == "direct" and stack.secret is None


@pytest.mark.parametrize("kube,key", [
    ({"replicas": 0}, "replicas"),
    ({"replicas": 2}, "replicas"),
    ({"replicas": "many"}, "replicas"),
    ({"ingress": {"host": "https://openhands.example.com"}}, "ingress.host"),
    ({"ingress": {"host": "Open Hands"}}, "ingress.host"),
    ({"secretSync": "vault"}, "secretSync"),
    ({"namespace": "Open_Hands"}, "namespace"),
    ({"storage": {"size": "lots"}}, "storage.size"),
    ({"resources": {"limits": {"memory": "8 GB"}}}, "resources.limits.memory"),
    ({"runtime": {"kind": "docker"}}, "runtime.kind"),
    ({"serviceAccountRoleArn": "role/x"}, "serviceAccountRoleArn"),
    ({"cilium": "yes"}, "cilium"),
    ({"replica": 1}, "replica"),
])
def test_bad_kubernetes_values_name_their_key(kube, key):
    found = problems(target="kubernetes", secret=SECRET, kubernetes=kube)
    assert f"openhands-zai:kubernetes.{key}" in found, found


def test_external_secrets_needs_the_secret_and_an_identity():
    assert "openhands-zai:kubernetes.secretSync" in problems(target="kubernetes")
    assert "openhands-zai:kubernetes.serviceAccountRoleArn" in problems(target="kubernetes", secret={})
    wrong = {"createReaderRole": {"irsa": {"oidcProviderArn": OIDC, "namespace": "tools", "serviceAccount": "x"}}}
    assert "openhands-zai:secret.createReaderRole.irsa" in problems(target="kubernetes", secret=wrong)


def test_cluster_keys_need_the_kubernetes_target():
    assert "openhands-zai:kubernetes" in problems(kubernetes={"secretSync": "direct"})


def test_eks_settings_and_the_oidc_provider_it_supplies():
    stack = parse_stack_settings({"target": "kubernetes", "eks": {"subnetIds": ["subnet-0a1b2c3d", "subnet-0a1b2c3e"]},
                                  "secret": {"createReaderRole": {"irsa": {"namespace": "openhands",
                                                                           "serviceAccount": "openhands-secret-sync"}}}})
    assert stack.eks.version == "1.33" and stack.eks.node_count == 2
    assert stack.secret.create_reader_role.irsa.oidc_provider_arn is None  # filled from the new cluster
    # Without eks, the provider ARN is required.
    assert "openhands-zai:secret.createReaderRole.irsa.oidcProviderArn" in problems(
        target="kubernetes", secret={"createReaderRole": {"irsa": {"namespace": "openhands",
                                                                           "serviceAccount": "openhands-secret-sync"}}})


@pytest.mark.parametrize("eks,key", [
    ({"subnetIds": ["subnet-0a1b2c3d"]}, "subnetIds"),
    ({"subnetIds": ["subnet-0a1b2c3d", "sn-2"]}, "subnetIds[1]"),
    ({"subnetIds": ["subnet-0a1b2c3d", "subnet-0a1b2c3e"], "version": "1.12"}, "version"),
    ({"subnetIds": ["subnet-0a1b2c3d", "subnet-0a1b2c3e"], "nodeCount": 0}, "nodeCount"),
    ({"subnetIds": ["subnet-0a1b2c3d", "subnet-0a1b2c3e"], "nodeInstanceTypes": ["big"]}, "nodeInstanceTypes"),
])
def test_bad_eks_values_name_their_key(eks, key):
    found = problems(target="kubernetes", secret=SECRET, eks=eks)
    assert f"openhands-zai:eks.{key}" in found, found


def test_kubeconfig_is_not_used_with_eks():
    found = problems(target="kubernetes", secret=SECRET, kubernetes={"context": "x"},
                     eks={"subnetIds": ["subnet-0a1b2c3d", "subnet-0a1b2c3e"]})
    assert "openhands-zai:kubernetes.kubeconfig" in found


OIDC_LOGIN = {"provider": "oauth2-proxy", "issuerUrl": "https://login.example.com/realms/x", "clientId": "openhands",
              "clientSecretName": "openhands-oidc", "allowedEmailDomains": ["example.com"]}
INGRESS = {"host": "openhands.example.com", "className": "nginx", "tlsSecretName": "openhands-tls"}


def test_an_ingress_without_a_login_is_refused_unless_said_so_and_then_warned():
    found = problems(target="kubernetes", secret=SECRET, kubernetes={"ingress": INGRESS})
    assert "no login" in found["openhands-zai:kubernetes.ingress"]
    assert "allowUnauthenticated" in found["openhands-zai:kubernetes.ingress"]
    stack = parse_stack_settings({"target": "kubernetes", "secret": SECRET,
                                  "kubernetes": {"ingress": INGRESS, "allowUnauthenticated": True}})
    assert any("allowUnauthenticated is true" in w and "no login" in w for w in stack.warnings)
    # With a login, no warning about it.
    stack = parse_stack_settings({"target": "kubernetes", "secret": SECRET,
                                  "kubernetes": {"ingress": INGRESS, "auth": OIDC_LOGIN}})
    assert not any("allowUnauthenticated" in w for w in stack.warnings)


def test_tls_is_required_on_every_ingress():
    plain = {k: v for k, v in INGRESS.items() if k != "tlsSecretName"}
    for kube in ({"ingress": plain, "auth": OIDC_LOGIN}, {"ingress": plain, "allowUnauthenticated": True}):
        found = problems(target="kubernetes", secret=SECRET, kubernetes=kube)
        assert "is required" in found["openhands-zai:kubernetes.ingress.tlsSecretName"]


@pytest.mark.parametrize("auth,key", [
    ({"provider": "oauth2-proxy"}, "issuerUrl"),
    ({**OIDC_LOGIN, "allowedEmailDomains": []}, "allowedEmailDomains"),
    ({**OIDC_LOGIN, "issuerUrl": "http://login.example.com"}, "issuerUrl"),
    ({"provider": "alb-cognito"}, "certificateArn"),
    ({"provider": "alb-oidc", "loadBalancerCidrs": ["0.0.0.0/0"]}, "loadBalancerCidrs[0]"),
    ({"provider": "basic"}, "provider"),
])
def test_a_login_missing_what_it_needs_names_the_key(auth, key):
    found = problems(target="kubernetes", secret=SECRET, kubernetes={"ingress": INGRESS, "auth": auth})
    assert f"openhands-zai:kubernetes.auth.{key}" in found, found


def test_the_reader_role_may_not_trust_the_pod_where_the_agent_runs():
    found = problems(target="kubernetes", secret={"createReaderRole": {"irsa": {
        "oidcProviderArn": "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC",
        "namespace": "openhands", "serviceAccount": "openhands"}}})
    message = found["openhands-zai:secret.createReaderRole.irsa.serviceAccount"]
    assert "where the agent runs" in message and "openhands-secret-sync" in message
