"""Pure planning for the Kubernetes target: every object as the plain dict the API server takes.

`component.py` declares them; the tests validate them with Kubernetes' own schemas
(kubernetes-validate) and checkov without the engine. The Z.AI key never appears here except
through `secret_data` (the `direct` sync, called by the component inside a secret Output):
the pods read it through `secretKeyRef`, and the settings file through a Secret volume.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from ..images import pull_policy
from ..kube import RELOAD_ANNOTATION, account, container_security, labels, secret_env
from ..kube import checkov_skips as kube_checkov_skips
from ..llm.plan import LlmRoute, render_env, settings_fingerprint, settings_json
from ..llm.settings import DebugSettings, LlmSettings
from ..release import AGENT_SECRET_KEY, JWT_SECRET, OFFLINE_COST_MAP, OpenHandsRelease
from .settings import APP_SERVICE_ACCOUNT, SECRET_SYNC_SERVICE_ACCOUNT, KubernetesSettings

APP = "openhands"
LABELS = labels(APP)
SELECTOR = {"app.kubernetes.io/name": APP}
LLM_SECRET = "openhands-llm"  # keys: api-key, settings.json
SERVER_KEYS_SECRET = "openhands-server-keys"  # keys: jwt-secret, agent-secret-key (server_keys.py)
# The sandbox service for the agent-server sidecar (sandbox/openhands_zai_sandbox.py), mounted from
# a ConfigMap and named in OH_SANDBOX_KIND, OpenHands' plug-in point for the sandbox service.
SANDBOX_PLUGIN_CONFIGMAP = "openhands-zai-sandbox"
SANDBOX_PLUGIN_DIR = "/opt/openhands-zai"
SANDBOX_PLUGIN_FILE = Path(__file__).parent / "sandbox" / "openhands_zai_sandbox.py"
SANDBOX_KIND = "openhands_zai_sandbox.PodAgentServerSandboxServiceInjector"
AGENT_SERVER = "agent-server"
AGENT_SERVER_PORT = 8000
AGENT_USER_ID = 10001  # the agent-server image's `openhands` user (its Dockerfile: UID 10001)
PROJECT_DIR = "/workspace/project"  # the agent's working directory, as in the Docker sandboxes
AGENT_STATE_DIR = "/workspace/conversations"  # the agent server's conversations and terminal events
AGENT_SERVER_RESOURCES = {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": "2", "memory": "4Gi"}}
# The OpenHands pod's account: where the agent runs, so it never carries a cloud identity.
SERVICE_ACCOUNT = APP_SERVICE_ACCOUNT
# The account the External Secrets Operator authenticates as (IRSA: it requests a token for it
# through the TokenRequest API). No pod runs as it, so no container ever holds its role.
SYNC_SERVICE_ACCOUNT = SECRET_SYNC_SERVICE_ACCOUNT
HASH_ANNOTATION = "openhands-zai/llm-settings-sha256"
# Stakater Reloader's annotation (where the controller runs): restart the workload when the named
# Secret changes, e.g. after a key rotation reaches it through the secret sync.
PLUGIN_HASH_ANNOTATION = "openhands-zai/sandbox-plugin-sha256"
USER_ID = 42420  # the image's `openhands` user (containers/app/Dockerfile: OPENHANDS_USER_ID)
ESO_API = "external-secrets.io/v1"
# ExternalSecret templates are Go templates: the key is inserted by the operator in the cluster.
KEY_TEMPLATE = "{{ .apiKey }}"
# checkov checks this workload fails knowingly, each with the reason. They travel on the StatefulSet
# as checkov's own annotations (`checkov.io/skip<n>: <check>=<reason>`), so any checkov run over
# these objects honours them - a platform's scanner as well as `make scan`.
CHECKOV_SKIPS = {
    "CKV_K8S_22": "read-only root file system: the agent-server sidecar is where the agent runs commands and "
                  "installs packages, and the server writes its bytecode under /app; the init container is "
                  "read-only and the workspace and state directories are volumes",
    "CKV_K8S_35": "secret as an environment variable: OpenHands reads LLM_API_KEY, JWT_SECRET and its "
                  "sandbox key from its environment, the agent server its session and secret keys; every value "
                  "comes by secretKeyRef from a Secret, never inline",
}
# Only while no digest is pinned: the version tag is pinned, the digest is the operator's to verify.
UNPINNED_DIGEST_SKIP = ("CKV_K8S_43", "image digest: set openhands-zai:release.imageDigest and "
                                      "release.agentServerImageDigest to the digests you verified; the templates "
                                      "cannot know them")


def object_meta(name: str, settings: KubernetesSettings, **extra: Any) -> dict[str, Any]:
    return {"name": name, "namespace": settings.namespace, "labels": dict(LABELS), **extra}


def namespace(settings: KubernetesSettings) -> dict[str, Any]:
    # The agent-server sidecar needs no privilege, so the namespace enforces Pod Security `restricted`.
    levels = {f"pod-security.kubernetes.io/{mode}": "restricted" for mode in ("enforce", "audit", "warn")}
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": settings.namespace, "labels": {**LABELS, **levels}}}


def service_account(settings: KubernetesSettings) -> dict[str, Any]:
    """The OpenHands pod's account: no role annotation (EKS's webhook would put that role into every
    container of the pod, the agent's included), no token mounted, no RBAC."""
    return account(object_meta(SERVICE_ACCOUNT, settings))


