"""ZaiApiKeySecret under Pulumi's mock engine (preview=False, Outputs awaited)."""

import asyncio
import json

import pulumi
from parliament import analyze_policy_string

from openhands_zai import ZaiApiKeySecret, ZaiApiKeySecretArgs
from openhands_zai.guardrails.checks import wildcard_grants
from openhands_zai.secret.settings import IrsaTrust, ReaderRoleTrust, ReplicaRegion, SecretSettings
from tests.helpers import SENTINEL_KEY
from tests.mock_engine import MOCKS, OPTIONS, deploy, unwrap

READER = "arn:aws:iam::210987654321:role/openhands-host"
OWN_KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def build(name, oidc_provider_arn=None, **settings):
    return ZaiApiKeySecret(name, ZaiApiKeySecretArgs(
        settings=SecretSettings(**settings), environment="prod", api_key=SENTINEL_KEY, tags={"owner": "platform"},
        oidc_provider_arn=oidc_provider_arn))


def outputs_of(name, *attributes, **settings):
    """Deploy one component; return the named outputs once all its children are registered."""
    def program():
        component = build(name, **settings)
        return pulumi.Output.all(*(getattr(component, attribute) for attribute in attributes))
    return deploy(program)


def children(name):
    return {n: args for n, args in MOCKS.created.items() if n.startswith(f"{name}-")}


def by_type(name, typ):
    return [args for args in children(name).values() if args.typ == typ]


def test_key_secret_version_policies_and_outputs():
    # Checked once every registration has settled: the resource policy waits on the secret's ARN.
    secret_arn, secret_name, key_arn, policy_arn, role_arn = outputs_of(
        "full", "secret_arn", "secret_name", "kms_key_arn", "reader_policy_arn", "reader_role_arn",
        reader_role_arns=(READER,), recovery_window_in_days=14)
    (key,) = by_type("full", "aws:kms/key:Key")
    assert key.inputs["enableKeyRotation"] is True
    assert key.inputs["keyUsage"] == "ENCRYPT_DECRYPT"
    key_policy = json.loads(key.inputs["policy"])
    by_sid = {s["Sid"]: s for s in key_policy["Statement"]}
    assert set(by_sid) == {"AccountAdministersKeyThroughIam", "OperatorsUseThroughSecretsManager",
                           "ReaderRolesDecryptThroughSecretsManager"}
    # The deployer (the mocks' caller: IAM user `deployer`, its session's issuer) stores and reads versions.
    assert by_sid["OperatorsUseThroughSecretsManager"]["Principal"] == {"AWS": "arn:aws:iam::123456789012:user/deployer"}
    (alias,) = by_type("full", "aws:kms/alias:Alias")
    assert alias.inputs["name"] == "alias/openhands-zai/prod/zai-api-key"

    (secret,) = by_type("full", "aws:secretsmanager/secret:Secret")
    assert secret.inputs["name"] == "openhands-zai/prod/zai-api-key" == secret_name
    assert secret.inputs["kmsKeyId"] == key_arn and key_arn.startswith("arn:aws:kms:us-east-1:123456789012:key/")
    assert secret.inputs["recoveryWindowInDays"] == 14
    assert secret.inputs["tags"] == {"environment": "prod", "app": "openhands-zai", "managed-by": "pulumi",
                                     "owner": "platform"}

    (version,) = by_type("full", "aws:secretsmanager/secretVersion:SecretVersion")
    value, is_secret = unwrap(version.inputs["secretString"])
    assert is_secret and value == SENTINEL_KEY
    assert version.inputs["secretId"] == secret_arn

    (resource_policy,) = by_type("full", "aws:secretsmanager/secretPolicy:SecretPolicy")
    assert resource_policy.inputs["blockPublicPolicy"] is True
    assert resource_policy.inputs["secretArn"] == secret_arn
    statements = json.loads(resource_policy.inputs["policy"])["Statement"]
    assert [s["Sid"] for s in statements] == ["ReaderRoles", "DenyOutsideAccountAndReaders", "DenyReadingToTheUnnamed",
                                              "DenyWithoutTls"]
    assert statements[2]["Condition"]["ArnNotEquals"]["aws:PrincipalArn"] == sorted(
        [READER, "arn:aws:iam::123456789012:user/deployer"])

    (reader,) = by_type("full", "aws:iam/policy:Policy")
    document = json.loads(reader.inputs["policy"])
    assert analyze_policy_string(reader.inputs["policy"]).findings == []
    assert wildcard_grants(document) == []
    assert document["Statement"][0]["Resource"] == secret_arn
    assert document["Statement"][1]["Resource"] == key_arn
    assert policy_arn.startswith("arn:aws:iam::123456789012:policy/full-reader-")
    assert role_arn is None
    # The value never travels anywhere but the version.
    for child in children("full").values():
        if child is not version:
            assert SENTINEL_KEY not in json.dumps(child.inputs)


