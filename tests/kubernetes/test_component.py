"""OpenHandsCluster under Pulumi's mock engine (preview=False, registrations settled)."""

import json

import pulumi
import pulumi_kubernetes as k8s
import pytest

from openhands_zai import OpenHandsCluster, OpenHandsClusterArgs
from openhands_zai.kubernetes.settings import KubernetesSettings
from tests.helpers import SENTINEL_KEY, settings
from tests.mock_engine import MOCKS, OPTIONS, deploy, unwrap

EGRESS = {"vpcId": "vpc-0a1b2c3d", "allowCidrs": ["10.90.0.0/16"]}


def build(name, sync, **extra):
    stack = settings(target="kubernetes", egress=EGRESS, kubernetes={"secretSync": "direct"})
    kube = KubernetesSettings(secret_sync=sync, **extra)
    made = {}

    def program():
        provider = k8s.Provider(f"{name}-k8s", kubeconfig="{}")
        made["component"] = OpenHandsCluster(name, OpenHandsClusterArgs(
            settings=kube, llm=stack.llm, release=stack.release.pinned, debug=stack.debug,
            api_key=SENTINEL_KEY if sync == "direct" else None,
            secret_name="openhands-zai/test/zai-api-key" if sync != "direct" else None,
            region="eu-west-1" if sync != "direct" else None,
            service_account_role_arn="arn:aws:iam::123456789012:role/reader", egress=stack.egress),
            opts=pulumi.ResourceOptions(providers=[provider]))
        return pulumi.Output.all(made["component"].namespace, made["component"].url)

    return deploy(program), made["component"]


def children(name):
    return {n: a for n, a in MOCKS.created.items() if n.startswith(f"{name}-") and not n.endswith("-k8s")}


def test_direct_sync_keeps_the_key_a_secret_and_out_of_every_other_object():
    (namespace, url), component = build("direct", "direct")
    assert namespace == "openhands" and "port-forward" in url
    created = children("direct")
    data, is_secret = unwrap(created["direct-llm"].inputs["stringData"])
    assert is_secret and data["api-key"] == SENTINEL_KEY
    assert json.loads(data["settings.json"])["agent_settings"]["llm"]["api_key"] == SENTINEL_KEY
    for name, args in created.items():
        if name != "direct-llm":
            assert SENTINEL_KEY not in json.dumps(args.inputs), name
        assert OPTIONS[name].parent is component, name
    assert not [a for a in created.values() if a.typ.endswith("ExternalSecret")]


def test_external_secrets_sync_and_egress_policies():
    _, component = build("eso", "external-secrets", cilium=True)
    created = children("eso")
    types = sorted(a.typ for a in created.values())
    assert "kubernetes:external-secrets.io/v1:SecretStore" in types
    assert "kubernetes:external-secrets.io/v1:ExternalSecret" in types
    assert "kubernetes:cilium.io/v2:CiliumNetworkPolicy" in types
    # Egress: default deny, the allow-list; ingress: default deny (no Ingress, so nothing reaches the UI
    # but `kubectl port-forward`).
    assert types.count("kubernetes:networking.k8s.io/v1:NetworkPolicy") == 3
    store = created["eso-secret-store"].inputs["spec"]["provider"]["aws"]
    assert store == {"service": "SecretsManager", "region": "eu-west-1",
                     "auth": {"jwt": {"serviceAccountRef": {"name": "openhands-secret-sync"}}}}
    # The role goes to the sync's account, which no pod runs as; the pod's account has none.
    sync = created["eso-secret-sync-account"].inputs
    assert sync["metadata"]["annotations"] == {"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/reader"}
    account = created["eso-service-account"].inputs
    assert "annotations" not in account["metadata"] and account["automountServiceAccountToken"] is False
    (workload,) = [a for a in created.values() if a.typ == "kubernetes:apps/v1:StatefulSet"]
    assert workload.inputs["spec"]["template"]["spec"]["serviceAccountName"] == "openhands"
    # The key never passes through Pulumi: the one Secret it writes holds the server's own keys.
    secrets = [a for a in created.values() if a.typ == "kubernetes:core/v1:Secret"]
    assert [s.inputs["metadata"]["name"] for s in secrets] == ["openhands-server-keys"]
    data, secret = unwrap(secrets[0].inputs["stringData"])
    assert secret and sorted(data) == ["agent-secret-key", "jwt-secret", "sandbox-session-key"]


def test_missing_inputs_for_the_sync_are_programming_errors():
    stack = settings()

    @pulumi.runtime.test
    def run():
        with pytest.raises(ValueError, match="external-secrets needs"):
            OpenHandsCluster("bad", OpenHandsClusterArgs(settings=KubernetesSettings(), llm=stack.llm,
                                                         release=stack.release.pinned, debug=stack.debug))
        with pytest.raises(ValueError, match="direct sync needs"):
            OpenHandsCluster("bad2", OpenHandsClusterArgs(settings=KubernetesSettings(secret_sync="direct"),
                                                          llm=stack.llm, release=stack.release.pinned, debug=stack.debug))

    run()
