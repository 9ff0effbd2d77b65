"""Which workload holds which key, decided once (key_assignment.py), for every kind of stack."""

from __future__ import annotations

import pytest

from openhands_zai import KeyAssignment, assign_keys
from tests.helpers import settings

SECRET = {"secret": {}}
GATEWAY = {"gateway": {}}
CLUSTER = {"target": "kubernetes"}
DIRECT = {"target": "kubernetes", "kubernetes": {"secretSync": "direct"}}
EXTERNAL = {"target": "kubernetes", "secret": {}, "kubernetes": {"secretSync": "external-secrets",
            "serviceAccountRoleArn": "arn:aws:iam::123456789012:role/openhands-zai-reader"}}


@pytest.mark.parametrize("raw, expected", [
    ({}, KeyAssignment("stack", "openhands", None)),
    (SECRET, KeyAssignment("secrets-manager", "openhands", None)),
    (GATEWAY, KeyAssignment("stack", "gateway", None)),
    ({**SECRET, **GATEWAY}, KeyAssignment("secrets-manager", "gateway", None)),
    (DIRECT, KeyAssignment("stack", "openhands", "pulumi-secret")),
    ({**DIRECT, **GATEWAY}, KeyAssignment("stack", "gateway", "pulumi-secret")),
    (EXTERNAL, KeyAssignment("secrets-manager", "openhands", "external-secrets")),
    ({**EXTERNAL, **GATEWAY}, KeyAssignment("secrets-manager", "gateway", "external-secrets")),
    ({"gateway": {"enabled": False}}, KeyAssignment("stack", "openhands", None)),
], ids=["docker", "docker+secret", "docker+gateway", "docker+secret+gateway", "cluster-direct",
        "cluster-direct+gateway", "cluster-external", "cluster-external+gateway", "gateway-disabled"])
def test_one_holder_of_the_zai_key_per_stack(raw, expected):
    assigned = assign_keys(settings(**raw))
    assert assigned == expected
    assert assigned.openhands_sends == ("gateway-key" if "gateway" in raw and raw["gateway"].get("enabled", True)
                                        else "zai-key")
    # Never both: whoever does not hold the Z.AI key holds the gateway's.
    assert (assigned.zai_key_holder == "gateway") == (assigned.openhands_sends == "gateway-key")
    assert assigned.gateway_holds_the_zai_key is (assigned.zai_key_holder == "gateway")


def test_the_default_cluster_sync_is_the_external_secrets_operator():
    assert settings(**CLUSTER, secret={}, kubernetes={
        "serviceAccountRoleArn": "arn:aws:iam::123456789012:role/r"}).kubernetes.secret_sync == "external-secrets"
