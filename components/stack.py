"""The stack's settings: every `openhands-zai:*` key, typed once and validated at the edge.

`StackSettings` composes the concerns' models, one key each (`docker`, `secret`, `egress`, ...),
plus the LLM description, whose keys (`zaiEndpoint`, `profiles`, `defaultProfile`,
`fallbackProfiles`) sit at the top of the stack file and so come from `LlmSettings` itself.
Checks across concerns sit on the later field and read the earlier ones, so they run beside
every other field's checks: one run reports every problem. Its JSON Schema is the source of
`Pulumi.yaml`'s typed `config:` block (`openhands-zai schema --write`, checked in CI).

`read_stack_config` reads the keys through Pulumi's public API, as `pulumi up` passes them.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import os
from dataclasses import dataclass
from typing import Annotated, Any, Literal, get_origin
from urllib.parse import urlsplit

import pulumi
from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator

from .aws_ids import Tags
from .canvas.settings import OWNED_ENV as CANVAS_OWNED_ENV
from .canvas.settings import CanvasSettings
from .docker.settings import DockerSettings
from .errors import PROJECT, ConfigError, ConfigProblem, Hint, config_key, problems_from
from .fields import problem, problems_at
from .gateway.settings import GatewaySettings, model_name
from .instances.settings import InstanceSettings, with_ports, with_stack_choice
from .kubernetes.settings import APP_SERVICE_ACCOUNT, SECRET_SYNC_SERVICE_ACCOUNT, EksSettings, KubernetesSettings
from .llm.catalogue import CODING_PLAN
from .llm.endpoints import resolve_endpoint
from .llm.settings import DebugSettings, LlmSettings
from .network.settings import EgressSettings, PeeringSettings
from .release import ReleaseSettings
from .secret.settings import SecretSettings
from .zai_key import key_problem

API_KEY = "zaiApiKey"
# The key is not a setting: it is read as a Pulumi secret and never validated into a model.
API_KEY_DECLARATION = {
    "type": "string", "secret": True,
    "description": "The Z.AI API key. Set it with `pulumi config set --secret openhands-zai:zaiApiKey`.",
}


class StackSettings(LlmSettings):
    """Every `openhands-zai:*` setting of a stack (the key excepted)."""

    unknown_key_hints = (
        (r"^openhandsVersion$", "moved in 0.7.0: set openhands-zai:release.version"),
        (r"^imageDigest$", "is a release setting: set openhands-zai:release.imageDigest"),
    )

    target: Literal["docker", "kubernetes"] = Field("docker", description="Where OpenHands runs: docker or kubernetes.")
    distribution: Literal["app-server", "agent-canvas"] = Field(
        "app-server", description="Which OpenHands the stack deploys: app-server, the open-source app server at "
                                  "openhands-zai:release.version (1.11.0, upstream's last release of the old GUI), on "
                                  "either target; agent-canvas, upstream's current open-source UI on the agent server "
                                  "at openhands-zai:canvas.version (the Docker target in this release).")
    release: ReleaseSettings = Field(
        ReleaseSettings(),
        description=(
            "The OpenHands release both targets run, and the image digests you verified."))
    canvas: CanvasSettings | None = Field(
        None, validate_default=True, description=(
            "Agent Canvas (distribution agent-canvas): its release, telemetry and projects volume (unset: the "
            "defaults). Refused with another distribution."))
    debug: DebugSettings = Field(
        DebugSettings(),
        description=(
            "The server's logging toggles."))
    tags: Tags = Field(
        {},
        description="Tags on every AWS resource and labels on the Docker container, e.g. {owner, cost-center, "
                    "zai-key-plan: coding-plan} (the policy pack advises environment, owner and cost-center; "
                    "environment is the stack's name unless set).")
    docker: DockerSettings | None = Field(
        None, validate_default=True,
        description=(
            "The Docker target: the host, the published port, the container and its state volume (unset: the "
            "defaults). Refused on a Kubernetes stack."))
    eks: EksSettings | None = Field(
        None, description=(
            "Create an EKS cluster for the Kubernetes target (unset: deploy to the cluster of "
            "kubernetes.kubeconfig)."))
    secret: SecretSettings | None = Field(
        None, description=(
            "Keep the Z.AI key in AWS Secrets Manager, encrypted with KMS and readable by named roles only "
            "(unset: no AWS; the key goes from the stack straight to its consumer)."))
    kubernetes: KubernetesSettings | None = Field(
        None, validate_default=True,
        description=(
            "The Kubernetes target: where in the cluster, its size, how the UI is reached and signed in to, "
            "how the key gets there. Refused on a Docker stack."))
    peering: PeeringSettings | None = Field(
        None, description=(
            "VPC peering between the OpenHands VPC and a peer (unset: none)."))
    egress: EgressSettings | None = Field(
        None, description=(
            "The egress allow-list: security group, prefix list, DNS Firewall and optionally a Network "
            "Firewall, so OpenHands reaches Z.AI and little else (unset: none)."))
    instances: Annotated[tuple[InstanceSettings, ...], Hint("a non-empty list of instances")] | None = Field(
        None, description=(
            "Several named OpenHands instances on one Docker host (e.g. one per team), sharing the key, "
            "secret and network; each inherits the stack's profiles, defaultProfile and fallbackProfiles "
            "unless it sets them. Docker target only."))
    gateway: GatewaySettings | None = Field(
        None, description=(
            "The LLM gateway, a LiteLLM proxy beside OpenHands that alone holds the Z.AI key (unset: "
            "OpenHands calls Z.AI with the key itself). Profiles become its models, fallbackProfiles its "
            "fallbacks."))

    @model_validator(mode="before")
    @classmethod
    def _instances_start_from_the_stack_choice(cls, raw: Any) -> Any:
        if isinstance(raw, dict) and isinstance(raw.get("instances"), list):
            raw = {**raw, "instances": [with_stack_choice(item, raw) for item in raw["instances"]]}
        return raw

    @field_validator("canvas")
    @classmethod
    def _canvas_for_agent_canvas(cls, canvas: CanvasSettings | None, info: ValidationInfo) -> Any:
        distribution = info.data.get("distribution")
        if distribution != "agent-canvas":
            if canvas is not None:
                raise problem(f"is set, but openhands-zai:distribution is {distribution}, not agent-canvas")
            return None
        if info.data.get("target") == "kubernetes":
            raise problem("agent-canvas runs on the Docker target in this release (openhands-zai:target docker); "
                          "on a cluster, use distribution app-server")
        return canvas or CanvasSettings()

    @field_validator("docker")
    @classmethod
    def _docker_for_the_docker_target(cls, docker: DockerSettings | None, info: ValidationInfo) -> Any:
        target = info.data.get("target")
        if docker is None:
            return DockerSettings() if target == "docker" else None
        if target == "kubernetes":
            raise problem("is set, but openhands-zai:target is kubernetes (the image digest is "
                          "openhands-zai:release.imageDigest)")
        owned = sorted(set(docker.extra_env) & set(CANVAS_OWNED_ENV))
        if owned and info.data.get("distribution") == "agent-canvas":
            raise problems_at(cls.__name__, [(("extraEnv", name), "is set by the bundle for Agent Canvas (its keys, "
                                              "telemetry, the session-key policy); change openhands-zai:canvas "
                                              "instead") for name in owned])
        return docker

    @field_validator("eks")
    @classmethod
    def _eks_for_the_cluster_target(cls, eks: EksSettings | None, info: ValidationInfo) -> Any:
        if eks is not None and info.data.get("target") == "docker":
            raise problem("is set, but openhands-zai:target is not kubernetes")
        return eks

    @field_validator("secret")
    @classmethod
    def _irsa_provider_known(cls, secret: SecretSettings | None, info: ValidationInfo) -> Any:
        trust = secret.create_reader_role if secret is not None else None
        if trust is not None and trust.irsa is not None and trust.irsa.oidc_provider_arn is None \
                and info.data.get("eks") is None and "eks" in info.data:
            raise problems_at(cls.__name__, [(("createReaderRole", "irsa", "oidcProviderArn"),
                                              "is required unless openhands-zai:eks builds the cluster (then the new "
                                              "cluster's OIDC provider is used)")])
        return secret

    @field_validator("kubernetes")
    @classmethod
    def _cluster_has_what_it_needs(cls, kube: KubernetesSettings | None, info: ValidationInfo) -> Any:
        target = info.data.get("target")
        if kube is None:
            kube = KubernetesSettings() if target == "kubernetes" else None
        elif target == "docker":
            raise problem("is set, but openhands-zai:target is not kubernetes")
        if kube is None:
            return None
        found: list[tuple[tuple[str | int, ...], str]] = []
        if info.data.get("eks") is not None and (kube.kubeconfig or kube.context):
            found.append((("kubeconfig",), "is not used with openhands-zai:eks: the provider connects to the new "
                                           "cluster"))
        if kube.secret_sync == "external-secrets" and "secret" in info.data:
            secret = info.data["secret"]
            trust = secret.create_reader_role if secret is not None else None
            if secret is None:
                found.append((("secretSync",), "external-secrets reads the key from AWS Secrets Manager: set "
                                               "openhands-zai:secret, or use secretSync: direct"))
            elif (trust is None or trust.irsa is None) and not kube.service_account_role_arn:
                found.append((("serviceAccountRoleArn",), "is needed for external-secrets (the SecretStore "
                              f"authenticates as the {SECRET_SYNC_SERVICE_ACCOUNT} service account through IRSA): "
                              "set it, or openhands-zai:secret.createReaderRole.irsa"))
        if found:
            raise problems_at(cls.__name__, found)
        return kube

    @field_validator("egress")
    @classmethod
    def _egress_with_the_endpoint_and_peer(cls, egress: EgressSettings | None, info: ValidationInfo) -> Any:
        if egress is None or "peering" not in info.data:
            return egress
        peering = info.data["peering"]
        base_url, _ = resolve_endpoint(info.data.get("zai_endpoint") or "")
        host = urlsplit(base_url).hostname if base_url else None
        kube = info.data.get("kubernetes")
        # oauth2-proxy signs users in against the identity provider: the firewalls must let it through.
        identity_provider = kube.auth.issuer_host if kube is not None and kube.auth is not None \
            and not kube.auth.on_alb else None
        return egress.resolved(host, peering.peer_cidr if peering is not None else None,
                               also_domains=(identity_provider,) if identity_provider else ())

    @field_validator("instances")
    @classmethod
    def _instances_on_one_docker_host(cls, instances: tuple[InstanceSettings, ...] | None,
                                      info: ValidationInfo) -> Any:
        if instances is None:
            return None
        if not instances:
            raise problem("is empty; list at least one instance {name, ...}, or remove the key for one server")
        if info.data.get("target") != "docker":
            raise problem("is supported on the Docker target only in this release (Kubernetes: one stack per "
                          "instance)")
        if info.data.get("distribution") == "agent-canvas":
            raise problem("is not supported with distribution agent-canvas in this release (one Canvas per stack)")
        docker = info.data.get("docker")
        return with_ports(instances, docker.port) if docker is not None else instances

    @field_validator("gateway")
    @classmethod
    def _gateway_serves_every_profile(cls, gateway: GatewaySettings | None, info: ValidationInfo) -> Any:
        if gateway is None or not gateway.enabled:
            return gateway
        if info.data.get("instances"):
            raise problem("is not supported with openhands-zai:instances in this release (instances may define "
                          "profiles of the same name differently); one gateway per single-server stack")
        profiles = info.data.get("profiles")
        if profiles:
            seen: dict[str, str] = {}
            for name, profile in profiles.items():
                served = model_name(name, profile)
                if served in seen:
                    raise problem(f"profiles {seen[served]!r} and {name!r} would both be the gateway's model "
                                  f"{served!r}; rename one")
                seen[served] = name
        return gateway

    @model_validator(mode="after")
    def _reader_role_trusts_the_cluster_account(self) -> StackSettings:
        trust = self.secret.create_reader_role if self.secret is not None else None
        irsa = trust.irsa if trust is not None else None
        if self.kubernetes is not None and irsa is not None and irsa.service_account == APP_SERVICE_ACCOUNT:
            raise problems_at(type(self).__name__, [(("secret", "createReaderRole", "irsa", "serviceAccount"), (
                f"is {APP_SERVICE_ACCOUNT}, the OpenHands pod's account, where the agent runs: EKS would hand the "
                f"reader role to every container of that pod. Trust {SECRET_SYNC_SERVICE_ACCOUNT}, the secret "
                "sync's own account, which no pod runs as"))])
        if self.kubernetes is not None and irsa is not None \
                and (irsa.namespace, irsa.service_account) != (self.kubernetes.namespace, SECRET_SYNC_SERVICE_ACCOUNT):
            raise problems_at(type(self).__name__, [(("secret", "createReaderRole", "irsa"), (
                f"must trust the service account {SECRET_SYNC_SERVICE_ACCOUNT} in namespace "
                f"{self.kubernetes.namespace} (the secret sync's, which the cluster target creates), not "
                f"{irsa.service_account} in {irsa.namespace}"))])
        return self

    @property
    def llm(self) -> LlmSettings:
        """The LLM description alone, as the renderers and components take it."""
        return LlmSettings.model_construct(zai_endpoint=self.zai_endpoint, profiles=self.profiles,
                                           default_profile=self.default_profile,
                                           fallback_profiles=self.fallback_profiles)

    @property
    def openhands_version(self) -> str:
        """What the stack runs, as its `openhandsVersion` output says it."""
        if self.canvas is not None:
            return f"agent-canvas {self.canvas.version}"
        return self.release.pinned.version

    @property
    def needs_aws(self) -> bool:
        """Whether the stack creates AWS resources (and so needs a region, as pulumi-aws does)."""
        return any(concern is not None for concern in (self.secret, self.peering, self.egress, self.eks))

    def region_problems(self, region: str | None) -> list[ConfigProblem]:
        """The region pulumi-aws will use (`aws:region`, else AWS_REGION / AWS_DEFAULT_REGION), checked
        against what needs one: set at all, and every zone the stack names inside it."""
        if not self.needs_aws:
            return []
        if not region:
            return [ConfigProblem("aws:region", "is not set, nor AWS_REGION or AWS_DEFAULT_REGION, and the stack "
                                                "creates AWS resources: run `pulumi config set aws:region <region>`")]
        firewall = self.egress.firewall if self.egress is not None else None
        if firewall is None:
            return []
        named = [(f"subnets[{i}]", s.availability_zone) for i, s in enumerate(firewall.subnets)]
        named += [(f"protectedSubnets[{i}]", s.availability_zone) for i, s in enumerate(firewall.protected_subnets)]
        return [ConfigProblem(f"{config_key('egress', 'firewall')}.{where}.availabilityZone",
                              f"{zone} is not a zone of the region the stack deploys to ({region})")
                for where, zone in named if not (zone.startswith(region) and len(zone) == len(region) + 1)]

    @property
    def llm_gateway(self) -> GatewaySettings | None:
        """The gateway when it runs (`gateway` set and not `enabled: false`)."""
        return self.gateway if self.gateway is not None and self.gateway.enabled else None

    @property
    def seats(self) -> str | None:
        """Why more than one person can use this stack's key, or None (one server, on loopback)."""
        if self.target == "kubernetes":
            return "the cluster target serves its UI to whoever reaches the Ingress or Service"
        if self.instances is not None and len(self.instances) > 1:
            return f"{len(self.instances)} instances share it"
        if self.docker is not None and not ipaddress.ip_address(self.docker.listen_address).is_loopback:
            return f"the UI listens on {self.docker.listen_address}"
        return None

    def _choices(self) -> list[tuple[tuple[str, ...], Any]]:
        """Every choice of profiles the stack makes (its own, and each instance's) and where it sits."""
        return [((), self), *(((f"instances[{i}]",), instance) for i, instance in enumerate(self.instances or ()))]

    @property
    def notes(self) -> tuple[str, ...]:
        """Worth knowing, not risky: said on every plan and `pulumi up` (legacy models)."""
        found = [note for where, choice in self._choices() for note in choice.model_notes(where)]
        if self.canvas is not None and self.llm_gateway is not None:
            found.append(f"{config_key('gateway')} with Agent Canvas: the agent works inside the Canvas container, "
                         "which holds the gateway's key (no Z.AI key, no Docker socket): an agent can spend the key's "
                         "quota through the gateway, within its limits, and never read the Z.AI key (docs/canvas.md)")
        elif self.docker is not None and self.llm_gateway is not None:
            found.append(f"{config_key('gateway')} on the Docker target: the OpenHands container holds the Docker "
                         "socket (root on the host), so it, and an agent that escapes its sandbox, can read the "
                         "gateway's Z.AI key with `docker inspect`; the gateway keeps the key out of the sandboxes, "
                         "not out of the app (docs/security.md)")
        return tuple(dict.fromkeys(found))

    @property
    def warnings(self) -> tuple[str, ...]:
        """Valid but risky choices, said on every plan and `pulumi up`."""
        found = [warning for where, choice in self._choices() for warning in choice.model_warnings(self.zai_endpoint,
                                                                                                    where)]
        seats = self.seats
        if self.plan == CODING_PLAN and seats is not None:
            found.append(f"{config_key('zaiEndpoint')} is the GLM Coding Plan and {seats}: Z.AI's usage policy says the "
                         "plan \"is intended for individual use by the subscriber\" and that sharing one \"may be "
                         "considered improper usage\" (throttling, then a ban; docs.z.ai/devpack/usage-policy). For a "
                         "team, use zaiEndpoint: general with a pay-as-you-go API key, or one Coding Plan key per "
                         "person (docs/models.md: \"One key, one person\")")
        release = self.release.pinned
        if self.fallback_profiles and self.canvas is not None and self.llm_gateway is None:
            found.append(f"{config_key('fallbackProfiles')}: an Agent Canvas profile cannot carry fallbacks (the SDK "
                         "leaves LLM.fallback_strategy out of what it saves), so they take no effect without "
                         "openhands-zai:gateway, whose router falls back")
        elif self.fallback_profiles and not release.keeps_fallbacks and self.llm_gateway is None:
            found.append(f"{config_key('fallbackProfiles')}: OpenHands {release.version} drops fallback_strategy when "
                         "it loads settings.json; the fallbacks are written in the SDK's form but take no effect in "
                         "this release (openhands-zai:gateway makes them real)")
        if self.canvas is not None and self.llm_gateway is None:
            found.append(f"{config_key('distribution')} is agent-canvas without {config_key('gateway')}: Canvas's "
                         "agent works inside the server's container, which stores the Z.AI key (encrypted with a key "
                         "in the same container), so an agent that a prompt or a repository steers can read it; set "
                         "openhands-zai:gateway so the container holds only the gateway's key")
        if self.debug.debug_llm:
            found.append(f"{config_key('debug', 'debugLlm')} is on: OpenHands logs whole prompts and completions")
        if self.docker is not None and not ipaddress.ip_address(self.docker.listen_address).is_loopback:
            found.append(f"{config_key('docker', 'listenAddress')} is {self.docker.listen_address}: the OpenHands UI "
                         "has no login in this mode; anyone who reaches the port can run the agent")
        if self.egress is not None:
            found.extend(self.egress.warnings)
        kube = self.kubernetes
        if kube is not None and kube.allow_unauthenticated and kube.ingress is not None and kube.auth is None:
            found.append(f"{config_key('kubernetes', 'allowUnauthenticated')} is true: the UI at {kube.ingress.host} "
                         "has no login, and whoever reaches it runs code in the cluster with your Z.AI key's quota "
                         "(OpenHands open source has no users); put kubernetes.auth in front of it")
        trust = self.secret.create_reader_role if self.secret is not None else None
        if self.docker is not None and trust is not None and trust.ec2:
            found.append(f"{config_key('secret', 'createReaderRole')} trusts EC2: nothing on a Docker host reads the "
                         "secret (the deployer's Pulumi reads it), and any process there that reaches the instance "
                         "metadata service gets the role; remove it, or launch the host from launchTemplateId "
                         "(IMDSv2, hop limit 1)")
        return tuple(found)


