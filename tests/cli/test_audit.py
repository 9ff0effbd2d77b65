"""`openhands-zai audit`: CloudTrail records summarised by principal, non-readers flagged."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import uuid

import boto3
import pytest
from botocore.stub import Stubber

from openhands_zai.cli.arguments import UsageError
from openhands_zai.cli.audit import events_from_lookup, parse_since, principal_of, readers_from_policy, reads_secret, summarize
from openhands_zai.secret.plan import secret_resource_policy
from tests.aws_fixtures import REGION, create_secret, moto_server, server_client  # noqa: F401
from tests.cli.test_aws_commands import ops

ACCOUNT = "123456789012"
READER = "arn:aws:iam::123456789012:role/openhands-host"
ALICE = "arn:aws:iam::123456789012:user/alice"
NOW = dt.datetime.now(dt.UTC)


def at(hours_ago: float) -> str:
    return (NOW - dt.timedelta(hours=hours_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def record(secret_id, identity, hours_ago=1.0, source="10.0.1.5", error=None):
    body = {"eventVersion": "1.08", "eventSource": "secretsmanager.amazonaws.com", "eventName": "GetSecretValue",
            "awsRegion": REGION, "eventTime": at(hours_ago), "sourceIPAddress": source, "userIdentity": identity,
            "requestParameters": {"secretId": secret_id}, "eventID": str(uuid.uuid4())}
    if error:
        body.update(errorCode=error, errorMessage="User is not authorized")
    return body


def role_session(role_arn=READER):
    name = role_arn.rsplit("/", 1)[1]
    return {"type": "AssumedRole", "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{name}/i-0abc",
            "sessionContext": {"sessionIssuer": {"type": "Role", "arn": role_arn}}}


USER = {"type": "IAMUser", "arn": ALICE, "userName": "alice"}
OUTSIDER = {"type": "AWSAccount", "accountId": "999988887777", "principalId": "AIDAOUTSIDER"}


def test_since_is_a_duration_within_cloudtrails_retention():
    assert parse_since("7d", lookup=True) == dt.timedelta(days=7)
    assert parse_since("12h", lookup=True) == dt.timedelta(hours=12)
    assert parse_since("400d", lookup=False) == dt.timedelta(days=400)
    for bad in ("7", "7w", "-1d", "0d", "", "91d"):
        with pytest.raises(UsageError, match="^--since:"):
            parse_since(bad, lookup=True)


def test_readers_come_from_the_components_resource_policy():
    arn = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:openhands-zai/prod/zai-api-key-AbCdEf"
    policy = json.dumps(secret_resource_policy(ACCOUNT, arn, [READER, "arn:aws:iam::210987654321:role/x"]))
    assert readers_from_policy(policy) == {READER, "arn:aws:iam::210987654321:role/x"}
    assert readers_from_policy(json.dumps(secret_resource_policy(ACCOUNT, arn, []))) == set()
    assert readers_from_policy(None) == set()


def test_a_role_session_counts_as_its_role():
    assert principal_of(record("x", role_session())) == (READER, "AssumedRole")
    assert principal_of(record("x", USER)) == (ALICE, "IAMUser")
    assert principal_of(record("x", OUTSIDER))[0].startswith("account 999988887777")


def test_the_secret_is_recognised_by_arn_name_partial_arn_and_replica():
    arn = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:team/zai-AbCdEf"
    for asked in (arn, "team/zai", arn[:-7], arn.replace(REGION, "eu-central-1")):
        assert reads_secret(record(asked, USER), arn, "team/zai"), asked
    for asked in ("team/other", f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:team/zai-2-XyZ123"):
        assert not reads_secret(record(asked, USER), arn, "team/zai"), asked


def test_lookup_events_pages_are_read(aws_env_for_stub):
    # moto 5.2 does not implement LookupEvents: botocore's Stubber checks the request and the
    # answer against CloudTrail's own service model instead.
    cloudtrail = boto3.client("cloudtrail", region_name=REGION)
    start, end = NOW - dt.timedelta(days=7), NOW
    expected = {"LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "GetSecretValue"}],
                "StartTime": start, "EndTime": end}
    events = [record("team/zai", USER), record("team/zai", role_session())]
    with Stubber(cloudtrail) as stub:
        stub.add_response("lookup_events", {"Events": [{"EventId": "1", "CloudTrailEvent": json.dumps(events[0])}],
                                            "NextToken": "page2"}, expected)
        stub.add_response("lookup_events", {"Events": [{"EventId": "2", "CloudTrailEvent": json.dumps(events[1])}]},
                          {**expected, "NextToken": "page2"})
        got = list(events_from_lookup(cloudtrail, start, end))
        stub.assert_no_pending_responses()
    assert got == events
    rows = summarize(got, "arn:aws:secretsmanager:eu-west-1:1:secret:team/zai-AbCdEf", "team/zai", start, {READER})
    assert [(r.principal, r.expected) for r in rows] == [(ALICE, False), (READER, True)]


@pytest.fixture
def aws_env_for_stub(monkeypatch):
    for name, value in {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}.items():
        monkeypatch.setenv(name, value)


def _trail_logs(moto_server, records, *, old_records=()):
    s3 = server_client(moto_server, "s3")
    bucket = f"trail-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    for day, batch in ((NOW, records), (NOW - dt.timedelta(days=30), old_records)):
        key = (f"logs/AWSLogs/{ACCOUNT}/CloudTrail/{REGION}/{day:%Y/%m/%d}/"
               f"{ACCOUNT}_CloudTrail_{REGION}_{day:%Y%m%dT%H%MZ}_{uuid.uuid4().hex[:16]}.json.gz")
        s3.put_object(Bucket=bucket, Key=key, Body=gzip.compress(json.dumps({"Records": list(batch)}).encode()))
    return f"s3://{bucket}/logs/"


def _secret_with_readers(moto_server):
    sm = server_client(moto_server)
    arn = create_secret(sm, f"openhands-zai/audit-{uuid.uuid4().hex[:6]}/zai-api-key", "zai-key-not-printed-000000")
    sm.put_resource_policy(SecretId=arn, ResourcePolicy=json.dumps(secret_resource_policy(ACCOUNT, arn, [READER])))
    return arn


def test_audit_from_trail_logs_flags_non_readers(moto_server):
    arn = _secret_with_readers(moto_server)
    name = arn.split(":secret:")[1][:-7]
    location = _trail_logs(moto_server, [
        record(arn, role_session(), 30), record(name, role_session(), 2, source="10.0.2.9"),
        record(name, USER, 5, source="203.0.113.9"),
        record(arn, OUTSIDER, 3, source="198.51.100.7", error="AccessDenied"),
        record("openhands-zai/other/zai-api-key", USER, 1),  # another secret
        record(arn, USER, 24 * 8),  # older than --since, in today's file
    ], old_records=[record(arn, USER, 24 * 30)])
    result = ops("audit", "--secret-id", arn, "--since", "7d", "--trail-bucket", location, "--format", "json",
                 endpoint=moto_server)
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    rows = {row["principal"]: row for row in report["principals"]}
    assert rows[READER]["reads"] == 2 and rows[READER]["expected"] is True
    assert rows[READER]["sources"] == ["10.0.1.5", "10.0.2.9"]
    assert rows[ALICE]["reads"] == 1 and rows[ALICE]["expected"] is False
    outsider = next(p for p in rows if p.startswith("account 999988887777"))
    assert rows[outsider]["denied"] == 1 and rows[outsider]["reads"] == 0
    assert set(report["flagged"]) == {ALICE, outsider}
    assert report["readers"] == [READER]

    text = ops("audit", "--secret-id", arn, "--trail-bucket", location, "--expect", ALICE, endpoint=moto_server)
    assert text.returncode == 1 and "<- not a reader" in text.stdout and "1 outside the readers" in text.stdout
    assert "zai-key-not-printed" not in text.stdout + result.stdout


def test_audit_passes_when_only_readers_read(moto_server):
    arn = _secret_with_readers(moto_server)
    location = _trail_logs(moto_server, [record(arn, role_session(), 1)])
    result = ops("audit", "--secret-id", arn, "--trail-bucket", location, endpoint=moto_server)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 outside the readers" in result.stdout


def test_audit_that_finds_no_reads_does_not_pass(moto_server):
    # Only another secret's reads and reads older than the window: nothing to compare with the readers.
    arn = _secret_with_readers(moto_server)
    location = _trail_logs(moto_server, [record("openhands-zai/other/zai-api-key", USER, 1)],
                           old_records=[record(arn, role_session(), 24 * 30)])
    result = ops("audit", "--secret-id", arn, "--trail-bucket", location, endpoint=moto_server)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "no reads found: nothing to compare with the readers" in result.stdout
    report = json.loads(ops("audit", "--secret-id", arn, "--trail-bucket", location, "--format", "json",
                            endpoint=moto_server).stdout)
    assert report["principals"] == [] and report["problem"].startswith("no reads found")


@pytest.mark.parametrize("args,expected", [
    (["--since", "forever"], "error: --since:"),
    (["--trail-bucket", "bucket/logs"], "error: --trail-bucket:"),
    (["--since", "120d"], "error: --since: CloudTrail LookupEvents keeps 90 days"),
])
def test_audit_usage_errors_exit_2(moto_server, args, expected):
    result = ops("audit", "--secret-id", "x", *args, endpoint=moto_server)
    assert result.returncode == 2 and result.stderr.startswith(expected), result.stderr


def test_audit_of_a_missing_secret_exits_1(moto_server):
    result = ops("audit", "--secret-id", "openhands-zai/none", "--trail-bucket", "s3://b/", endpoint=moto_server)
    assert result.returncode == 1 and "ResourceNotFoundException" in result.stderr
