"""Pure planning for the Kubernetes target: every object as the plain dict the API server takes.

`component.py` declares them; the tests validate them with Kubernetes' own schemas
(kubernetes-validate) and checkov without the engine. The Z.AI key never appears here except
through `secret_data` (the `direct` sync, called by the component inside a secret Output):
the pods read it through `secretKeyRef`, and the settings file through a Secret volume.
"""

from __future__ import annotations

from typing import Any

from ..llm.plan import render_env, settings_fingerprint, settings_json
from ..llm.settings import DebugSettings, LlmSettings
from ..release import OpenHandsRelease
from .settings import KubernetesSettings

APP = "openhands"
LABELS = {"app.kubernetes.io/name": APP, "app.kubernetes.io/part-of": "openhands-zai",
          "app.kubernetes.io/managed-by": "pulumi"}
SELECTOR = {"app.kubernetes.io/name": APP}
LLM_SECRET = "openhands-llm"  # keys: api-key, settings.json
SERVICE_ACCOUNT = "openhands"
HASH_ANNOTATION = "openhands-zai/llm-settings-sha256"
USER_ID = 42420  # the image's `openhands` user (containers/app/Dockerfile: OPENHANDS_USER_ID)
ESO_API = "external-secrets.io/v1"
# ExternalSecret templates are Go templates: the key is inserted by the operator in the cluster.
KEY_TEMPLATE = "{{ .apiKey }}"
SANDBOX_DIR = "/tmp/openhands-sandboxes"
# checkov checks this workload fails knowingly, each with the reason. They travel on the StatefulSet
# as checkov's own annotations (`checkov.io/skip<n>: <check>=<reason>`), so any checkov run over
# these objects honours them - a platform's scanner as well as `make scan`.
CHECKOV_SKIPS = {
    "CKV_K8S_22": "read-only root file system: with OpenHands 1.11's process runtime the agent runs in this "
                  "container, writes its workspace and installs packages; the init container is read-only and "
                  "the sandboxes and state directories are volumes",
    "CKV_K8S_35": "secret as an environment variable: OpenHands reads LLM_API_KEY from its environment and "
                  "forwards LLM_* to the agent-servers it starts; the value comes by secretKeyRef from the "
                  "openhands-llm Secret, never inline",
}
# Only while no digest is pinned: the version tag is pinned, the digest is the operator's to verify.
UNPINNED_DIGEST_SKIP = ("CKV_K8S_43", "image digest: set openhands-zai:release.imageDigest to the digest you "
                                      "verified; the templates cannot know it")


def _meta(name: str, settings: KubernetesSettings, **extra: Any) -> dict[str, Any]:
    return {"name": name, "namespace": settings.namespace, "labels": dict(LABELS), **extra}


def namespace(settings: KubernetesSettings) -> dict[str, Any]:
    # The process runtime needs no privilege, so the namespace enforces Pod Security `restricted`.
    levels = {f"pod-security.kubernetes.io/{mode}": "restricted" for mode in ("enforce", "audit", "warn")}
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": settings.namespace, "labels": {**LABELS, **levels}}}


def service_account(settings: KubernetesSettings, role_arn: str | None) -> dict[str, Any]:
    meta = _meta(SERVICE_ACCOUNT, settings)
    if role_arn:
        meta["annotations"] = {"eks.amazonaws.com/role-arn": role_arn}  # IRSA: what the SecretStore authenticates as
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta, "automountServiceAccountToken": False}


def secret_data(llm: LlmSettings, release: OpenHandsRelease, api_key: str) -> dict[str, str]:
    return {"api-key": api_key, "settings.json": settings_json(llm, release, api_key)}


def direct_secret(settings: KubernetesSettings, data: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque", "metadata": _meta(LLM_SECRET, settings),
            "stringData": data}


def secret_store(settings: KubernetesSettings, region: str) -> dict[str, Any]:
    return {"apiVersion": ESO_API, "kind": "SecretStore", "metadata": _meta("aws-secrets-manager", settings),
            "spec": {"provider": {"aws": {
                "service": "SecretsManager", "region": region,
                "auth": {"jwt": {"serviceAccountRef": {"name": SERVICE_ACCOUNT}}}}}}}


def external_secret(settings: KubernetesSettings, llm: LlmSettings, release: OpenHandsRelease,
                    secret_name: str) -> dict[str, Any]:
    return {"apiVersion": ESO_API, "kind": "ExternalSecret", "metadata": _meta(LLM_SECRET, settings),
            "spec": {
                "refreshInterval": "1h",
                "secretStoreRef": {"kind": "SecretStore", "name": "aws-secrets-manager"},
                "target": {"name": LLM_SECRET, "creationPolicy": "Owner", "template": {
                    "engineVersion": "v2", "type": "Opaque",
                    "data": secret_data(llm, release, KEY_TEMPLATE)}},
                "data": [{"secretKey": "apiKey",
                          "remoteRef": {"key": secret_name, "version": "AWSCURRENT"}}],
            }}