def parse_stack_settings(raw: dict[str, Any], *, api_key_set: bool = True, api_key_plaintext: bool = False,
                         secret_keys: tuple[str, ...] = (), aws_region: str | None | bool = True,
                         by_name: bool = False) -> StackSettings:
    """Validate every `openhands-zai:*` value (keys without the prefix). Raises ConfigError with all problems.

    `secret_keys` names the keys (without prefix) the stack stores encrypted: only the API key
    may be, since every other value is rendered into labels, the plan and the settings file.
    `aws_region`: the region pulumi-aws will use (see `aws_region`), checked when the stack needs
    one; `True` (code building settings without a stack) skips the check.
    `by_name`: the keys are Python names (what the component package's SDKs hand over), not the
    stack file's camelCase.
    """
    problems = [ConfigProblem(config_key(key), "is stored as a secret, but only openhands-zai:zaiApiKey may be: the "
                                                "others are written into labels and the plan in the clear")
                for key in secret_keys if key != API_KEY]
    if not api_key_set:
        problems.append(ConfigProblem(config_key(API_KEY), f"is not set; run `pulumi config set --secret "
                                                           f"{PROJECT}:{API_KEY}` (it reads the key from a prompt)"))
    elif api_key_plaintext:
        problems.append(ConfigProblem(config_key(API_KEY), f"is stored in plaintext; remove it and run `pulumi config "
                                                           f"set --secret {PROJECT}:{API_KEY}`"))
    settings = None
    try:
        # Keys as the stack file writes them (camelCase) only: `top_p` is a typo for `topP` there,
        # while code may still build the models with Python names.
        settings = StackSettings.model_validate({key: value for key, value in raw.items() if key != API_KEY},
                                                by_name=by_name)
    except ValidationError as error:
        problems.extend(problems_from(error, StackSettings))
    if settings is not None and aws_region is not True:
        problems.extend(settings.region_problems(aws_region or None))
    if problems or settings is None:
        raise ConfigError(problems)
    return settings