def sync_service_account(settings: KubernetesSettings, role_arn: str | None) -> dict[str, Any]:
    """The secret sync's account: the reader role's IRSA annotation, and no pod that runs as it."""
    meta = object_meta(SYNC_SERVICE_ACCOUNT, settings)
    meta["labels"]["app.kubernetes.io/component"] = "secret-sync"
    if role_arn:
        meta["annotations"] = {"eks.amazonaws.com/role-arn": role_arn}
    return account(meta)


def secret_data(llm: LlmSettings, release: OpenHandsRelease, api_key: str,
                route: LlmRoute | None = None) -> dict[str, str]:
    """`openhands-llm`: the key OpenHands sends (Z.AI's, or the gateway's with `route`) and settings.json."""
    return {"api-key": api_key, "settings.json": settings_json(llm, release, api_key, route)}


def direct_secret(settings: KubernetesSettings, data: dict[str, str], name: str = LLM_SECRET) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque", "metadata": object_meta(name, settings),
            "stringData": data}


def server_keys_data(jwt_secret: str, agent_secret_key: str, session_key: str) -> dict[str, str]:
    return {"jwt-secret": jwt_secret, "agent-secret-key": agent_secret_key, "sandbox-session-key": session_key}


def sandbox_plugin(settings: KubernetesSettings) -> dict[str, Any]:
    """The ConfigMap that carries the process-sandbox fix into the pod."""
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": object_meta(SANDBOX_PLUGIN_CONFIGMAP, settings),
            "data": {SANDBOX_PLUGIN_FILE.name: SANDBOX_PLUGIN_FILE.read_text()}}


def secret_store(settings: KubernetesSettings, region: str) -> dict[str, Any]:
    return {"apiVersion": ESO_API, "kind": "SecretStore", "metadata": object_meta("aws-secrets-manager", settings),
            "spec": {"provider": {"aws": {
                "service": "SecretsManager", "region": region,
                "auth": {"jwt": {"serviceAccountRef": {"name": SYNC_SERVICE_ACCOUNT}}}}}}}


def external_secret(settings: KubernetesSettings, llm: LlmSettings, release: OpenHandsRelease,
                    secret_name: str, *, target: str = LLM_SECRET) -> dict[str, Any]:
    """The ExternalSecret that renders the Z.AI key into the cluster: into `openhands-llm` with the
    settings file, or (behind the gateway) into the gateway's `target` Secret, the key alone."""
    data = secret_data(llm, release, KEY_TEMPLATE) if target == LLM_SECRET else {"api-key": KEY_TEMPLATE}
    return {"apiVersion": ESO_API, "kind": "ExternalSecret", "metadata": object_meta(target, settings),
            "spec": {
                "refreshInterval": "1h",
                "secretStoreRef": {"kind": "SecretStore", "name": "aws-secrets-manager"},
                "target": {"name": target, "creationPolicy": "Owner", "template": {
                    "engineVersion": "v2", "type": "Opaque", "data": data}},
                "data": [{"secretKey": "apiKey",
                          "remoteRef": {"key": secret_name, "version": "AWSCURRENT"}}],
            }}


