"""Pure planning for the LLM gateway: the LiteLLM proxy's `config.yaml`, the route OpenHands takes
to it, its container (Docker target) and its objects (Kubernetes target). No resources here.

No key is ever rendered: `config.yaml` names the proxy's environment (`os.environ/ZAI_API_KEY`,
`os.environ/LITELLM_MASTER_KEY`), which the components fill from secrets.

What the proxy is told, and why (LiteLLM 1.84.1, then 1.108.7, measured against a stand-in Z.AI):
- one model per profile, named after its GLM model (`glm-4.6-latest`): OpenHands chooses
  behaviour by substring of the model name (tool results as plain strings for "glm");
- `api_base` is the stack's endpoint: the `zai/` provider's own default is the general endpoint,
  which answers a Coding Plan key with 1113;
- `drop_params`: OpenHands sends `max_completion_tokens`, which the `zai` provider refuses (400);
  the profile's output cap is therefore the model's `max_tokens` here;
- thinking and reasoning effort as the model's `extra_body`: a client's top-level `thinking` fails
  inside the proxy, and its `zai` provider drops or refuses `reasoning_effort`;
- requests in flight, rpm/tpm (enforced, not only routing weights), retries with a pause (Z.AI's
  1302 clears on retry), a timeout (LiteLLM's default read timeout is 6,000 s), fallbacks.
"""

from __future__ import annotations

import hashlib
from typing import Any

import yaml

from ..images import pull_policy, reference
from ..kube import RELOAD_ANNOTATION, account, dns_rule, labels, secret_env
from ..kube import checkov_skips as kube_checkov_skips
from ..llm.catalogue import CATALOGUE, litellm_model_string
from ..llm.plan import LlmRoute, zai_request_fields
from ..llm.settings import LlmProfile, LlmSettings
from ..release import OFFLINE_COST_MAP
from .settings import GatewaySettings, model_name

# LiteLLM's non-root image (runs as `nobody`); its tags are the bare release (images.py).
IMAGE_REPOSITORY = "ghcr.io/berriai/litellm-non_root"
NAME = "openhands-gateway"
CONFIG_DIR = "/etc/litellm"
CONFIG_FILE = "config.yaml"
CONFIG_PATH = f"{CONFIG_DIR}/{CONFIG_FILE}"
ZAI_KEY_ENV = "ZAI_API_KEY"
MASTER_KEY_ENV = "LITELLM_MASTER_KEY"
# Need no key and call no model; plain /health calls every model for real (spends quota).
LIVENESS_PATH = "/health/liveliness"
READINESS_PATH = "/health/readiness"
USER_ID = 65534  # `nobody`, the non-root image's user
# The proxy's own switches: its price list from the package (no fetch from the internet at
# start), no admin UI or API docs to serve.
PROXY_ENV = {**OFFLINE_COST_MAP, "DISABLE_ADMIN_UI": "True", "NO_DOCS": "True",
             "LITELLM_DONT_SHOW_FEEDBACK_BOX": "true"}
# Retries per failure kind: what may clear (429/1302, 5xx, timeouts) gets the stack's retries;
# what will not (a bad request, a refused key) fails at once.
_NO_RETRY = ("BadRequestErrorRetries", "AuthenticationErrorRetries", "ContentPolicyViolationErrorRetries")
_RETRY = ("RateLimitErrorRetries", "InternalServerErrorRetries", "TimeoutErrorRetries")


def image(settings: GatewaySettings) -> str:
    return reference(IMAGE_REPOSITORY, settings.version, settings.image_digest)


def model_names(llm: LlmSettings) -> dict[str, str]:
    return {name: model_name(name, profile) for name, profile in llm.profiles.items()}


def route(llm: LlmSettings, base_url: str) -> LlmRoute:
    """How OpenHands reaches the gateway: its URL and a model name per profile."""
    return LlmRoute(base_url=base_url, model_names=model_names(llm))


def _model_entry(name: str, profile: LlmProfile, llm: LlmSettings, settings: GatewaySettings) -> dict[str, Any]:
    params: dict[str, Any] = {
        "model": litellm_model_string(profile.model),
        "api_base": llm.base_url,
        "api_key": f"os.environ/{ZAI_KEY_ENV}",
        "drop_params": True,
        "timeout": profile.timeout or settings.timeout,
        # The router retries (router_settings); the client inside makes no retries of its own.
        "max_retries": 0,
        "max_parallel_requests": settings.max_parallel_requests,
    }
    for field, key in (("temperature", "temperature"), ("top_p", "top_p"), ("max_output_tokens", "max_tokens")):
        value = getattr(profile, field)
        if value is not None:
            params[key] = value
    extra_body = zai_request_fields(profile)
    if extra_body:
        params["extra_body"] = extra_body
    if profile.extra_headers:
        params["extra_headers"] = dict(profile.extra_headers)
    for limit in ("rpm", "tpm"):
        if getattr(settings, limit) is not None:
            params[limit] = getattr(settings, limit)
    # What OpenHands reads from /v1/model/info: the context window it condenses against.
    known = CATALOGUE.get(profile.model)
    info = {"max_input_tokens": profile.max_input_tokens or (known.context_window if known else None),
            "max_output_tokens": profile.max_output_tokens or (known.max_output_tokens if known else None)}
    entry: dict[str, Any] = {"model_name": name, "litellm_params": params}
    if any(value is not None for value in info.values()):
        entry["model_info"] = {key: value for key, value in info.items() if value is not None}
    return entry