def aws_region(configured: str | None) -> str | None:
    """The region pulumi-aws resolves: `aws:region`, else the environment's AWS_REGION, AWS_DEFAULT_REGION."""
    return configured or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or None


# -- reading the keys as Pulumi passes them ------------------------------------------------------

@functools.cache
def _text_keys() -> frozenset[str]:
    """Keys whose values are text; Pulumi hands every other value over as JSON."""
    return frozenset(field.alias or name for name, field in StackSettings.model_fields.items()
                     if field.annotation is str or get_origin(field.annotation) is Literal)


def _decode(key: str, value: str, text_keys: frozenset[str]) -> Any:
    if key in text_keys:
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value  # the model refuses it with the key named


@dataclass(frozen=True)
class RawStackConfig:
    values: dict[str, Any]  # keyed without the project prefix
    api_key: Any  # a secret Output, or None when unset
    api_key_plaintext: bool
    secret_keys: tuple[str, ...]  # keys (without prefix) the stack stores encrypted
    region: str | None = None  # the AWS region pulumi-aws will use

    def parse(self) -> StackSettings:
        return parse_stack_settings(self.values, api_key_set=self.api_key is not None,
                                    api_key_plaintext=self.api_key_plaintext, secret_keys=self.secret_keys,
                                    aws_region=self.region)


