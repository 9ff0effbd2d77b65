"""`openhands-zai <command>`; `openhands-zai --help` lists the commands.

Exit codes shared by the commands: 0 done, 1 a check failed or something unexpected happened
(one line, every key scrubbed, never a traceback; OPENHANDS_ZAI_DEBUG=1 adds the scrubbed
traceback), 2 bad input (one line per problem, naming the key or option),
3 `plan` only: a mandatory policy is violated. When the reader of a pipe goes away
(`openhands-zai plan | head -1`), the command ends quietly with 141, as Unix tools killed by
SIGPIPE do.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import traceback
from typing import Any

from .exchange import positive_seconds

PIPE_CLOSED = 141  # 128 + SIGPIPE: what a shell reports for a tool whose reader went away


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="openhands-zai", description="openhands-zai operator commands: plan a stack "
                                   "offline, diagnose and rotate the Z.AI key, audit who read it, verify the network")
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")
    project_help = "the Pulumi project folder (Pulumi.yaml, __main__.py); default: the current directory"

    plan = commands.add_parser("plan", help="plan a stack offline: the real program under Pulumi's mock engine")
    plan.add_argument("--stack", required=True, help="stack name; reads Pulumi.<stack>.yaml")
    plan.add_argument("--config-file", help="a stack config file to use instead of Pulumi.<stack>.yaml")
    plan.add_argument("--format", choices=("text", "json", "mermaid", "manifests"), default="text")
    plan.add_argument("--out", help="with --format manifests: write one file per object into this directory")
    plan.add_argument("--project-dir", default=".", help=project_help)

    endpoint_help = "coding-plan (default), general, china, or an https:// base URL"
    rotate = commands.add_parser(
        "rotate-key", help="put a new Z.AI key into Secrets Manager (read from stdin), verified before it is current")
    rotate.add_argument("--secret-id", required=True, help="the secret's name or ARN (stack output secretArn)")
    rotate.add_argument("--region", help="AWS region (default: the boto3 chain, e.g. AWS_DEFAULT_REGION)")
    rotate.add_argument("--endpoint", help=endpoint_help)
    rotate.add_argument("--model", help="model for the test completion (default: the latest profile's)")
    rotate.add_argument("--rollback", action="store_true", help="move AWSCURRENT back to AWSPREVIOUS instead")
    rotate.add_argument("--timeout", type=positive_seconds, default=20.0,
                        help="seconds for each whole Z.AI request, connect to last byte (default 20)")

    doctor = commands.add_parser("doctor", help="diagnose the model calls: settings, secret, DNS, TLS, key, plan, "
                                                "model, chat, tools, thinking")
    source = doctor.add_mutually_exclusive_group()
    source.add_argument("--stack", help="read endpoint, model and secret from Pulumi.<stack>.yaml")
    source.add_argument("--secret-id", help="the secret's name or ARN (else env ZAI_API_KEY is tested)")
    doctor.add_argument("--config-file", help="with --stack: a stack config file instead of Pulumi.<stack>.yaml")
    doctor.add_argument("--project-dir", default=".", help=project_help)
    doctor.add_argument("--region", help="AWS region of the secret (default: the stack's aws:region or boto3's)")
    doctor.add_argument("--endpoint", help=endpoint_help + " (overrides the stack's)")
    doctor.add_argument("--model", help="model to test (overrides the stack's default profile)")
    doctor.add_argument("--timeout", type=positive_seconds, default=20.0,
                        help="seconds for each whole request, connect to last byte (default 20)")
    doctor.add_argument("--gateway-url", help="the LLM gateway's URL (default: where the stack publishes it; its key "
                                              "comes from env OPENHANDS_ZAI_GATEWAY_KEY)")
    doctor.add_argument("--format", choices=("text", "json"), default="text")

    audit = commands.add_parser("audit", help="who read the key (CloudTrail GetSecretValue), flagging non-readers")
    audit.add_argument("--secret-id", required=True, help="the secret's name or ARN")
    audit.add_argument("--since", default="7d", help="how far back: 7d, 12h, 30m (default 7d; 90d at most "
                                                    "without --trail-bucket)")
    audit.add_argument("--region", help="AWS region of the secret")
    audit.add_argument("--trail-bucket", help="read a trail's log files from s3://bucket/prefix instead of "
                                              "LookupEvents")
    audit.add_argument("--expect", action="append", metavar="PRINCIPAL_ARN",
                       help="a principal allowed to read besides the resource policy's readers (repeatable)")
    audit.add_argument("--format", choices=("text", "json"), default="text")

    verify = commands.add_parser("verify", help="after `pulumi up`: check peering, routes, egress rules, prefix "
                                                "list and firewall against the stack's outputs")
    source = verify.add_mutually_exclusive_group(required=True)
    source.add_argument("--stack", help="read the outputs with `pulumi stack output --json --stack NAME`")
    source.add_argument("--outputs", help="a file of `pulumi stack output --json`")
    verify.add_argument("--region", help="AWS region of the stack (default: the boto3 chain)")
    verify.add_argument("--format", choices=("text", "json"), default="text")

    schema = commands.add_parser("schema", help="check (or --write) Pulumi.yaml's config block and "
                                                "docs/reference/config.md against the settings models; --json "
                                                "prints their JSON Schema")
    action = schema.add_mutually_exclusive_group()
    action.add_argument("--write", action="store_true", help="regenerate the config block and the reference page "
                                                             "(inside the current directory only)")
    action.add_argument("--json", action="store_true", help="print the stack settings' JSON Schema")
    schema.add_argument("--project-dir", default=".", help=project_help)
    return root


def _command(name: str) -> Any:
    # Each command imports only what it uses: `plan` of a Docker stack needs no boto3.
    if name == "plan":
        from .plan import main
    elif name == "rotate-key":
        from .rotate import main
    elif name == "doctor":
        from .doctor import main
    elif name == "audit":
        from .audit import main
    elif name == "verify":
        from .verify import main
    else:
        from .schema import main
    return main


def main(argv: list[str] | None = None) -> int:
    # A short-lived command that imports hundreds of thousands of objects (the providers' typed
    # args, pydantic's schemas) and frees little: each full cyclic-GC pass over them costs more
    # (about 15 ms) than the garbage it would find. Reference counting still frees the rest.
    gc.disable()
    args = parser().parse_args(argv)
    # LiteLLM (imported by nothing here, but by plugins a user may add) must not phone home.
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    try:
        code = int(_command(args.command)(args))
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader is gone: nothing more can be said to it, and Python must not complain at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return PIPE_CLOSED
    except KeyboardInterrupt:
        print(f"error: {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # noqa: BLE001 - the last resort: one line, never a key, never a traceback
        return _unexpected(args.command, error)
    return code


def _unexpected(command: str, error: BaseException) -> int:
    from .redact import scrub

    print(scrub(f"error: {command} failed unexpectedly: {type(error).__name__}: {error}"), file=sys.stderr)
    if os.environ.get("OPENHANDS_ZAI_DEBUG"):
        print(scrub(traceback.format_exc()), file=sys.stderr)
    return 1
