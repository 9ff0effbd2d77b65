"""The Kubernetes target's manifests: Kubernetes' own schemas, the settings hash, the key's path."""

import json

import kubernetes_validate
import pytest
import yaml
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from openhands_zai.kubernetes import plan
from openhands_zai.kubernetes.settings import KubernetesSettings
from tests.conftest import ROOT
from tests.helpers import SENTINEL_KEY, planned, settings

K8S_VERSIONS = ["1.30.0", kubernetes_validate.utils.latest_version()]
CORE_KINDS = {"Namespace", "ServiceAccount", "Secret", "StatefulSet", "Service", "Ingress", "PodDisruptionBudget",
              "NetworkPolicy", "Deployment", "ConfigMap"}


def manifests(stack):
    result = planned(stack, ROOT / "examples" / "stacks" / f"Pulumi.{stack}.yaml", fmt="manifests")
    assert result.returncode == 0, result.stderr
    assert SENTINEL_KEY not in result.stdout
    return list(yaml.safe_load_all(result.stdout))


@pytest.fixture(scope="module", params=["staging", "prod"])
def stack_objects(request):
    return manifests(request.param)


@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_every_core_object_validates_strictly(stack_objects, version):
    kinds = {obj["kind"] for obj in stack_objects}
    assert {"Namespace", "ServiceAccount", "StatefulSet", "Service", "Ingress", "PodDisruptionBudget",
            "NetworkPolicy", "SecretStore", "ExternalSecret"} <= kinds
    for obj in stack_objects:
        if obj["kind"] in CORE_KINDS:
            kubernetes_validate.validate(obj, version, strict=True)


def test_the_key_reaches_the_pod_only_by_reference(stack_objects):
    (workload,) = [o for o in stack_objects if o["kind"] == "StatefulSet"]
    env = workload["spec"]["template"]["spec"]["containers"][0]["env"]
    (key,) = [e for e in env if e["name"] == "LLM_API_KEY"]
    assert key == {"name": "LLM_API_KEY", "valueFrom": {"secretKeyRef": {"name": "openhands-llm", "key": "api-key"}}}
    (external,) = [o for o in stack_objects if o["kind"] == "ExternalSecret"]
    template = external["spec"]["target"]["template"]["data"]
    assert template["api-key"] == "{{ .apiKey }}"
    assert external["spec"]["data"][0]["remoteRef"]["version"] == "AWSCURRENT"
    secrets = {o["metadata"]["name"]: o for o in stack_objects if o["kind"] == "Secret"}
    gateways = [o for o in stack_objects if o["kind"] == "Deployment" and o["metadata"]["name"] == "openhands-gateway"]
    if gateways:
        # Behind the gateway the Z.AI key is synced into the gateway's Secret alone, and OpenHands'
        # Secret (written by Pulumi) holds the gateway's key, redacted in the plan.
        assert external["spec"]["target"]["name"] == "zai-api-key" and set(template) == {"api-key"}
        gateway_env = {e["name"]: e for e in gateways[0]["spec"]["template"]["spec"]["containers"][0]["env"]}
        assert gateway_env["ZAI_API_KEY"]["valueFrom"] == {"secretKeyRef": {"name": "zai-api-key", "key": "api-key"}}
        assert gateway_env["LITELLM_MASTER_KEY"]["valueFrom"] == {
            "secretKeyRef": {"name": "openhands-gateway", "key": "master-key"}}
        client = secrets.pop("openhands-llm")["stringData"]
        assert client["api-key"] == "sk-[secret]"
        assert json.loads(client["settings.json"])["agent_settings"]["llm"]["api_key"] == "sk-[secret]"
        assert secrets.pop("openhands-gateway")["stringData"] == {"master-key": "sk-[secret]"}
    else:
        assert external["spec"]["target"]["name"] == "openhands-llm"
        assert json.loads(template["settings.json"])["agent_settings"]["llm"]["api_key"] == "{{ .apiKey }}"
    # Nothing of the key inline: the other Secrets hold generated keys (the login's cookie, where
    # oauth2-proxy runs, and the server's), redacted in the plan.
    cookie = secrets.pop("oauth2-proxy-cookie", None)
    assert cookie is None or cookie["stringData"] == {"cookie-secret": "[secret]"}
    (keys,) = secrets.values()
    assert keys["metadata"]["name"] == "openhands-server-keys"
    assert keys["stringData"] == {"agent-secret-key": "[secret]", "jwt-secret": "[secret]",
                                  "sandbox-session-key": "[secret]"}
    sidecar = workload["spec"]["template"]["spec"]["containers"][1]["env"]
    for container_env, name, key in ((env, "JWT_SECRET", "jwt-secret"),
                                     (env, "OH_SANDBOX_SESSION_API_KEY", "sandbox-session-key"),
                                     (sidecar, "OH_SESSION_API_KEYS_0", "sandbox-session-key"),
                                     (sidecar, "OH_SECRET_KEY", "agent-secret-key")):
        (entry,) = [e for e in container_env if e["name"] == name]
        assert entry["valueFrom"] == {"secretKeyRef": {"name": "openhands-server-keys", "key": key}}
    # The sidecar never gets the Z.AI key from the pod: the app sends each conversation's LLM.
    assert not [e for e in sidecar if e["name"].startswith("LLM_")]