def proxy_config(llm: LlmSettings, settings: GatewaySettings) -> dict[str, Any]:
    """The proxy's config.yaml, as a dict."""
    names = model_names(llm)
    router: dict[str, Any] = {
        "num_retries": settings.num_retries,
        "retry_after": settings.retry_after,
        "retry_policy": {**{kind: 0 for kind in _NO_RETRY}, **{kind: settings.num_retries for kind in _RETRY}},
        "timeout": settings.timeout,
    }
    if llm.fallback_profiles:
        router["fallbacks"] = [{names[llm.default_profile]: [names[name] for name in llm.fallback_profiles]}]
    if settings.rpm is not None or settings.tpm is not None:
        # Without it rpm/tpm only weigh deployments against each other; with it they hold.
        router["optional_pre_call_checks"] = ["enforce_model_rate_limits"]
    litellm_settings: dict[str, Any] = {"drop_params": True, "request_timeout": settings.timeout,
                                        "cache": settings.cache}
    if settings.cache:
        litellm_settings["cache_params"] = {"type": "local"}
    return {
        "model_list": [_model_entry(names[name], profile, llm, settings) for name, profile in llm.profiles.items()],
        "litellm_settings": litellm_settings,
        "router_settings": router,
        "general_settings": {"master_key": f"os.environ/{MASTER_KEY_ENV}"},
    }


def config_yaml(llm: LlmSettings, settings: GatewaySettings) -> str:
    return yaml.safe_dump(proxy_config(llm, settings), sort_keys=True, default_flow_style=False)


def config_fingerprint(llm: LlmSettings, settings: GatewaySettings) -> str:
    return hashlib.sha256(config_yaml(llm, settings).encode()).hexdigest()[:16]


def container_env(zai_api_key: str, master_key: str) -> list[str]:
    """The Docker container's sorted `KEY=value` list: the two keys config.yaml names, the switches."""
    return sorted([f"{ZAI_KEY_ENV}={zai_api_key}", f"{MASTER_KEY_ENV}={master_key}",
                   *(f"{name}={value}" for name, value in PROXY_ENV.items())])


def command(settings: GatewaySettings) -> list[str]:
    """Arguments to the image's entrypoint (`litellm`): one worker, no usage reports home."""
    return ["--config", CONFIG_PATH, "--host", "0.0.0.0", "--port", str(settings.port), "--num_workers", "1",
            "--telemetry", "False"]


def docker_addresses(sandbox_gateway: str) -> list[str]:
    """Where the Docker target publishes the gateway: loopback, and the bridge gateway for containers."""
    return ["127.0.0.1"] + ([sandbox_gateway] if sandbox_gateway != "127.0.0.1" else [])


def docker_url(settings: GatewaySettings) -> str:
    """Where OpenHands and its sandboxes reach the gateway on a Docker host (host-gateway)."""
    return f"http://host.docker.internal:{settings.port}"


def cluster_url(namespace: str, settings: GatewaySettings) -> str:
    return f"http://{NAME}.{namespace}.svc.cluster.local:{settings.port}"


# -- on a cluster ---------------------------------------------------------------------------------

LABELS = labels(NAME)
SELECTOR = {"app.kubernetes.io/name": NAME}
ZAI_KEY_SECRET = "zai-api-key"  # key: api-key; with the gateway, the only object holding the Z.AI key
KEY_SECRET = NAME  # key: master-key, the gateway's own key
CONFIG_HASH_ANNOTATION = "openhands-zai/gateway-config-sha256"
CHECKOV_SKIPS = {
    "CKV_K8S_22": "read-only root file system: the LiteLLM image writes at start (its Helm chart says prisma "
                  "installs dependencies then); no volume holds state, the pod is replaceable",
    "CKV_K8S_35": "secret as an environment variable: LiteLLM reads the Z.AI key and its own key from its "
                  "environment (os.environ/ in config.yaml); both come by secretKeyRef, never inline",
}
UNPINNED_DIGEST_SKIP = ("CKV_K8S_43", "image digest: set openhands-zai:gateway.imageDigest to the digest you "
                                      "verified; the templates cannot know it")
_PRIVATE_RANGES = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10")


def _meta(name: str, namespace: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "namespace": namespace, "labels": dict(LABELS), **extra}


def service_account(namespace: str) -> dict[str, Any]:
    """The proxy's own account: no cloud role (it gets the key by secretKeyRef), no token mounted."""
    return account(_meta(NAME, namespace))


def config_map(namespace: str, llm: LlmSettings, settings: GatewaySettings) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta(NAME, namespace),
            "data": {CONFIG_FILE: config_yaml(llm, settings)}}


def key_secret(namespace: str, data: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque", "metadata": _meta(KEY_SECRET, namespace),
            "stringData": data}