def pod_env(llm: LlmSettings, debug: DebugSettings, release: OpenHandsRelease,
            route: LlmRoute | None = None) -> list[dict[str, Any]]:
    env = render_env(llm, debug, "", route)
    env.pop("LLM_API_KEY", None)
    env.update({
        **OFFLINE_COST_MAP,
        "OH_PERSISTENCE_DIR": release.state_dir,
        # The sandbox is the pod's agent-server sidecar (OpenHands' sandbox plug-in point);
        # RUNTIME=process presets the sandbox spec it runs conversations with.
        "RUNTIME": "process",
        "OH_SANDBOX_KIND": SANDBOX_KIND,
        "OH_SANDBOX_AGENT_SERVER_URL": f"http://127.0.0.1:{AGENT_SERVER_PORT}",
        # The image's own PYTHONPATH (/app), then the plug-in's folder.
        "PYTHONPATH": f"/app:{SANDBOX_PLUGIN_DIR}",
    })
    items: list[dict[str, Any]] = [{"name": name, "value": value} for name, value in sorted(env.items())]
    return items + secret_env(("LLM_API_KEY", LLM_SECRET, "api-key"), (JWT_SECRET, SERVER_KEYS_SECRET, "jwt-secret"),
                               ("OH_SANDBOX_SESSION_API_KEY", SERVER_KEYS_SECRET, "sandbox-session-key"))


def sidecar_env(release: OpenHandsRelease) -> list[dict[str, Any]]:
    """The sidecar's environment: how the app reaches it, and it the app; no LLM key (the app sends
    each conversation's LLM settings)."""
    env = {
        **OFFLINE_COST_MAP,
        # Conversation events back to the app (what the Docker sandbox sets as OH_WEBHOOKS_0_BASE_URL).
        "OH_WEBHOOKS_0_BASE_URL": f"http://127.0.0.1:{release.port}/api/v1/webhooks",
        "OH_ENABLE_VS_CODE": "0",
        # Its defaults are relative to the working directory; both live on the pod's volumes.
        "OH_WORKSPACE_PATH": PROJECT_DIR,
        "OH_CONVERSATIONS_PATH": AGENT_STATE_DIR,
        "OH_BASH_EVENTS_DIR": f"{AGENT_STATE_DIR}/bash_events",
    }
    items: list[dict[str, Any]] = [{"name": name, "value": value} for name, value in sorted(env.items())]
    return items + secret_env(("OH_SESSION_API_KEYS_0", SERVER_KEYS_SECRET, "sandbox-session-key"),
                               (AGENT_SECRET_KEY, SERVER_KEYS_SECRET, "agent-secret-key"))


def checkov_skips(release: OpenHandsRelease) -> dict[str, str]:
    """The workload's `checkov.io/skip<n>` annotations."""
    skips = dict(CHECKOV_SKIPS)
    if release.image_digest is None or release.agent_server_image_digest is None:
        skips[UNPINNED_DIGEST_SKIP[0]] = UNPINNED_DIGEST_SKIP[1]
    return kube_checkov_skips(skips)