def test_pod_runs_unprivileged_in_a_restricted_namespace(stack_objects):
    (namespace,) = [o for o in stack_objects if o["kind"] == "Namespace"]
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    (workload,) = [o for o in stack_objects if o["kind"] == "StatefulSet"]
    pod = workload["spec"]["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False and pod["securityContext"]["runAsNonRoot"] is True
    for container in pod["containers"] + pod["initContainers"]:
        security = container["securityContext"]
        assert security["allowPrivilegeEscalation"] is False and security["capabilities"] == {"drop": ["ALL"]}
        assert security["seccompProfile"] == {"type": "RuntimeDefault"} and "limits" in container["resources"]
    assert pod["containers"][0]["readinessProbe"]["httpGet"]["path"] == "/health"
    assert {"name": "RUNTIME", "value": "process"} in pod["containers"][0]["env"]


profile_changes = st.one_of(
    st.builds(lambda t: {"profiles": {"latest": {"temperature": t}}}, st.sampled_from([0.1, 0.2, 0.3, 0.9])),
    st.builds(lambda m: {"profiles": {"latest": {"model": m}}}, st.sampled_from(["glm-4.5", "glm-4.7", "glm-4.5-air"])),
    st.sampled_from([{"zaiEndpoint": "general"}, {"zaiEndpoint": "china"}, {"defaultProfile": "coding"},
                     {"debug": {"debugLlm": True}}, {"profiles": {"latest": {"thinking": False}}}]),
)


def _hash(stack):
    workload = plan.statefulset(KubernetesSettings(), stack.llm, stack.debug, stack.release.pinned)
    return workload["spec"]["template"]["metadata"]["annotations"][plan.HASH_ANNOTATION]


@hsettings(max_examples=40)
@given(change=profile_changes)
def test_any_llm_change_changes_the_pod_template_hash(change):
    assert _hash(settings(**change)) != _hash(settings())


def test_no_change_keeps_the_hash():
    assert _hash(settings()) == _hash(settings())


def test_checkov_skips_travel_on_the_workload_each_with_its_reason(stack_objects):
    (workload,) = [o for o in stack_objects if o["kind"] == "StatefulSet"]
    skips = {key: value for key, value in workload["metadata"]["annotations"].items()
             if key.startswith("checkov.io/skip")}
    checks = dict(value.split("=", 1) for value in skips.values())
    assert set(checks) == {*plan.CHECKOV_SKIPS, plan.UNPINNED_DIGEST_SKIP[0]}
    assert all(len(reason) > 40 for reason in checks.values())


def test_the_release_digest_pins_every_container_and_drops_its_skip():
    digest, agent = "sha256:" + "b" * 64, "sha256:" + "a" * 64
    app_only = settings(target="kubernetes", kubernetes={"secretSync": "direct"}, release={"imageDigest": digest})
    workload = plan.statefulset(app_only.kubernetes, app_only.llm, app_only.debug, app_only.release.pinned)
    # The sidecar is not pinned yet: the skip stays.
    assert [v for v in workload["metadata"]["annotations"].values() if v.startswith("CKV_K8S_43=")]
    stack = settings(target="kubernetes", kubernetes={"secretSync": "direct"},
                     release={"imageDigest": digest, "agentServerImageDigest": agent})
    workload = plan.statefulset(stack.kubernetes, stack.llm, stack.debug, stack.release.pinned)
    pod = workload["spec"]["template"]["spec"]
    assert sorted(c["image"] for c in pod["containers"] + pod["initContainers"]) == [
        f"docker.openhands.dev/openhands/openhands:1.11.0@{digest}",
        f"docker.openhands.dev/openhands/openhands:1.11.0@{digest}",
        f"ghcr.io/openhands/agent-server:1.34.0-python@{agent}"]
    assert not [v for v in workload["metadata"]["annotations"].values() if v.startswith("CKV_K8S_43=")]
