"""`openhands-zai:kubernetes` (the cluster target) and `openhands-zai:eks` (a new EKS cluster for it)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator

from ..aws_ids import IamRoleArn, KubernetesName, SecurityGroupId, SubnetId
from ..errors import Hint
from ..fields import Flag, Ipv4Cidr, SettingsModel, WholeNumber, problem, problems_at, text_from_number, unique
from ..kube import Quantity, Resources, over_defaults

Host = Annotated[str, Field(pattern=r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"),
                 Hint("a DNS host name such as openhands.example.com")]
# The OpenHands pod's account (the agent runs there: never a cloud role), and the one the External
# Secrets Operator authenticates as (no pod runs as it): the reader role trusts that one alone.
APP_SERVICE_ACCOUNT = "openhands"
SECRET_SYNC_SERVICE_ACCOUNT = "openhands-secret-sync"
DEFAULT_RESOURCES = {"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"cpu": "4", "memory": "8Gi"}}


def _over_default_resources(raw: Any) -> Any:
    """Unset sections and quantities keep their defaults (requests 1/2Gi, limits 4/8Gi)."""
    return over_defaults(raw, DEFAULT_RESOURCES)


class Storage(SettingsModel):
    size: Quantity = Field("20Gi", description=(
        "The size of the volume holding OpenHands' state (a Kubernetes quantity)."))
    class_name: KubernetesName | None = Field(None, description=(
        "The StorageClass of that volume (unset: the cluster's default)."))


class Ingress(SettingsModel):
    host: Host = Field(description=(
        "The UI's host name."))
    class_name: KubernetesName | None = Field(None, description=(
        "The IngressClass (unset: the cluster's default; alb with an ALB login)."))
    tls_secret_name: KubernetesName | None = Field(None, description=(
        "The TLS Secret for host; required unless the ALB authenticates (then auth.certificateArn)."))
    annotations: Annotated[dict[str, str], Hint("a map of annotation to string value")] = Field(
        default_factory=dict, description=(
        "More annotations on the Ingress (your controller's own knobs)."))


HttpsUrl = Annotated[str, Field(pattern=r"^https://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:/[^\s]*)?$"),
                     Hint("an https:// URL")]
AcmCertificateArn = Annotated[str, Field(pattern=r"^arn:aws(?:-cn|-us-gov)?:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]{36}$"),
                              Hint("an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)")]
CognitoPoolArn = Annotated[str, Field(pattern=r"^arn:aws(?:-cn|-us-gov)?:cognito-idp:[a-z0-9-]+:\d{12}:"
                                              r"userpool/[\w-]+_[0-9A-Za-z]+$"),
                           Hint("a Cognito user pool ARN")]
EmailDomain = Annotated[str, Field(pattern=r"^(?:\*|(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63})$"),
                        Hint("an e-mail domain such as example.com, or * for any address the provider vouches for")]
AUTH_PROVIDERS = ("oauth2-proxy", "alb-oidc", "alb-cognito")
# What each provider needs, as the user writes the keys.
_AUTH_NEEDS = {
    "oauth2-proxy": ("issuerUrl", "clientId", "clientSecretName", "allowedEmailDomains"),
    "alb-oidc": ("issuerUrl", "authorizationEndpoint", "tokenEndpoint", "userInfoEndpoint", "clientSecretName",
                 "certificateArn", "loadBalancerCidrs"),
    "alb-cognito": ("userPoolArn", "userPoolClientId", "userPoolDomain", "certificateArn", "loadBalancerCidrs"),
}


class AuthSettings(SettingsModel):
    """Who may open the UI: OpenHands open source has no users, so the login sits in front of it.

    - `oauth2-proxy` (any cluster): oauth2-proxy in the namespace, between the Ingress and the UI,
      against your OIDC provider; `clientSecretName` names a Secret you create with the key
      `client-secret`; `allowedEmailDomains` is who may sign in.
    - `alb-oidc`, `alb-cognito` (EKS with the AWS Load Balancer Controller): the ALB authenticates
      before it forwards; HTTPS only, with `certificateArn`; `clientSecretName` names a Secret with
      `clientID` and `clientSecret` (the controller's format); `loadBalancerCidrs` are the ranges of the
      ALB's subnets, the only sources the UI's pods accept.
    """

    provider: Annotated[Literal["oauth2-proxy", "alb-oidc", "alb-cognito"],
                        Hint("oauth2-proxy (any cluster), alb-oidc or alb-cognito (the AWS Load Balancer "
                             "Controller authenticates)")] = Field(description=(
        "Who signs users in: oauth2-proxy (any cluster), or alb-oidc / alb-cognito (the AWS Load Balancer "
        "Controller authenticates at the ALB, HTTPS only)."))
    issuer_url: HttpsUrl | None = Field(None, description=(
        "The OIDC issuer (oauth2-proxy, alb-oidc)."))
    client_id: Annotated[str, Field(min_length=1, max_length=256)] | None = Field(None, description=(
        "The OIDC client id (oauth2-proxy, alb-oidc)."))
    client_secret_name: KubernetesName | None = Field(None, description=(
        "A Secret you create in the namespace with the client secret: key client-secret for oauth2-proxy; "
        "keys clientID and clientSecret for alb-oidc (the controller's format)."))
    allowed_email_domains: tuple[EmailDomain, ...] = Field((), description=(
        "Who may sign in through oauth2-proxy: e-mail domains, or * for anyone the provider vouches for."))
    authorization_endpoint: HttpsUrl | None = Field(None, description=(
        "The provider's authorization endpoint (alb-oidc)."))
    token_endpoint: HttpsUrl | None = Field(None, description=(
        "The provider's token endpoint (alb-oidc)."))
    user_info_endpoint: HttpsUrl | None = Field(None, description=(
        "The provider's user-info endpoint (alb-oidc)."))
    user_pool_arn: CognitoPoolArn | None = Field(None, description=(
        "The Cognito user pool (alb-cognito)."))
    user_pool_client_id: Annotated[str, Field(pattern=r"^[\w+]+$")] | None = Field(None, description=(
        "The Cognito app client id (alb-cognito)."))
    user_pool_domain: Annotated[str, Field(pattern=r"^[a-z0-9.-]+$")] | None = Field(None, description=(
        "The Cognito user pool's domain prefix (alb-cognito)."))
    certificate_arn: AcmCertificateArn | None = Field(None, description=(
        "The ACM certificate the ALB's HTTPS listener serves (alb-oidc, alb-cognito)."))
    load_balancer_cidrs: Annotated[tuple[Ipv4Cidr, ...], Hint("a list of CIDRs (the ALB's subnets)")] = Field((), description=(
        "The ranges of the ALB's subnets: the only sources the UI's pods accept (alb-oidc, alb-cognito); "
        "0.0.0.0/0 is refused."))
    session_hours: Annotated[WholeNumber, Field(ge=1, le=168)] = Field(12, description=(
        "How long a sign-in lasts."))

    @model_validator(mode="after")
    def _what_the_provider_needs(self) -> AuthSettings:
        values = self.model_dump(by_alias=True)
        found: list[tuple[tuple[str | int, ...], str]] = [
            ((key,), f"is required with provider {self.provider}") for key in _AUTH_NEEDS[self.provider]
            if values.get(key) in (None, (), [])]
        for index, cidr in enumerate(self.load_balancer_cidrs):
            if cidr.endswith("/0"):
                found.append((("loadBalancerCidrs", index), f"{cidr} is every address: name the ALB's subnets"))
        if found:
            raise problems_at(type(self).__name__, found)
        return self

    @property
    def on_alb(self) -> bool:
        return self.provider.startswith("alb-")

    @property
    def issuer_host(self) -> str | None:
        """The identity provider's host, which oauth2-proxy (or the ALB) must reach."""
        if self.issuer_url is None:
            return None
        return self.issuer_url.split("://", 1)[1].split("/", 1)[0].split(":", 1)[0]


class Runtime(SettingsModel):
    # Where OpenHands 1.11 runs the agent in a pod: its Docker sandbox needs a privileged Docker
    # daemon, the remote one OpenHands' closed runtime API, and the process one fails in a container
    # (docs/kubernetes.md: "The sandbox, and what it costs"). The agent-server sidecar needs neither.
    kind: Annotated[str, Field(pattern="^agent-server-sidecar$"),
                    Hint("agent-server-sidecar: the process runtime cannot start conversations in a pod on "
                         "OpenHands 1.11, the docker runtime needs a privileged Docker daemon, the remote "
                         "runtime OpenHands' runtime API (Cloud/Enterprise)")] = Field("agent-server-sidecar", description=(
        "Where the agent runs in the pod: agent-server-sidecar (the agent server beside the app, the only "
        "runtime that starts conversations unprivileged on OpenHands 1.11)."))


class KubernetesSettings(SettingsModel):
    """Where in the cluster OpenHands runs, its size, how it is reached and how it gets the key."""

    kubeconfig: str | None = Field(None, description=(
        "The kubeconfig file to deploy with (unset: the provider's default, KUBECONFIG or "
        "~/.kube/config); not with openhands-zai:eks."))
    context: str | None = Field(None, description=(
        "The kubeconfig context (unset: its current context); not with openhands-zai:eks."))
    namespace: KubernetesName = Field("openhands", description=(
        "The namespace the bundle creates for OpenHands and its gateway."))
    replicas: Annotated[WholeNumber, Field(ge=1)] = Field(1, description=(
        "OpenHands' replicas: 1, because 1.11 keeps conversations and settings in a file store on the "
        "pod's volume."))
    resources: Annotated[Resources, BeforeValidator(_over_default_resources)] = Field(
        default_factory=lambda: Resources.model_validate(DEFAULT_RESOURCES), description=(
        "The OpenHands pod's requests and limits; unset sections and quantities keep the defaults."))
    storage: Storage = Field(default_factory=Storage, description=(
        "The volume holding OpenHands' state."))
    ingress: Ingress | None = Field(None, description=(
        "Publish the UI through an Ingress (unset: reach it with kubectl port-forward). Refused without "
        "auth unless allowUnauthenticated is true."))
    secret_sync: Literal["external-secrets", "direct"] = Field("external-secrets", description=(
        "How the Z.AI key reaches the cluster: external-secrets (the External Secrets Operator syncs it "
        "from AWS Secrets Manager through IRSA; needs openhands-zai:secret) or direct (the program writes "
        "the Secret from the stack's key)."))
    service_account_role_arn: IamRoleArn | None = Field(None, description=(
        "The IAM role the secret sync's service account (openhands-secret-sync) assumes through IRSA, "
        "when the bundle does not create it (secret.createReaderRole.irsa)."))
    cilium: Flag = Field(False, description=(
        "Add CiliumNetworkPolicies that allow egress by domain name (the cluster runs Cilium)."))
    runtime: Runtime = Field(default_factory=Runtime, description=(
        "How conversations run in the pod."))
    auth: AuthSettings | None = Field(None, description=(
        "The login in front of the UI (OpenHands open source has no users)."))
    # The one way to expose the UI with no login (a plan warning says what that means).
    allow_unauthenticated: Flag = Field(False, description=(
        "Publish the Ingress with no login; the plan warns that whoever reaches it runs code in the "
        "cluster on your key."))

    @model_validator(mode="after")
    def _no_anonymous_ui(self) -> KubernetesSettings:
        found: list[tuple[tuple[str | int, ...], str]] = []
        ingress, auth = self.ingress, self.auth
        if ingress is not None and auth is None and not self.allow_unauthenticated:
            found.append((("ingress",), "publishes the UI with no login, and whoever reaches OpenHands runs code in "
                                        "the cluster on your key: set kubernetes.auth (oauth2-proxy, alb-oidc or "
                                        "alb-cognito), or kubernetes.allowUnauthenticated: true"))
        if ingress is not None and (auth is None or not auth.on_alb) and not ingress.tls_secret_name:
            found.append((("ingress", "tlsSecretName"), "is required: the UI's session and the sign-in travel over "
                                                        "this Ingress (with an ALB, use auth.certificateArn)"))
        if ingress is not None and auth is not None and auth.on_alb and ingress.class_name not in (None, "alb"):
            found.append((("ingress", "className"), f"is {ingress.class_name}, but auth.provider {auth.provider} "
                                                    "is the AWS Load Balancer Controller's: use alb"))
        if auth is not None and auth.on_alb and ingress is None:
            found.append((("auth",), f"{auth.provider} authenticates at the ALB, which an Ingress creates: set "
                                     "kubernetes.ingress"))
        if found:
            raise problems_at(type(self).__name__, found)
        return self

    @field_validator("replicas")
    @classmethod
    def _one_replica(cls, replicas: int) -> int:
        if replicas > 1:
            raise problem("must be 1: OpenHands 1.11 keeps conversations and settings in a file store on the pod's "
                          "volume, so a second replica would see other state (the Enterprise chart's "
                          "database-backed server scales out)")
        return replicas


InstanceType = Annotated[str, Field(pattern=r"^[a-z0-9-]+\.[a-z0-9]+$"), Hint("an instance type such as m6i.xlarge")]


class EksSettings(SettingsModel):
    """A new EKS cluster: its version, subnets and managed node group."""

    version: Annotated[str, BeforeValidator(text_from_number), Field(pattern=r"^1\.(?:2[89]|3[0-9])$"),
                       Hint("an EKS Kubernetes version such as 1.33")] = Field("1.33", description=(
        "The EKS Kubernetes version."))
    subnet_ids: Annotated[tuple[SubnetId, ...], Field(min_length=2),
                          Hint("a list of at least two subnets (EKS needs two availability zones)")] = Field(description=(
        "The cluster's subnets, in at least two availability zones."))
    node_instance_types: Annotated[tuple[InstanceType, ...], Field(min_length=1)] = Field(("m6i.xlarge",), description=(
        "The managed node group's instance types."))
    node_count: Annotated[WholeNumber, Field(ge=1, le=100)] = Field(2, description=(
        "The managed node group's size."))
    security_group_ids: tuple[SecurityGroupId, ...] = Field((), description=(
        "More security groups for the cluster."))

    @field_validator("subnet_ids")
    @classmethod
    def _each_subnet_once(cls, subnets: tuple[str, ...]) -> tuple[str, ...]:
        unique(subnets, cls.__name__)
        return subnets