def statefulset(settings: KubernetesSettings, llm: LlmSettings, debug: DebugSettings,
                release: OpenHandsRelease, route: LlmRoute | None = None) -> dict[str, Any]:
    probe = lambda path, delay: {"httpGet": {"path": path, "port": "http"}, "initialDelaySeconds": delay,  # noqa: E731
                                 "periodSeconds": 15, "timeoutSeconds": 5, "failureThreshold": 4}
    claim = {"metadata": {"name": "state", "labels": dict(LABELS)},
             "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": settings.storage.size}}}}
    if settings.storage.class_name:
        claim["spec"]["storageClassName"] = settings.storage.class_name
    image = release.image
    copy = (f"cp /etc/openhands-llm/settings.json {release.settings_path} && chmod 600 {release.settings_path}")
    return {
        "apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": object_meta(APP, settings, annotations={**checkov_skips(release), RELOAD_ANNOTATION: LLM_SECRET}),
        "spec": {
            "serviceName": APP, "replicas": settings.replicas, "selector": {"matchLabels": dict(SELECTOR)},
            "template": {
                "metadata": {"labels": dict(LABELS),
                             # Any LLM setting change changes this, so the pods roll onto the new settings.
                             "annotations": {HASH_ANNOTATION: settings_fingerprint(llm, release, debug, route),
                                             # A new plug-in (a bundle upgrade) rolls the pod too.
                                             PLUGIN_HASH_ANNOTATION: hashlib.sha256(
                                                 SANDBOX_PLUGIN_FILE.read_bytes()).hexdigest()[:16]}},
                "spec": {
                    "serviceAccountName": SERVICE_ACCOUNT,
                    "automountServiceAccountToken": False,
                    "securityContext": {"runAsNonRoot": True, "runAsUser": USER_ID, "runAsGroup": USER_ID,
                                        "fsGroup": USER_ID, "seccompProfile": {"type": "RuntimeDefault"}},
                    # OpenHands in a container rewrites localhost URLs to host.docker.internal:
                    # in this pod that is loopback, where the app and its sidecar listen.
                    "hostAliases": [{"ip": "127.0.0.1", "hostnames": ["host.docker.internal"]}],
                    "initContainers": [{
                        "name": "settings", "image": image, "imagePullPolicy": pull_policy(image),
                        "command": ["sh", "-c", copy],
                        "securityContext": container_security(read_only=True, user=USER_ID),
                        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"},
                                      "limits": {"cpu": "200m", "memory": "128Mi"}},
                        "volumeMounts": [{"name": "state", "mountPath": release.state_dir},
                                         {"name": "llm", "mountPath": "/etc/openhands-llm", "readOnly": True}],
                    }],
                    "containers": [{
                        "name": APP, "image": image, "imagePullPolicy": pull_policy(image),
                        # The image's entrypoint prepares users for the Docker-socket runtime as root;
                        # the sidecar sandbox needs none of it, so the server starts as the openhands user.
                        "command": ["uvicorn", "openhands.server.listen:app", "--host", "0.0.0.0",
                                    "--port", str(release.port)],
                        "ports": [{"name": "http", "containerPort": release.port, "protocol": "TCP"}],
                        "env": pod_env(llm, debug, release, route),
                        "livenessProbe": probe("/alive", 30),
                        "readinessProbe": probe(release.health_path, 5),
                        "resources": settings.resources.model_dump(),
                        # The server writes under /app and /tmp at start (its bytecode, uploads).
                        "securityContext": container_security(read_only=False, user=USER_ID),
                        "volumeMounts": [{"name": "state", "mountPath": release.state_dir},
                                         {"name": "sandbox-plugin", "mountPath": SANDBOX_PLUGIN_DIR, "readOnly": True}],
                    }, {
                        # The sandbox: the upstream agent-server image, where the agent's commands run.
                        "name": AGENT_SERVER, "image": release.agent_server_image,
                        "imagePullPolicy": pull_policy(release.agent_server_image),
                        "args": ["--port", str(AGENT_SERVER_PORT)],
                        # The sandbox spec's working directory is "." : the project folder.
                        "workingDir": PROJECT_DIR,
                        "ports": [{"name": "agent-server", "containerPort": AGENT_SERVER_PORT, "protocol": "TCP"}],
                        "env": sidecar_env(release),
                        "readinessProbe": {"httpGet": {"path": "/alive", "port": "agent-server"},
                                           "initialDelaySeconds": 2, "periodSeconds": 5, "timeoutSeconds": 5,
                                           "failureThreshold": 6},
                        "livenessProbe": probe("/alive", 30) | {"httpGet": {"path": "/alive", "port": "agent-server"}},
                        "resources": AGENT_SERVER_RESOURCES,
                        # The agent installs packages and writes where its commands say: writable root.
                        "securityContext": container_security(read_only=False, user=AGENT_USER_ID),
                        "volumeMounts": [{"name": "workspace", "mountPath": PROJECT_DIR},
                                         {"name": "agent-state", "mountPath": AGENT_STATE_DIR},
                                         {"name": "agent-home", "mountPath": "/home/openhands/.openhands"}],
                    }],
                    "volumes": [{"name": "llm", "secret": {"secretName": LLM_SECRET, "defaultMode": 0o400}},
                                {"name": "workspace", "emptyDir": {"sizeLimit": "20Gi"}},
                                {"name": "agent-state", "emptyDir": {"sizeLimit": "5Gi"}},
                                {"name": "agent-home", "emptyDir": {"sizeLimit": "1Gi"}},
                                {"name": "sandbox-plugin", "configMap": {"name": SANDBOX_PLUGIN_CONFIGMAP,
                                                                         "defaultMode": 0o444}}],
                },
            },
            "volumeClaimTemplates": [claim],
        },
    }


def service(settings: KubernetesSettings, release: OpenHandsRelease) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": object_meta(APP, settings),
            "spec": {"type": "ClusterIP", "selector": dict(SELECTOR),
                     "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]}}


def disruption_budget(settings: KubernetesSettings) -> dict[str, Any]:
    # One replica (the file-store state model): a drain may evict it, and it comes back on its volume.
    # maxUnavailable 1 keeps drains possible; minAvailable 1 would block every node drain forever.
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": object_meta(APP, settings),
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": dict(SELECTOR)}}}