def _container_security(read_only: bool) -> dict[str, Any]:
    return {"allowPrivilegeEscalation": False, "privileged": False, "runAsNonRoot": True,
            "runAsUser": USER_ID, "runAsGroup": USER_ID, "readOnlyRootFilesystem": read_only,
            "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}}


def pod_env(llm: LlmSettings, debug: DebugSettings, release: OpenHandsRelease) -> list[dict[str, Any]]:
    env = render_env(llm, debug, "")
    env.pop("LLM_API_KEY", None)
    env.update({
        "OH_PERSISTENCE_DIR": release.state_dir,
        # OpenHands 1.11 starts each agent-server as a process in this pod (no Docker socket, no privilege).
        "RUNTIME": "process",
    })
    items: list[dict[str, Any]] = [{"name": name, "value": value} for name, value in sorted(env.items())]
    items.append({"name": "LLM_API_KEY", "valueFrom": {"secretKeyRef": {"name": LLM_SECRET, "key": "api-key"}}})
    return items


def checkov_skips(release: OpenHandsRelease) -> dict[str, str]:
    """The workload's `checkov.io/skip<n>` annotations."""
    skips = dict(CHECKOV_SKIPS)
    if release.image_digest is None:
        skips[UNPINNED_DIGEST_SKIP[0]] = UNPINNED_DIGEST_SKIP[1]
    return {f"checkov.io/skip{index}": f"{check}={reason}" for index, (check, reason) in enumerate(skips.items(), 1)}


def statefulset(settings: KubernetesSettings, llm: LlmSettings, debug: DebugSettings,
                release: OpenHandsRelease) -> dict[str, Any]:
    probe = lambda path, delay: {"httpGet": {"path": path, "port": "http"}, "initialDelaySeconds": delay,  # noqa: E731
                                 "periodSeconds": 15, "timeoutSeconds": 5, "failureThreshold": 4}
    claim = {"metadata": {"name": "state", "labels": dict(LABELS)},
             "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": settings.storage.size}}}}
    if settings.storage.class_name:
        claim["spec"]["storageClassName"] = settings.storage.class_name
    image = release.image
    copy = (f"cp /etc/openhands-llm/settings.json {release.settings_path} && chmod 600 {release.settings_path}")
    return {
        "apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": _meta(APP, settings, annotations=checkov_skips(release)),
        "spec": {
            "serviceName": APP, "replicas": settings.replicas, "selector": {"matchLabels": dict(SELECTOR)},
            "template": {
                "metadata": {"labels": dict(LABELS),
                             # Any LLM setting change changes this, so the pods roll onto the new settings.
                             "annotations": {HASH_ANNOTATION: settings_fingerprint(llm, release, debug)}},
                "spec": {
                    "serviceAccountName": SERVICE_ACCOUNT,
                    "automountServiceAccountToken": False,
                    "securityContext": {"runAsNonRoot": True, "runAsUser": USER_ID, "runAsGroup": USER_ID,
                                        "fsGroup": USER_ID, "seccompProfile": {"type": "RuntimeDefault"}},
                    "initContainers": [{
                        "name": "settings", "image": image, "imagePullPolicy": "Always",
                        "command": ["sh", "-c", copy],
                        "securityContext": _container_security(read_only=True),
                        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"},
                                      "limits": {"cpu": "200m", "memory": "128Mi"}},
                        "volumeMounts": [{"name": "state", "mountPath": release.state_dir},
                                         {"name": "llm", "mountPath": "/etc/openhands-llm", "readOnly": True}],
                    }],
                    "containers": [{
                        "name": APP, "image": image, "imagePullPolicy": "Always",
                        # The image's entrypoint prepares users for the Docker-socket runtime as root;
                        # the process runtime needs none of it, so the server starts as the openhands user.
                        "command": ["uvicorn", "openhands.server.listen:app", "--host", "0.0.0.0",
                                    "--port", str(release.port)],
                        "ports": [{"name": "http", "containerPort": release.port, "protocol": "TCP"}],
                        "env": pod_env(llm, debug, release),
                        "livenessProbe": probe("/alive", 30),
                        "readinessProbe": probe(release.health_path, 10),
                        "resources": settings.resources.model_dump(),
                        # The agent writes its workspace and installs packages in this container
                        # (process runtime): the root file system stays writable.
                        "securityContext": _container_security(read_only=False),
                        "volumeMounts": [{"name": "state", "mountPath": release.state_dir},
                                         {"name": "sandboxes", "mountPath": SANDBOX_DIR}],
                    }],
                    "volumes": [{"name": "llm", "secret": {"secretName": LLM_SECRET, "defaultMode": 0o400}},
                                {"name": "sandboxes", "emptyDir": {"sizeLimit": "20Gi"}}],
                },
            },
            "volumeClaimTemplates": [claim],
        },
    }


def service(settings: KubernetesSettings, release: OpenHandsRelease) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": _meta(APP, settings),
            "spec": {"type": "ClusterIP", "selector": dict(SELECTOR),
                     "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]}}


def ingress(settings: KubernetesSettings) -> dict[str, Any] | None:
    spec_in = settings.ingress
    if spec_in is None:
        return None
    spec: dict[str, Any] = {"rules": [{"host": spec_in.host, "http": {"paths": [{
        "path": "/", "pathType": "Prefix", "backend": {"service": {"name": APP, "port": {"name": "http"}}}}]}}]}
    if spec_in.class_name:
        spec["ingressClassName"] = spec_in.class_name
    if spec_in.tls_secret_name:
        spec["tls"] = [{"hosts": [spec_in.host], "secretName": spec_in.tls_secret_name}]
    meta = _meta(APP, settings)
    if spec_in.annotations:
        meta["annotations"] = dict(spec_in.annotations)
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta, "spec": spec}


def disruption_budget(settings: KubernetesSettings) -> dict[str, Any]:
    # One replica (the file-store state model): a drain may evict it, and it comes back on its volume.
    # maxUnavailable 1 keeps drains possible; minAvailable 1 would block every node drain forever.
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": _meta(APP, settings),
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": dict(SELECTOR)}}}


