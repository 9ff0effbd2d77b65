"""The stack's settings, typed once and validated at the edge.

`CONFIG_SCHEMA` is the single list of `openhands-zai:*` keys: `Pulumi.yaml`'s typed
`config:` block is generated from it (`python -m ops schema --write`, checked in CI), the
README's reference follows it, and `read_stack_config` reads exactly these keys.
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from components.config_errors import PROJECT, Problems, config_key, unknown_key_message
from components.config_values import as_bool, as_int
from components.llm.config import LlmConfig, parse_llm_config
from components.llm.profiles import BUILTIN_PROFILES, DEFAULT_PROFILE, PROFILE_KEYS, LlmProfile
from components.llm.render import DebugToggles
from components.release import DEFAULT_VERSION, RELEASES, OpenHandsRelease

if TYPE_CHECKING:
    from components.cluster_settings import EksSettings, KubernetesSettings
    from components.instance_settings import InstanceSettings
    from components.network.settings import EgressSettings, PeeringSettings
    from components.secret_settings import SecretSettings

TARGETS = ("docker", "kubernetes")
# The keys of the LLM description (an instance may override all but the endpoint).
LLM_KEYS = ("zaiEndpoint", "profiles", "defaultProfile", "fallbackProfiles")


def _profile_as_config(profile: LlmProfile) -> dict[str, Any]:
    """A built-in profile as a user would write it (camelCase, only what differs from defaults)."""
    body = {}
    for key, attr in PROFILE_KEYS.items():
        value = getattr(profile, attr)
        default = getattr(LlmProfile(model=""), attr)
        if attr == "model" or value != default:
            body[key] = value
    return body


@dataclass(frozen=True)
class ConfigKeySpec:
    type: str  # Pulumi project-config type: string | integer | boolean | array | object
    description: str
    default: Any = None
    secret: bool = False
    items: str | None = None  # item type for arrays


DOCKER_DEFAULTS: dict[str, Any] = {
    "host": "unix:///var/run/docker.sock",
    "port": 3000,
    "listenAddress": "127.0.0.1",
    "stateVolume": "openhands-state",
    "containerName": "openhands-app",
    "extraEnv": {},
}
DEBUG_DEFAULTS: dict[str, Any] = {"debug": False, "logAllEvents": True, "debugLlm": False}

CONFIG_SCHEMA: dict[str, ConfigKeySpec] = {
    "target": ConfigKeySpec("string", "Where OpenHands runs: docker or kubernetes.", "docker"),
    "zaiEndpoint": ConfigKeySpec(
        "string",
        "Z.AI endpoint: coding-plan (GLM Coding Plan keys), general, china, or an https:// URL "
        "(http:// only for a loopback host).",
        "coding-plan",
    ),
    "zaiApiKey": ConfigKeySpec(
        "string", "The Z.AI API key. Set it with `pulumi config set --secret openhands-zai:zaiApiKey`.",
        secret=True,
    ),
    "profiles": ConfigKeySpec(
        "object",
        "Named LLM profiles: {model, temperature, topP, maxInputTokens, maxOutputTokens, thinking, "
        "nativeToolCalling, numRetries, retryMultiplier, retryMinWait, retryMaxWait, timeout, "
        "cachingPrompt, dropParams, extraHeaders, allowUnknownModel}. A profile named like a "
        "built-in (latest, coding, large-context) inherits its unset keys.",
        {name: _profile_as_config(profile) for name, profile in BUILTIN_PROFILES.items()},
    ),
    "defaultProfile": ConfigKeySpec("string", "The profile the server starts with.", DEFAULT_PROFILE),
    "fallbackProfiles": ConfigKeySpec(
        "array", "Profile names tried in order on transient errors.", [], items="string"
    ),
    "openhandsVersion": ConfigKeySpec(
        "string", f"Pinned OpenHands release; supported: {', '.join(RELEASES)}.", DEFAULT_VERSION
    ),
    "debug": ConfigKeySpec(
        "object", "Logging toggles: {debug (DEBUG), logAllEvents (LOG_ALL_EVENTS), debugLlm (DEBUG_LLM)}.",
        DEBUG_DEFAULTS,
    ),
    "docker": ConfigKeySpec(
        "object",
        "Docker target: {host (unix:// socket or ssh://user@host), port, listenAddress, stateVolume, "
        "containerName, imageDigest (sha256:...), extraEnv}.",
        DOCKER_DEFAULTS,
    ),
    "secret": ConfigKeySpec(
        "object",
        "Keep the key in AWS Secrets Manager (unset: the key goes from the stack straight to OpenHands): "
        "{name, kmsKeyArn, recoveryWindowInDays (7-30), replicaRegions, readerRoleArns, createReaderRole "
        "(true | {ec2: true} | {irsa: {oidcProviderArn, namespace, serviceAccount}} | {principalArns}), "
        "rotationManaged, tags}.",
    ),
    "kubernetes": ConfigKeySpec(
        "object",
        "Kubernetes target: {kubeconfig, context, namespace, replicas (1), resources, storage: {size, className}, "
        "ingress: {host, className, tlsSecretName, annotations}, secretSync (external-secrets | direct), "
        "serviceAccountRoleArn, cilium, runtime: {kind: process}}.",
    ),
    "eks": ConfigKeySpec(
        "object",
        "Create an EKS cluster for the Kubernetes target: {version, subnetIds, nodeInstanceTypes, nodeCount, "
        "securityGroupIds}.",
    ),
    "peering": ConfigKeySpec(
        "object",
        "VPC peering (unset: none): {vpcId, vpcCidr, routeTableIds, peerVpcId, peerCidr, peerRouteTableIds, "
        "peerOwnerId, peerRegion, peerRoleArn, allowRemoteDnsResolution}.",
    ),
    "instances": ConfigKeySpec(
        "array",
        "Several named OpenHands instances (e.g. one per team) sharing the key, secret and network, each "
        "{name, profiles, defaultProfile, fallbackProfiles, port (default docker.port + index)}; its container "
        "and volume are docker.containerName/stateVolume + '-' + name. Docker target.",
        items="object",
    ),
    "tags": ConfigKeySpec(
        "object",
        "Tags on every AWS resource and labels on the Docker container, e.g. {owner, cost-center, "
        "zai-key-plan: coding-plan} (the policy pack advises environment, owner and cost-center; "
        "environment is the stack's name unless set).",
        {},
    ),
    "egress": ConfigKeySpec(
        "object",
        "Egress allow-list (unset: none): {vpcId, allowCidrs, allowDomains (default: the endpoint's host), "
        "ports ([443]), dnsResolverCidr, allowInsecureEgress, firewall: {enabled, subnetIds, internetRoutes, "
        "returnRoutes, deleteProtection, allowHttpsToFirewall}}.",
    ),
}


@dataclass(frozen=True)
class DockerSettings:
    host: str
    port: int
    listen_address: str
    state_volume: str
    container_name: str
    extra_env: dict[str, str] = field(default_factory=dict)
    image_digest: str | None = None


@dataclass(frozen=True)
class StackSettings:
    target: str
    llm: LlmConfig
    release: OpenHandsRelease
    debug: DebugToggles
    docker: DockerSettings
    secret: SecretSettings | None = None  # None: no AWS; the key goes from the stack to OpenHands
    peering: PeeringSettings | None = None
    egress: EgressSettings | None = None
    kubernetes: KubernetesSettings | None = None
    eks: EksSettings | None = None
    tags: dict[str, str] = field(default_factory=dict)
    instances: tuple[InstanceSettings, ...] = ()  # empty: one instance, the stack's own settings
    warnings: tuple[str, ...] = ()


_DOCKER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
# Variables the renderer owns; an extraEnv entry would silently shadow the typed settings.
_OWNED_ENV = re.compile(r"^(LLM_.*|OPENHANDS_PROVIDER_BASE_URL|DEBUG|LOG_ALL_EVENTS|DEBUG_LLM|"
                        r"OH_PERSISTENCE_DIR|AGENT_SERVER_IMAGE_.*|ZAI_API_KEY)$")


def _map_of(raw: Any, name: str, defaults: dict[str, Any], problems: Problems,
            optional: tuple[str, ...] = ()) -> dict[str, Any] | None:
    """Fill a map setting's unset keys from its defaults; report keys it does not have."""
    allowed = list(defaults) + list(optional)
    if raw is None:
        return dict(defaults)
    if not isinstance(raw, dict):
        problems.add(config_key(name), f"must be a map with keys {', '.join(allowed)}")
        return None
    for key in raw:
        if key not in allowed:
            problems.add(config_key(name, str(key)), unknown_key_message(str(key), allowed))
    return {**defaults, **raw}


