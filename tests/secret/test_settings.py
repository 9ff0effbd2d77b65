"""openhands-zai:secret parsing: what is accepted, and each bad value named by its key."""

import pytest

from openhands_zai import ConfigError, parse_stack_settings
from openhands_zai.secret.settings import IrsaTrust, ReaderRoleTrust, ReplicaRegion, default_secret_name

KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
MRK = "arn:aws:kms:eu-central-1:123456789012:key/mrk-1234567890abcdef1234567890abcdef"
ROLE = "arn:aws:iam::210987654321:role/teams/openhands-reader"
OIDC = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"


def secret(**raw):
    return parse_stack_settings({"secret": raw}).secret


def problems(**raw):
    with pytest.raises(ConfigError) as caught:
        parse_stack_settings({"secret": raw})
    return {p.key: p.message for p in caught.value.problems}


def test_unset_means_no_aws():
    assert parse_stack_settings({}).secret is None


def test_defaults():
    parsed = secret()
    assert parsed.name is None and default_secret_name("prod") == "openhands-zai/prod/zai-api-key"
    assert parsed.recovery_window_in_days == 30
    assert parsed.kms_key_arn is None and parsed.replica_regions == () and parsed.create_reader_role is None
    assert parsed.rotation_managed is False


def test_every_key_parsed():
    parsed = secret(name="platform/zai", kmsKeyArn=KEY, recoveryWindowInDays="7",
                    replicaRegions=["us-east-1", {"region": "eu-central-1", "kmsKeyArn": MRK}],
                    readerRoleArns=[ROLE], rotationManaged="true", tags={"owner": "platform"},
                    createReaderRole={"irsa": {"oidcProviderArn": OIDC, "namespace": "openhands",
                                               "serviceAccount": "openhands-server"}})
    assert parsed.name == "platform/zai" and parsed.kms_key_arn == KEY
    assert parsed.recovery_window_in_days == 7
    assert parsed.replica_regions == (ReplicaRegion(region="us-east-1"),
                                      ReplicaRegion(region="eu-central-1", kms_key_arn=MRK))
    assert parsed.reader_role_arns == (ROLE,)
    assert parsed.create_reader_role == ReaderRoleTrust(irsa=IrsaTrust(
        oidc_provider_arn=OIDC, namespace="openhands", service_account="openhands-server"))
    assert parsed.rotation_managed is True and parsed.tags == {"owner": "platform"}


@pytest.mark.parametrize("value,expected", [
    (True, ReaderRoleTrust(ec2=True)),
    ({"ec2": True}, ReaderRoleTrust(ec2=True)),
    ({"principalArns": [ROLE]}, ReaderRoleTrust(principal_arns=(ROLE,))),
    (False, None),
])
def test_reader_role_forms(value, expected):
    assert secret(createReaderRole=value).create_reader_role == expected


@pytest.mark.parametrize("raw,key", [
    ({"recoveryWindowInDays": 6}, "recoveryWindowInDays"),
    ({"recoveryWindowInDays": 31}, "recoveryWindowInDays"),
    ({"recoveryWindowInDays": 0}, "recoveryWindowInDays"),
    ({"recoveryWindowInDays": 7.5}, "recoveryWindowInDays"),
    ({"kmsKeyArn": "alias/aws/secretsmanager"}, "kmsKeyArn"),
    ({"kmsKeyArn": "arn:aws:kms:eu-west-1:123456789012:alias/zai"}, "kmsKeyArn"),
    ({"kmsKeyArn": "arn:aws:kms:eu-west-1:12345678901:key/1234abcd-12ab-34cd-56ef-1234567890ab"}, "kmsKeyArn"),
    ({"replicaRegions": ["EU-West-1"]}, "replicaRegions[0]"),
    ({"replicaRegions": ["eu-west"]}, "replicaRegions[0]"),
    ({"replicaRegions": ["eu-west-1", "eu-west-1"]}, "replicaRegions[1]"),
    ({"replicaRegions": ["eu-west-99"]}, "replicaRegions[0]"),
    ({"replicaRegions": [{"region": "eu-west-99"}]}, "replicaRegions[0].region"),
    ({"replicaRegions": [{"region": "eu-west-1", "kmsKeyArn": MRK}]}, "replicaRegions[0].kmsKeyArn"),
    ({"replicaRegions": [{"region": "eu-west-1", "kms": KEY}]}, "replicaRegions[0].kms"),
    ({"replicaRegions": "eu-west-1"}, "replicaRegions"),
    ({"readerRoleArns": ["arn:aws:iam::123456789012:user/alice"]}, "readerRoleArns[0]"),
    ({"readerRoleArns": ["arn:aws:iam::123456789012:role/"]}, "readerRoleArns[0]"),
    ({"readerRoleArns": "arn:aws:iam::123456789012:role/x"}, "readerRoleArns"),
    ({"createReaderRole": {"ec2": True, "principalArns": [ROLE]}}, "createReaderRole"),
    ({"createReaderRole": {}}, "createReaderRole"),
    ({"createReaderRole": {"ec2": "yes"}}, "createReaderRole.ec2"),
    ({"createReaderRole": {"principalArns": ["*"]}}, "createReaderRole.principalArns[0]"),
    ({"createReaderRole": {"irsa": {"oidcProviderArn": "oidc", "namespace": "a", "serviceAccount": "b"}}},
     "createReaderRole.irsa.oidcProviderArn"),
    ({"createReaderRole": {"irsa": {"oidcProviderArn": OIDC, "namespace": "Open_Hands", "serviceAccount": "b"}}},
     "createReaderRole.irsa.namespace"),
    ({"rotationManaged": "sometimes"}, "rotationManaged"),
    ({"name": "bad name!"}, "name"),
    ({"name": "team/zai-AbCdEf"}, "name"),
    ({"tags": {"owner": 1}}, "tags.owner"),
    ({"rotation": True}, "rotation"),
])
def test_bad_values_name_their_key(raw, key):
    found = problems(**raw)
    assert f"openhands-zai:secret.{key}" in found, found


def test_not_a_map():
    with pytest.raises(ConfigError) as caught:
        parse_stack_settings({"secret": "yes"})
    assert [p.key for p in caught.value.problems] == ["openhands-zai:secret"]


def test_regions_are_the_ones_pulumi_aws_knows():
    import pulumi_aws

    from openhands_zai.aws_ids import REGIONS

    assert REGIONS == {region.value for region in pulumi_aws.Region}
    assert problems(replicaRegions=["eu-west-99"]) == {
        "openhands-zai:secret.replicaRegions[0]": "'eu-west-99' is not an AWS region pulumi-aws knows; regions look "
                                                  "like eu-west-1"}