def key_secret_data(master_key: str) -> dict[str, str]:
    return {"master-key": master_key}


def checkov_skips(settings: GatewaySettings) -> dict[str, str]:
    skips = dict(CHECKOV_SKIPS)
    if settings.image_digest is None:
        skips[UNPINNED_DIGEST_SKIP[0]] = UNPINNED_DIGEST_SKIP[1]
    return kube_checkov_skips(skips)


def deployment(namespace: str, llm: LlmSettings, settings: GatewaySettings,
               security: dict[str, Any]) -> dict[str, Any]:
    """The proxy pods. `security` is the container security context the cluster target uses."""
    probe = lambda path, period, failures: {  # noqa: E731
        "httpGet": {"path": path, "port": "http"}, "periodSeconds": period, "timeoutSeconds": 5,
        "failureThreshold": failures}
    env: list[dict[str, Any]] = [{"name": name, "value": value} for name, value in sorted(PROXY_ENV.items())]
    env += secret_env((ZAI_KEY_ENV, ZAI_KEY_SECRET, "api-key"), (MASTER_KEY_ENV, KEY_SECRET, "master-key"))
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": _meta(NAME, namespace, annotations={
            **checkov_skips(settings),
            # Stakater Reloader, where it runs, restarts the proxy when the synced key changes (a
            # rotation): the proxy reads it from its environment at start only.
            RELOAD_ANNOTATION: ZAI_KEY_SECRET}),
        "spec": {
            "replicas": settings.replicas, "selector": {"matchLabels": dict(SELECTOR)},
            "template": {
                "metadata": {"labels": dict(LABELS),
                             # A new config.yaml rolls the pods (a ConfigMap change alone would not).
                             "annotations": {CONFIG_HASH_ANNOTATION: config_fingerprint(llm, settings)}},
                "spec": {
                    # Its own account (no role, no token): not the namespace's `default`.
                    "serviceAccountName": NAME,
                    "automountServiceAccountToken": False,
                    "securityContext": {"runAsNonRoot": True, "runAsUser": USER_ID, "runAsGroup": USER_ID,
                                        "fsGroup": USER_ID, "seccompProfile": {"type": "RuntimeDefault"}},
                    "containers": [{
                        "name": "litellm", "image": image(settings), "imagePullPolicy": pull_policy(image(settings)),
                        "args": command(settings),
                        "ports": [{"name": "http", "containerPort": settings.port, "protocol": "TCP"}],
                        "env": env,
                        "startupProbe": probe(READINESS_PATH, 5, 24),
                        "readinessProbe": probe(READINESS_PATH, 10, 3),
                        "livenessProbe": probe(LIVENESS_PATH, 15, 5),
                        "resources": settings.resources.model_dump(),
                        "securityContext": security,
                        "volumeMounts": [{"name": "config", "mountPath": CONFIG_DIR, "readOnly": True}],
                    }],
                    "volumes": [{"name": "config", "configMap": {"name": NAME, "defaultMode": 0o444}}],
                },
            },
        },
    }


def service(namespace: str, settings: GatewaySettings) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": _meta(NAME, namespace),
            "spec": {"type": "ClusterIP", "selector": dict(SELECTOR),
                     "ports": [{"name": "http", "port": settings.port, "targetPort": "http", "protocol": "TCP"}]}}


def disruption_budget(namespace: str, settings: GatewaySettings) -> dict[str, Any]:
    # With two or more pods one always serves; with one, a drain may move it (minAvailable 1 would block drains).
    spec: dict[str, Any] = {"minAvailable": 1} if settings.replicas > 1 else {"maxUnavailable": 1}
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": _meta(NAME, namespace),
            "spec": {**spec, "selector": {"matchLabels": dict(SELECTOR)}}}


def network_policy(namespace: str, settings: GatewaySettings, app_selector: dict[str, str],
                   allowed_egress: list[dict[str, Any]] | None) -> dict[str, Any]:
    """Only the OpenHands pods reach the proxy; the proxy reaches DNS and Z.AI only.

    `allowed_egress` is the stack's egress allow-list as NetworkPolicy rules (DNS included); without
    one, the proxy may reach HTTPS on public addresses only (no cluster, VPC or metadata address).
    """
    egress = allowed_egress if allowed_egress is not None else [
        dns_rule(),
        {"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": list(_PRIVATE_RANGES)}}],
         "ports": [{"protocol": "TCP", "port": 443}]},
    ]
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": _meta(NAME, namespace),
            "spec": {"podSelector": {"matchLabels": dict(SELECTOR)}, "policyTypes": ["Ingress", "Egress"],
                     "ingress": [{"from": [{"podSelector": {"matchLabels": dict(app_selector)}}],
                                  "ports": [{"protocol": "TCP", "port": settings.port}]}],
                     "egress": egress}}


def app_egress_rule(settings: GatewaySettings) -> dict[str, Any]:
    """What the OpenHands pods' egress allow-list adds: the proxy's pods on its port."""
    return {"to": [{"podSelector": {"matchLabels": dict(SELECTOR)}}],
            "ports": [{"protocol": "TCP", "port": settings.port}]}