def test_every_child_is_parented_and_rotation_is_not_fought():
    made = {}

    def program():
        made["managed"], made["plain"] = build("rot", rotation_managed=True), build("plain")
        return pulumi.Output.all(made["managed"].secret_arn, made["plain"].secret_arn)

    deploy(program)
    assert len(children("rot")) >= 5, sorted(children("rot"))  # key, alias, secret, version, policy, ...
    for name in children("rot"):
        assert OPTIONS[name].parent is made["managed"], name
    assert OPTIONS["rot-version"].ignore_changes == ["secret_string", "version_stages"]
    assert not OPTIONS["plain-version"].ignore_changes


def test_api_key_is_awscurrent_read_back_as_a_secret():
    def program():
        component = build("read")
        return pulumi.Output.all(component.api_key, asyncio.ensure_future(component.api_key.is_secret()))

    value, is_secret = deploy(program)
    assert value == SENTINEL_KEY and is_secret is True
    (lookup,) = [c for c in MOCKS.calls if c.token == "aws:secretsmanager/getSecretVersion:getSecretVersion"
                 and c.args["secretId"].startswith("arn:aws:secretsmanager:us-east-1:123456789012:secret:"
                                                   "openhands-zai/prod/zai-api-key-")
                 and c.args["secretId"] == MOCKS.created["read-version"].inputs["secretId"]]
    assert lookup.args["versionStage"] == "AWSCURRENT"


def test_existing_key_is_used_and_replicas_get_keys_in_their_region():
    secret_arn, key_arn = outputs_of(
        "bring", "secret_arn", "kms_key_arn", kms_key_arn=OWN_KEY,
        replica_regions=(ReplicaRegion(region="eu-central-1"), ReplicaRegion(
            region="us-west-2", kms_key_arn="arn:aws:kms:us-west-2:123456789012:key/abcd1234-12ab-34cd-56ef-1234567890ab")))
    assert key_arn == OWN_KEY
    keys = by_type("bring", "aws:kms/key:Key")
    assert [k.inputs["region"] for k in keys] == ["eu-central-1"]  # none for us-east-1 or us-west-2
    assert "secretsmanager.eu-central-1.amazonaws.com" in keys[0].inputs["policy"]
    (secret,) = by_type("bring", "aws:secretsmanager/secret:Secret")
    assert secret.inputs["kmsKeyId"] == OWN_KEY
    replicas = {r["region"]: r["kmsKeyId"] for r in secret.inputs["replicas"]}
    assert replicas["eu-central-1"].startswith("arn:aws:kms:eu-central-1:")
    assert replicas["us-west-2"].startswith("arn:aws:kms:us-west-2:")
    (reader,) = by_type("bring", "aws:iam/policy:Policy")
    read, decrypt = json.loads(reader.inputs["policy"])["Statement"]
    assert set(read["Resource"]) == {secret_arn, secret_arn.replace("us-east-1", "eu-central-1"),
                                     secret_arn.replace("us-east-1", "us-west-2")}
    assert OWN_KEY in decrypt["Resource"] and len(decrypt["Resource"]) == 3
    assert len(decrypt["Condition"]["StringEquals"]["kms:ViaService"]) == 3


def test_reader_role_for_ec2_gets_the_policy_and_an_instance_profile():
    role_arn, profile, policy_arn = outputs_of("ec2", "reader_role_arn", "instance_profile_name", "reader_policy_arn",
                                               create_reader_role=ReaderRoleTrust(ec2=True))
    (role,) = by_type("ec2", "aws:iam/role:Role")
    trust = json.loads(role.inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}
    (attachment,) = by_type("ec2", "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert attachment.inputs["policyArn"] == policy_arn
    assert role_arn.startswith("arn:aws:iam::123456789012:role/ec2-reader-role-")
    assert profile and by_type("ec2", "aws:iam/instanceProfile:InstanceProfile")
    # The created role is a reader in the key and resource policies too.
    (resource_policy,) = by_type("ec2", "aws:secretsmanager/secretPolicy:SecretPolicy")
    assert role_arn in resource_policy.inputs["policy"]
    (key,) = by_type("ec2", "aws:kms/key:Key")
    assert role_arn in key.inputs["policy"]


@pulumi.runtime.test
def test_reader_role_for_an_eks_service_account():
    oidc = pulumi.Output.from_input(
        "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC")
    # The provider of a cluster built in the same program: an Output, passed beside the settings.
    component = build("irsa", oidc_provider_arn=oidc, create_reader_role=ReaderRoleTrust(
        irsa=IrsaTrust(namespace="openhands", service_account="openhands")))

    def check(_):
        (role,) = by_type("irsa", "aws:iam/role:Role")
        (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
        assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
        assert statement["Condition"]["StringEquals"][
            "oidc.eks.us-east-1.amazonaws.com/id/ABC:sub"] == "system:serviceaccount:openhands:openhands"
        assert not by_type("irsa", "aws:iam/instanceProfile:InstanceProfile")

    return component.reader_role_arn.apply(check)