def _unprefixed(keys: Any) -> dict[str, str]:
    prefix = PROJECT + ":"
    return {key[len(prefix):]: key for key in keys if key.startswith(prefix)}


def settings_from_config(config: dict[str, str], secret_keys: list[str] | tuple[str, ...]) -> StackSettings:
    """Parse full-key config strings as the engine passes them (e.g. from a stack file)."""
    text_keys = _text_keys()
    values = {key: _decode(key, config[full], text_keys) for key, full in _unprefixed(config).items()
              if key != API_KEY}
    full_key = f"{PROJECT}:{API_KEY}"
    return parse_stack_settings(values, api_key_set=full_key in config,
                                api_key_plaintext=full_key in config and full_key not in secret_keys,
                                secret_keys=tuple(_unprefixed(secret_keys)), aws_region=aws_region(config.get("aws:region")))


def checked_api_key(value: str) -> str:
    """The key as stored, or ConfigError naming the key (never its value): a key with its trailing
    newline would reach an Authorization header, and the error there quotes it."""
    problem = key_problem(value)
    if problem:
        raise ConfigError([ConfigProblem(config_key(API_KEY), f"{problem}; set it again with `pulumi config set "
                                                              f"--secret {PROJECT}:{API_KEY}`")])
    return value


def read_stack_config(config: pulumi.Config | None = None) -> RawStackConfig:
    """Read `openhands-zai:*` from the running program's config (public Pulumi API only).

    The keys come from `pulumi.Config`; the CLI also passes the whole stack config in the
    environment (`pulumi.runtime.get_config_env`), which is where a misspelt key is found
    (an inline Automation API program has only the keys this model knows).
    """
    config = config or pulumi.Config(PROJECT)
    text_keys = _text_keys()
    known = [field.alias or name for name, field in StackSettings.model_fields.items()]
    passed = _unprefixed(pulumi.runtime.get_config_env())
    values: dict[str, Any] = {}
    for key in sorted(set(known) | set(passed)):
        if key == API_KEY:
            continue
        value = config.get(key)
        if value is not None:
            values[key] = _decode(key, value, text_keys)
    secret = set(_unprefixed(pulumi.runtime.get_config_secret_keys_env()))
    secret |= {key for key in [*known, *passed, API_KEY] if pulumi.runtime.is_config_secret(f"{PROJECT}:{key}")}
    api_key = config.get_secret(API_KEY)
    if api_key is not None:
        # Checked where its value is known (inside the secret): every consumer gets the checked key.
        api_key = api_key.apply(checked_api_key)
    return RawStackConfig(values=values, api_key=api_key, api_key_plaintext=api_key is not None and API_KEY not in secret,
                          secret_keys=tuple(sorted(secret)), region=aws_region(pulumi.Config("aws").get("region")))