def _parse_tags(raw: Any, problems: Problems) -> dict[str, str]:
    """AWS's tag rules (keys 1-128 characters, not `aws:`; values up to 256), checked before AWS does."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.add(config_key("tags"), "must be a map of tag name to string value")
        return {}
    tags = {}
    for name, value in raw.items():
        key = config_key("tags", str(name))
        if not isinstance(name, str) or not 1 <= len(name) <= 128 or name.lower().startswith("aws:"):
            problems.add(key, "tag names are 1-128 characters and may not start with aws:")
        elif not isinstance(value, str) or len(value) > 256:
            problems.add(key, f"must be a string of at most 256 characters, got {value!r}")
        else:
            tags[name] = value
    return tags


def _flag(value: Any, key: str, problems: Problems) -> bool:
    flag = as_bool(value)
    if flag is None:
        problems.add(key, f"must be true or false, got {value!r}")
    return bool(flag)


def _parse_debug(raw: Any, problems: Problems) -> DebugToggles:
    values = _map_of(raw, "debug", DEBUG_DEFAULTS, problems) or DEBUG_DEFAULTS
    return DebugToggles(
        debug=_flag(values["debug"], config_key("debug", "debug"), problems),
        log_all_events=_flag(values["logAllEvents"], config_key("debug", "logAllEvents"), problems),
        debug_llm=_flag(values["debugLlm"], config_key("debug", "debugLlm"), problems),
    )


def _parse_docker(raw: Any, problems: Problems) -> DockerSettings | None:
    values = _map_of(raw, "docker", DOCKER_DEFAULTS, problems, optional=("imageDigest",))
    if values is None:
        return None
    start = len(problems.items)
    host = values["host"]
    if not isinstance(host, str) or not re.match(r"^(unix:///\S+|ssh://([^\s/@]+@)?[^\s/@]+)$", host):
        problems.add(config_key("docker", "host"),
                     f"must be a local socket (unix:///var/run/docker.sock) or ssh://[user@]host[:port], got {host!r}")
    port = as_int(values["port"])
    if port is None or not 1 <= port <= 65535:
        problems.add(config_key("docker", "port"), f"must be an integer from 1 to 65535, got {values['port']!r}")
    address = values["listenAddress"]
    try:
        ipaddress.ip_address(address)
    except (ValueError, TypeError):
        problems.add(config_key("docker", "listenAddress"),
                     f"must be an IP address such as 127.0.0.1 or 0.0.0.0, got {address!r}")
    for key in ("stateVolume", "containerName"):
        if not isinstance(values[key], str) or not _DOCKER_NAME.match(values[key]):
            problems.add(config_key("docker", key),
                         f"must be a Docker name (letters, digits, '_', '.', '-'), got {values[key]!r}")
    digest = values.get("imageDigest")
    if digest is not None and (not isinstance(digest, str) or not _DIGEST.match(digest)):
        problems.add(config_key("docker", "imageDigest"), f"must be sha256:<64 hex digits>, got {digest!r}")
    extra_env = values["extraEnv"]
    if not isinstance(extra_env, dict):
        problems.add(config_key("docker", "extraEnv"), "must be a map of variable name to string value")
        extra_env = {}
    for name, value in extra_env.items():
        key = config_key("docker", "extraEnv", str(name))
        if not _ENV_NAME.match(str(name)):
            problems.add(key, "is not a valid environment variable name")
        elif _OWNED_ENV.match(name):
            problems.add(key, "is set by the bundle from the typed settings (profiles, zaiEndpoint, debug, "
                              "openhandsVersion); change those instead")
        elif not isinstance(value, (str, int, float, bool)):
            problems.add(key, "must be a string")
    if len(problems.items) > start:
        return None
    return DockerSettings(
        host=host, port=port, listen_address=address, state_volume=values["stateVolume"],
        container_name=values["containerName"],
        extra_env={k: (str(v).lower() if isinstance(v, bool) else str(v)) for k, v in extra_env.items()},
        image_digest=digest,
    )


def parse_stack_settings(raw: dict[str, Any], *, api_key_set: bool = True,
                         api_key_plaintext: bool = False, secret_keys: tuple[str, ...] = ()) -> StackSettings:
    """Validate every `openhands-zai:*` value (keys without the prefix). Raises ConfigError.

    `secret_keys` names the keys (without prefix) the stack stores encrypted: only the API key
    may be, since every other value is rendered into labels, the plan and the settings file.
    """
    problems = Problems()
    for key in raw:
        if key not in CONFIG_SCHEMA:
            problems.add(config_key(key), unknown_key_message(key, list(CONFIG_SCHEMA)))
    for key in secret_keys:
        if key in CONFIG_SCHEMA and not CONFIG_SCHEMA[key].secret:
            problems.add(config_key(key), "is stored as a secret, but only openhands-zai:zaiApiKey may be: the "
                                          "others are written into labels and the plan in the clear")

    target = raw.get("target", "docker")
    if target not in TARGETS:
        problems.add(config_key("target"), f"must be one of {', '.join(TARGETS)}, got {target!r}")

    if not api_key_set:
        problems.add(config_key("zaiApiKey"),
                     f"is not set; run `pulumi config set --secret {PROJECT}:zaiApiKey` (it reads the key from a prompt)")
    elif api_key_plaintext:
        problems.add(config_key("zaiApiKey"),
                     f"is stored in plaintext; remove it and run `pulumi config set --secret {PROJECT}:zaiApiKey`")

    version = raw.get("openhandsVersion", DEFAULT_VERSION)
    release = RELEASES.get(version) if isinstance(version, str) else None
    if release is None:
        problems.add(config_key("openhandsVersion"), f"{version!r} is not supported; supported: {', '.join(RELEASES)}")

    llm = parse_llm_config(raw, problems)
    debug = _parse_debug(raw.get("debug"), problems)
    docker = _parse_docker(raw.get("docker"), problems)
    tags = _parse_tags(raw.get("tags"), problems)
    instances: tuple[InstanceSettings, ...] = ()
    if raw.get("instances") is not None:
        from components.instance_settings import parse_instances

        if target != "docker":
            problems.add(config_key("instances"), "is supported on the Docker target only in this release "
                                                  "(Kubernetes: one stack per instance)")
        elif docker is not None:
            instances = parse_instances(raw["instances"], {k: raw[k] for k in LLM_KEYS if k in raw}, docker.port,
                                        docker.container_name, docker.state_volume, problems)
    secret = peering = egress = None
    # The AWS settings are parsed (and their modules imported) only when a stack uses them:
    # `ops plan` for a plain Docker stack stays as fast as the import of Pulumi itself.
    if raw.get("secret") is not None:
        from components.secret_settings import parse_secret_settings

        secret = parse_secret_settings(raw["secret"], problems, eks_configured=raw.get("eks") is not None)
    if raw.get("peering") is not None or raw.get("egress") is not None:
        from components.network.settings import parse_egress_settings, parse_peering_settings

        peering = parse_peering_settings(raw.get("peering"), problems)
        egress = parse_egress_settings(raw.get("egress"), problems,
                                       endpoint_host=urlsplit(llm.base_url).hostname if llm else None,
                                       peer_cidr=peering.peer_cidr if peering else None)
    kubernetes = eks = None
    if target == "kubernetes" or raw.get("kubernetes") is not None or raw.get("eks") is not None:
        from components.cluster_settings import check_cluster_against_secret, parse_eks_settings, parse_kubernetes_settings

        for key in ("kubernetes", "eks"):
            if raw.get(key) is not None and target != "kubernetes":
                problems.add(config_key(key), "is set, but openhands-zai:target is not kubernetes")
        kubernetes = parse_kubernetes_settings(raw.get("kubernetes"), problems, required=target == "kubernetes")
        eks = parse_eks_settings(raw.get("eks"), problems)
        if kubernetes is not None:
            check_cluster_against_secret(kubernetes, secret, raw.get("secret") is not None, eks is not None, problems)
    problems.raise_if_any()

    warnings = []
    if llm.fallback_profiles and not release.keeps_fallbacks:
        warnings.append(f"{config_key('fallbackProfiles')}: OpenHands {release.version} drops fallback_strategy when it "
                        "loads settings.json; the fallbacks are written in the SDK's form but take no effect "
                        "in this release")
    if debug.debug_llm:
        warnings.append(f"{config_key('debug', 'debugLlm')} is on: OpenHands logs whole prompts and completions")
    if target == "docker" and not ipaddress.ip_address(docker.listen_address).is_loopback:
        warnings.append(f"{config_key('docker', 'listenAddress')} is {docker.listen_address}: the OpenHands UI "
                        "has no login in this mode; anyone who reaches the port can run the agent")
    if egress is not None:
        warnings.extend(egress.warnings)
    return StackSettings(target=target, llm=llm, release=release, debug=debug, docker=docker, secret=secret,
                         peering=peering, egress=egress, kubernetes=kubernetes, eks=eks, tags=tags,
                         instances=instances, warnings=tuple(warnings))


def _decode(spec: ConfigKeySpec, value: str) -> Any:
    # Pulumi hands the program every value as a string; structured values arrive as JSON.
    if spec.type == "string":
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value  # the parser reports it with the key named


def _engine_config_keys() -> tuple[set[str], set[str]]:
    """Every config key the engine passed, and the secret ones.

    `pulumi up` passes config through PULUMI_CONFIG / PULUMI_CONFIG_SECRET_KEYS; mocks and the
    automation API through `set_all_config`. Both are consulted.
    """
    from pulumi.runtime import config as runtime_config

    keys = set(runtime_config.CONFIG.get()) | set(runtime_config.get_config_env())
    secret = {key for key in keys if runtime_config.is_config_secret(key)}
    secret |= set(runtime_config.get_config_secret_keys_env())
    return keys, secret


@dataclass(frozen=True)
class RawStackConfig:
    values: dict[str, Any]  # keyed without the project prefix
    api_key: Any  # a secret Output, or None when unset
    api_key_plaintext: bool
    secret_keys: tuple[str, ...]  # keys (without prefix) the stack stores encrypted

    def parse(self) -> StackSettings:
        return parse_stack_settings(self.values, api_key_set=self.api_key is not None,
                                    api_key_plaintext=self.api_key_plaintext, secret_keys=self.secret_keys)


def _project_values(keys: Any, value_of: Any) -> dict[str, Any]:
    """The `openhands-zai:*` values among `keys`, decoded, keyed without the prefix.

    Keys the schema does not know are kept (as None) so the parser reports a misspelt key
    instead of silently ignoring it; the secret key is read separately, never here.
    """
    prefix = PROJECT + ":"
    raw: dict[str, Any] = {}
    for full_key in sorted(keys):
        if not full_key.startswith(prefix):
            continue
        key = full_key[len(prefix):]
        spec = CONFIG_SCHEMA.get(key)
        if spec is None:
            raw[key] = None
        elif not spec.secret:
            value = value_of(full_key, key)
            if value is not None:
                raw[key] = _decode(spec, value)
    return raw


def _unprefixed(keys: Any) -> tuple[str, ...]:
    prefix = PROJECT + ":"
    return tuple(sorted(key[len(prefix):] for key in keys if key.startswith(prefix)))


def settings_from_config(config: dict[str, str], secret_keys: list[str] | tuple[str, ...]) -> StackSettings:
    """Parse full-key config strings as the engine passes them (e.g. from `ops.stack_files`)."""
    raw = _project_values(config, lambda full_key, _key: config[full_key])
    api_key = f"{PROJECT}:zaiApiKey"
    return parse_stack_settings(
        raw, api_key_set=api_key in config, api_key_plaintext=api_key in config and api_key not in secret_keys,
        secret_keys=_unprefixed(secret_keys))


def read_stack_config(config: Any) -> RawStackConfig:
    """Read `openhands-zai:*` from a `pulumi.Config`."""
    all_keys, secret_keys = _engine_config_keys()
    api_key = config.get_secret("zaiApiKey")
    return RawStackConfig(
        values=_project_values(all_keys, lambda _full_key, key: config.get(key)),
        api_key=api_key,
        api_key_plaintext=api_key is not None and f"{PROJECT}:zaiApiKey" not in secret_keys,
        secret_keys=_unprefixed(secret_keys),
    )
