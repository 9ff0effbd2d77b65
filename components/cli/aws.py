"""boto3 clients for the operator commands, and AWS failures as one line.

Endpoint, region and credentials come from the standard boto3 chain (AWS_PROFILE, AWS_DEFAULT_REGION,
instance/IRSA credentials, AWS_ENDPOINT_URL for an emulator such as moto_server). boto3 comes with
the `aws` extra (`pip install 'openhands-zai[aws]'`); without it, a command that needs AWS says so.
"""

from __future__ import annotations

import functools
import os
from typing import Any

from .. import aws_session
from .arguments import UsageError

try:
    import botocore.exceptions

    AWS_ERRORS: tuple[type[BaseException], ...] = (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError)
except ImportError:  # without the aws extra no AWS call is made, so none can fail
    AWS_ERRORS = ()


@functools.cache
def _session(region: str | None, _environment: tuple[str | None, ...]) -> Any:
    # One session per region and environment; their service models come from one loader.
    try:
        import boto3  # noqa: F401  (the aws extra; aws_session imports it where a session is made)
    except ImportError:
        raise UsageError("this command calls AWS and needs boto3: pip install 'openhands-zai[aws]'") from None
    return aws_session.session(region_name=region)


def client(service: str, region: str | None = None) -> Any:
    chain = tuple(os.environ.get(name) for name in ("AWS_PROFILE", "AWS_DEFAULT_REGION", "AWS_REGION",
                                                    "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID"))
    session = _session(region, chain)
    if not session.region_name:
        raise UsageError("--region: no AWS region set; pass --region or set AWS_DEFAULT_REGION (or a profile's region)")
    return session.client(service)


def describe(error: BaseException) -> str:
    """One line for an AWS error (never a traceback; AWS messages carry no secret values)."""
    import botocore.exceptions

    if isinstance(error, botocore.exceptions.ClientError):
        info = error.response.get("Error", {})
        operation = getattr(error, "operation_name", "call")
        message = " ".join(str(info.get("Message", "")).split())  # one line, even for an HTML error page
        if message.lstrip().startswith("<"):
            message = "the endpoint answered with an error page instead of an AWS response"
        return f"{operation}: {info.get('Code', 'error')}: {message[:300]}".rstrip(": ")
    if isinstance(error, botocore.exceptions.NoCredentialsError):
        return "no AWS credentials found (set AWS_PROFILE, or run where a role is available)"
    if isinstance(error, botocore.exceptions.EndpointConnectionError):
        return f"cannot reach AWS: {error}"
    return f"{type(error).__name__}: {error}"


def error_code(error: BaseException) -> str | None:
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        return response.get("Error", {}).get("Code")
    return None
