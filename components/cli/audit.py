"""`openhands-zai audit`: who read the Z.AI key (CloudTrail `GetSecretValue`), and who should not have.

Sources: CloudTrail's LookupEvents API (the last 90 days of management events in the secret's
region; no set-up needed), or with `--trail-bucket s3://bucket/prefix` the log files a trail
delivers to S3 (any age, organisation trails too). Readers are the principals the secret's
resource policy allows (the component lists every reader role there) plus `--expect` (e.g. the
deploy role: the Docker target reads AWSCURRENT on each `pulumi up`). Anyone else who read the
key, or tried to, is flagged, and the exit status is 1.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

from .arguments import UsageError
from .aws import AWS_ERRORS, client, describe, error_code

EVENT = "GetSecretValue"
MAX_LOOKUP_DAYS = 90  # CloudTrail LookupEvents keeps 90 days
_SINCE = re.compile(r"^(\d{1,4})([dhm])$")
_LOG_KEY_DATE = re.compile(r"/CloudTrail/[a-z0-9-]+/(\d{4})/(\d{2})/(\d{2})/")


def parse_since(value: str, *, lookup: bool) -> dt.timedelta:
    match = _SINCE.match(value or "")
    if not match:
        raise UsageError(f"--since: {value!r} is not a duration such as 7d, 12h or 30m")
    amount, unit = int(match.group(1)), match.group(2)
    span = {"d": dt.timedelta(days=amount), "h": dt.timedelta(hours=amount), "m": dt.timedelta(minutes=amount)}[unit]
    if span <= dt.timedelta(0):
        raise UsageError(f"--since: {value!r} must be longer than zero")
    if lookup and span > dt.timedelta(days=MAX_LOOKUP_DAYS):
        raise UsageError(f"--since: CloudTrail LookupEvents keeps {MAX_LOOKUP_DAYS} days; for older reads use "
                         "--trail-bucket")
    return span


def readers_from_policy(policy: str | None) -> set[str]:
    """Principals the resource policy allows (the component's `ReaderRoles` statement)."""
    if not policy:
        return set()
    readers: set[str] = set()
    statements = json.loads(policy).get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        if statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal", {})
        aws = principal.get("AWS", []) if isinstance(principal, dict) else []
        readers.update([aws] if isinstance(aws, str) else aws)
    return readers


def principal_of(record: dict[str, Any]) -> tuple[str, str]:
    """(who, identity type): a role session counts as its role."""
    identity = record.get("userIdentity") or {}
    kind = identity.get("type", "Unknown")
    if kind == "AssumedRole":
        issuer = (identity.get("sessionContext") or {}).get("sessionIssuer") or {}
        return issuer.get("arn") or identity.get("arn", "?"), kind
    if kind == "AWSService":
        return identity.get("invokedBy", "AWS service"), kind
    if kind == "AWSAccount":
        return f"account {identity.get('accountId', '?')} ({identity.get('principalId', '?')})", kind
    return identity.get("arn") or identity.get("principalId", "?"), kind


def reads_secret(record: dict[str, Any], arn: str, name: str) -> bool:
    if record.get("eventName") != EVENT or record.get("eventSource") != "secretsmanager.amazonaws.com":
        return False
    asked = (record.get("requestParameters") or {}).get("secretId", "")
    named = {resource.get("ARN") for resource in record.get("resources") or []}
    # By ARN, by name, by partial ARN (without the random suffix), or a replica's ARN.
    return (asked in (arn, name) or arn in named or (asked and arn.startswith(asked + "-"))
            or asked.split(":", 6)[-1] == arn.split(":", 6)[-1])


def events_from_lookup(cloudtrail: Any, start: dt.datetime, end: dt.datetime) -> Iterator[dict[str, Any]]:
    pages = cloudtrail.get_paginator("lookup_events").paginate(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": EVENT}], StartTime=start, EndTime=end)
    for page in pages:
        for event in page.get("Events", []):
            yield json.loads(event["CloudTrailEvent"])


def events_from_bucket(s3: Any, location: str, start: dt.datetime) -> Iterator[dict[str, Any]]:
    parts = urlsplit(location)
    bucket, prefix = parts.netloc, parts.path.lstrip("/")
    first_day = start.date()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            match = _LOG_KEY_DATE.search("/" + item["Key"])
            if not match or not item["Key"].endswith(".json.gz"):
                continue
            if dt.date(*(int(g) for g in match.groups())) < first_day:
                continue
            body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            yield from json.loads(gzip.decompress(body)).get("Records", [])


@dataclass
class Reader:
    principal: str
    identity_type: str
    reads: int = 0
    denied: int = 0
    first: str = ""
    last: str = ""
    sources: list[str] = field(default_factory=list)
    expected: bool = True


def summarize(records: Iterable[dict[str, Any]], arn: str, name: str, start: dt.datetime,
              expected: set[str]) -> list[Reader]:
    by_principal: dict[str, Reader] = {}
    since = start.strftime("%Y-%m-%dT%H:%M:%SZ")
    for record in records:
        when = record.get("eventTime", "")
        if when < since or not reads_secret(record, arn, name):
            continue
        who, kind = principal_of(record)
        reader = by_principal.setdefault(who, Reader(who, kind, expected=who in expected or kind == "AWSService"))
        if record.get("errorCode"):
            reader.denied += 1
        else:
            reader.reads += 1
        reader.first = min(reader.first or when, when)
        reader.last = max(reader.last, when)
        source = record.get("sourceIPAddress", "?")
        if source not in reader.sources:
            reader.sources.append(source)
    return sorted(by_principal.values(), key=lambda r: (r.expected, -r.reads, r.principal))


# Nothing to compare with the readers is not a pass: the stack reads the key on every `up` (Docker)
# or hourly (the External Secrets Operator), so a silent window usually means the events are elsewhere.
NO_READS = ("no reads found: nothing to compare with the readers. Either nothing read the key in this window, or "
            "CloudTrail does not record these events where audit looked (LookupEvents covers this region's management "
            "events; a trail's bucket with --trail-bucket)")


def report_text(arn: str, since: str, source: str, readers: set[str], rows: list[Reader]) -> str:
    lines = [f"audit: {EVENT} on {arn} in the last {since} ({source})",
             f"readers (resource policy and --expect): {', '.join(sorted(readers)) or 'none'}"]
    if not rows:
        lines.append(NO_READS)
    else:
        width = max(len(r.principal) for r in rows)
        lines.append(f"  {'PRINCIPAL':<{width}}  {'READS':>5}  {'DENIED':>6}  {'FIRST':<20}  {'LAST':<20}  SOURCES")
        for row in rows:
            flag = "  " if row.expected else "! "
            note = "" if row.expected else "  <- not a reader"
            lines.append(f"{flag}{row.principal:<{width}}  {row.reads:>5}  {row.denied:>6}  {row.first:<20}  "
                         f"{row.last:<20}  {', '.join(row.sources[:3])}{note}")
    flagged = [r for r in rows if not r.expected]
    lines.append(f"summary: {len(rows)} principals, {sum(r.reads for r in rows)} reads, "
                 f"{sum(r.denied for r in rows)} denied; {len(flagged)} outside the readers")
    return "\n".join(lines)


def main(args: Any) -> int:
    try:
        lookup = not args.trail_bucket
        if args.trail_bucket and not args.trail_bucket.startswith("s3://"):
            raise UsageError(f"--trail-bucket: {args.trail_bucket!r} must look like s3://bucket/prefix")
        span = parse_since(args.since, lookup=lookup)
        sm = client("secretsmanager", args.region)
        events_client = client("cloudtrail" if lookup else "s3", args.region)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    end = dt.datetime.now(dt.UTC)
    start = end - span
    try:
        described = sm.describe_secret(SecretId=args.secret_id)
        arn, name = described["ARN"], described["Name"]
        try:
            policy = sm.get_resource_policy(SecretId=arn).get("ResourcePolicy")
        except AWS_ERRORS as error:
            if error_code(error) != "AccessDeniedException":
                raise
            policy = None
            print("warning: cannot read the resource policy; readers are only --expect", file=sys.stderr)
        readers = readers_from_policy(policy) | set(args.expect or [])
        records = (events_from_lookup(events_client, start, end) if lookup
                   else events_from_bucket(events_client, args.trail_bucket, start))
        rows = summarize(records, arn, name, start, readers)
    except AWS_ERRORS as error:
        print(f"error: {describe(error)}", file=sys.stderr)
        return 1
    source = "CloudTrail LookupEvents" if lookup else f"trail logs in {args.trail_bucket}"
    if args.format == "json":
        print(json.dumps({"secretArn": arn, "since": args.since, "start": start.isoformat(), "source": source,
                          "readers": sorted(readers), "principals": [asdict(r) for r in rows],
                          "flagged": [r.principal for r in rows if not r.expected],
                          "problem": None if rows else NO_READS}, indent=2))
    else:
        print(report_text(arn, args.since, source, readers, rows))
    return 1 if not rows or any(not r.expected for r in rows) else 0
