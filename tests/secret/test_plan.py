"""The IAM documents, checked with parliament (the linter security reviewers run) and a wildcard check."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from parliament import analyze_policy_string

from openhands_zai.guardrails.checks import wildcard_grants
from openhands_zai.secret.plan import (
    kms_key_policy,
    reader_policy,
    reader_trust_policy,
    replica_secret_arn,
    secret_resource_policy,
)
from openhands_zai.secret.settings import IrsaTrust, ReaderRoleTrust

ACCOUNT = "123456789012"
SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:openhands-zai/prod/zai-api-key-AbC123"
KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
REPLICA_KEY = "arn:aws:kms:eu-central-1:123456789012:key/abcd1234-12ab-34cd-56ef-1234567890ab"
READER = "arn:aws:iam::210987654321:role/openhands-host"


def findings(document):
    policy = analyze_policy_string(json.dumps(document), include_community_auditors=True)
    return [(f.issue, f.detail) for f in policy.findings]


def test_reader_policy_passes_parliament_and_names_only_this_secret_and_key():
    document = reader_policy([SECRET], [KEY], ["eu-west-1"])
    assert findings(document) == []
    assert wildcard_grants(document) == []
    read, decrypt = document["Statement"]
    assert read["Resource"] == SECRET
    assert sorted(read["Action"]) == ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"]
    assert decrypt == {
        "Sid": "DecryptOnlyThroughSecretsManager", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": KEY,
        "Condition": {"StringEquals": {"kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com"}},
    }


def test_reader_policy_with_replicas_lists_each_region():
    replica = replica_secret_arn(SECRET, "eu-central-1")
    assert replica == SECRET.replace("eu-west-1", "eu-central-1")
    document = reader_policy([SECRET, replica], [KEY, REPLICA_KEY], ["eu-west-1", "eu-central-1"])
    assert findings(document) == [] and wildcard_grants(document) == []
    assert set(document["Statement"][0]["Resource"]) == {SECRET, replica}
    assert set(document["Statement"][1]["Condition"]["StringEquals"]["kms:ViaService"]) == {
        "secretsmanager.eu-west-1.amazonaws.com", "secretsmanager.eu-central-1.amazonaws.com"}


arns = st.from_regex(r"arn:aws:secretsmanager:[a-z]{2}-[a-z]{4,7}-[1-3]:[0-9]{12}:secret:[a-z/]{1,20}-[A-Za-z0-9]{6}",
                     fullmatch=True)


@given(secrets=st.lists(arns, min_size=1, max_size=3, unique=True))
def test_reader_policy_never_grants_a_wildcard(secrets):
    document = reader_policy(secrets, [KEY], ["eu-west-1"])
    assert wildcard_grants(document) == []
    assert findings(document) == []


def test_wildcard_check_catches_what_parliament_does_not():
    everything = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    assert wildcard_grants(everything) == ["#0: wildcard action '*'", "#0: wildcard resource '*'"]
    partial = {"Version": "2012-10-17", "Statement": [
        {"Sid": "A", "Effect": "Allow", "Action": "secretsmanager:Get*", "Resource": SECRET},
        {"Sid": "B", "Effect": "Allow", "NotAction": "iam:*", "Resource": SECRET}]}
    assert len(wildcard_grants(partial)) == 3


def test_resource_policy_denies_other_accounts_and_plain_http():
    document = secret_resource_policy(ACCOUNT, SECRET, [READER])
    assert findings(document) == []
    by_sid = {s["Sid"]: s for s in document["Statement"]}
    assert by_sid["ReaderRoles"]["Principal"] == {"AWS": READER}
    assert wildcard_grants(document) == []
    outside = by_sid["DenyOutsideAccountAndReaders"]
    assert outside["Effect"] == "Deny" and outside["Principal"] == "*"
    assert outside["Condition"]["StringNotEquals"] == {"aws:PrincipalAccount": ACCOUNT}
    assert outside["Condition"]["ArnNotEquals"] == {"aws:PrincipalArn": [READER]}
    assert by_sid["DenyWithoutTls"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    # Nothing is public: every Allow names its principals.
    assert all(s["Principal"] != "*" for s in document["Statement"] if s["Effect"] == "Allow")


def test_resource_policy_without_readers_denies_every_other_account():
    document = secret_resource_policy(ACCOUNT, SECRET, [])
    assert [s["Sid"] for s in document["Statement"]] == ["DenyOutsideAccountAndReaders", "DenyWithoutTls"]
    assert "ArnNotEquals" not in document["Statement"][0]["Condition"]


def test_key_policy_names_who_may_use_the_key_and_only_through_secrets_manager():
    operator = f"arn:aws:iam::{ACCOUNT}:role/platform-deployer"
    document = kms_key_policy(ACCOUNT, "aws", "eu-west-1", [READER], [operator])
    by_sid = {s["Sid"]: s for s in document["Statement"]}
    admin = by_sid["AccountAdministersKeyThroughIam"]
    assert admin["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    # The account manages the key (never locked out) but cannot use it through IAM alone.
    assert "kms:PutKeyPolicy" not in admin["Action"] and "kms:Put*" in admin["Action"]
    assert not {"kms:*", "kms:Decrypt", "kms:GenerateDataKey", "kms:Encrypt"} & set(admin["Action"])
    use = by_sid["OperatorsUseThroughSecretsManager"]
    assert use["Principal"] == {"AWS": operator}
    assert use["Condition"] == {"StringEquals": {"kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com"}}
    assert not any("*" in action for action in use["Action"])
    readers = by_sid["ReaderRolesDecryptThroughSecretsManager"]
    assert readers["Principal"] == {"AWS": READER} and readers["Action"] == "kms:Decrypt"
    assert readers["Condition"] == {"StringEquals": {"kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com"}}
    # Nobody is "anyone in the account" any more.
    assert all(s["Principal"] != {"AWS": "*"} for s in document["Statement"])
    china = kms_key_policy(ACCOUNT, "aws-cn", "cn-north-1", [], [operator])
    assert china["Statement"][1]["Condition"]["StringEquals"]["kms:ViaService"] == \
        "secretsmanager.cn-north-1.amazonaws.com.cn"
    assert len(china["Statement"]) == 2


def test_secret_policy_denies_reading_to_all_but_readers_and_operators():
    operator = f"arn:aws:iam::{ACCOUNT}:user/deployer"
    document = secret_resource_policy(ACCOUNT, SECRET, [READER], [operator], ["vpce-0a1b2c3d4e5f60718"])
    by_sid = {s["Sid"]: s for s in document["Statement"]}
    deny = by_sid["DenyReadingToTheUnnamed"]
    assert deny["Effect"] == "Deny" and deny["Action"] == "secretsmanager:GetSecretValue"
    assert deny["Condition"]["ArnNotEquals"] == {"aws:PrincipalArn": sorted([READER, operator])}
    vpce = by_sid["ReadersOnlyThroughTheVpcEndpoint"]
    assert vpce["Condition"] == {"ArnEquals": {"aws:PrincipalArn": [READER]},
                                 "StringNotEquals": {"aws:SourceVpce": "vpce-0a1b2c3d4e5f60718"}}
    # Without endpoints, no statement that would deny every read.
    assert "ReadersOnlyThroughTheVpcEndpoint" not in {
        s["Sid"] for s in secret_resource_policy(ACCOUNT, SECRET, [READER], [operator])["Statement"]}


@pytest.mark.parametrize("trust,principal,action", [
    (ReaderRoleTrust(ec2=True), {"Service": "ec2.amazonaws.com"}, "sts:AssumeRole"),
    (ReaderRoleTrust(principal_arns=(READER,)), {"AWS": READER}, "sts:AssumeRole"),
])
def test_trust_policies(trust, principal, action):
    (statement,) = reader_trust_policy(trust)["Statement"]
    assert statement["Principal"] == principal and statement["Action"] == action


def test_irsa_trust_is_pinned_to_one_service_account():
    provider = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC"
    trust = ReaderRoleTrust(irsa=IrsaTrust(oidc_provider_arn=provider, namespace="openhands",
                                           service_account="openhands-server"))
    (statement,) = reader_trust_policy(trust)["Statement"]
    assert statement["Principal"] == {"Federated": provider}
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Condition"]["StringEquals"] == {
        "oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub": "system:serviceaccount:openhands:openhands-server",
        "oidc.eks.eu-west-1.amazonaws.com/id/ABC:aud": "sts.amazonaws.com",
    }
