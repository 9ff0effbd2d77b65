"""The egress intent inside a cluster, as Kubernetes objects (pure data; the cluster target applies them).

- `default-deny-egress`: every pod of the namespace, egress denied unless another policy allows it.
- `openhands-egress`: the OpenHands pods may resolve names through kube-dns and open the allowed
  ports to the allowed CIDRs (`NetworkPolicy` has no host names).
- With Cilium, `openhands-egress-fqdn` (`CiliumNetworkPolicy`): the allowed domains by name
  (`toFQDNs`), plus the DNS rule Cilium needs to see the lookups it matches names against.
"""

from __future__ import annotations

from typing import Any

from components.network.settings import EgressSettings

KUBE_DNS = {"k8s-app": "kube-dns"}
DEFAULT_POD_LABELS = {"app.kubernetes.io/name": "openhands"}


def _dns_peer() -> dict[str, Any]:
    return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
            "podSelector": {"matchLabels": dict(KUBE_DNS)}}


def network_policies(settings: EgressSettings, namespace: str, pod_labels: dict[str, str] | None = None,
                     *, cilium: bool = False) -> list[dict[str, Any]]:
    labels = dict(pod_labels or DEFAULT_POD_LABELS)
    meta = lambda name: {"name": name, "namespace": namespace,  # noqa: E731
                         "labels": {"app.kubernetes.io/managed-by": "openhands-zai"}}
    deny = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": meta("default-deny-egress"),
            "spec": {"podSelector": {}, "policyTypes": ["Egress"]}}
    egress: list[dict[str, Any]] = [{"to": [_dns_peer()], "ports": [{"protocol": "UDP", "port": 53},
                                                                  {"protocol": "TCP", "port": 53}]}]
    cidrs = list(settings.allow_cidrs)
    if (settings.firewall is not None and settings.firewall.allow_https_to_firewall and not cilium
            and "0.0.0.0/0" not in cidrs):
        # As in the security group: the VPC's firewall filters by domain. With Cilium the FQDN
        # policy does that in the cluster, and policies add up, so the internet stays closed here.
        cidrs.append("0.0.0.0/0")
    if cidrs:
        egress.append({"to": [{"ipBlock": {"cidr": cidr}} for cidr in cidrs],
                       "ports": [{"protocol": "TCP", "port": port} for port in settings.ports]})
    allow = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": meta("openhands-egress"),
             "spec": {"podSelector": {"matchLabels": labels}, "policyTypes": ["Egress"], "egress": egress}}
    return [deny, allow]


def _fqdn_selector(domain: str) -> dict[str, str]:
    # Network Firewall's ".z.ai" (domain and subdomains) is two Cilium selectors.
    return {"matchPattern": f"*{domain}"} if domain.startswith(".") else {"matchName": domain}


def cilium_policy(settings: EgressSettings, namespace: str, pod_labels: dict[str, str] | None = None) -> dict[str, Any]:
    labels = dict(pod_labels or DEFAULT_POD_LABELS)
    fqdns: list[dict[str, str]] = []
    for domain in settings.allow_domains:
        fqdns.append(_fqdn_selector(domain))
        if domain.startswith("."):
            fqdns.append({"matchName": domain[1:]})
    ports = [{"port": str(port), "protocol": "TCP"} for port in settings.ports]
    egress: list[dict[str, Any]] = [{
        "toEndpoints": [{"matchLabels": {"k8s:io.kubernetes.pod.namespace": "kube-system",
                                         "k8s:k8s-app": "kube-dns"}}],
        # Cilium learns name -> address from the DNS answers it proxies: without this rule toFQDNs matches nothing.
        "toPorts": [{"ports": [{"port": "53", "protocol": "ANY"}], "rules": {"dns": [{"matchPattern": "*"}]}}],
    }]
    if fqdns:
        egress.append({"toFQDNs": fqdns, "toPorts": [{"ports": ports}]})
    return {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
            "metadata": {"name": "openhands-egress-fqdn", "namespace": namespace,
                         "labels": {"app.kubernetes.io/managed-by": "openhands-zai"}},
            "spec": {"endpointSelector": {"matchLabels": labels}, "egress": egress}}


def egress_policies(settings: EgressSettings, namespace: str, *, cilium: bool,
                    pod_labels: dict[str, str] | None = None) -> list[dict[str, Any]]:
    policies = network_policies(settings, namespace, pod_labels, cilium=cilium)
    if cilium:
        policies.append(cilium_policy(settings, namespace, pod_labels))
    return policies
