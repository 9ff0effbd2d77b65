"""`openhands-zai doctor` end to end: moto_server for the secret, the fake Z.AI on loopback."""

from __future__ import annotations

import json
import shutil
import uuid

import pytest
import yaml

from tests.aws_fixtures import create_secret, moto_server, server_client  # noqa: F401
from tests.cli.test_aws_commands import ops
from tests.conftest import ROOT
from tests.fake_zai import GENERAL_BASE, FakeZai, self_signed_tls

GOOD = "zai-good-key-aaaaaaaaaaaaaaaaaaaa"
REVOKED = "zai-revoked-key-2222222222222222"
CODING_ONLY = "zai-coding-plan-key-333333333333"
ALL = ["settings", "secret readable", "DNS", "TLS", "key accepted", "plan matches endpoint", "model available",
       "chat completion", "tool calling", "thinking mode"]


@pytest.fixture(scope="module")
def fake():
    with FakeZai(valid_keys={GOOD}, coding_plan_keys={CODING_ONLY}) as server:
        yield server


@pytest.fixture(autouse=True)
def reset(fake):
    yield
    fake.delay, fake.fail_status, fake.calls_tools, fake.busy_models = 0.0, None, True, set()


def doctor(moto_server, *args, key=None, env_extra=None):
    secret_args = []
    if key is not None:
        sm = server_client(moto_server)
        secret_args = ["--secret-id", create_secret(sm, f"openhands-zai/doctor/{uuid.uuid4().hex[:8]}", key)]
    result = ops("doctor", *secret_args, *args, "--format", "json", endpoint=moto_server, env_extra=env_extra)
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr
    for secret in (GOOD, REVOKED, CODING_ONLY):
        assert secret not in result.stdout + result.stderr
    report = json.loads(result.stdout)
    return result.returncode, report, {c["name"]: c for c in report["checks"]}


def test_everything_passes_for_a_good_key_from_the_secret(moto_server, fake):
    code, report, checks = doctor(moto_server, "--endpoint", fake.url(), key=GOOD)
    assert code == 0 and report["ok"] is True
    assert [c["name"] for c in report["checks"]] == ALL
    assert {c["status"] for c in report["checks"]} <= {"pass", "skip"}
    assert checks["secret readable"]["status"] == "pass" and "AWSCURRENT" in checks["secret readable"]["detail"]
    for name in ("key accepted", "plan matches endpoint", "chat completion", "tool calling", "thinking mode"):
        assert checks[name]["status"] == "pass", checks[name]
        assert checks[name]["latency_ms"] is not None
    assert checks["TLS"]["status"] == "skip"  # plain http on loopback


@pytest.mark.parametrize("key,base,args,failed,explained", [
    (REVOKED, "coding", [], "key accepted", "HTTP 401: the key was rejected"),
    (CODING_ONLY, "general", [], "plan matches endpoint", "use the coding-plan endpoint"),
    (GOOD, "coding", ["--model", "glm-9"], "model available", "glm-9 is not listed"),
])
def test_each_failure_is_named_and_explained(moto_server, fake, key, base, args, failed, explained):
    url = fake.url(GENERAL_BASE) if base == "general" else fake.url()
    code, report, checks = doctor(moto_server, "--endpoint", url, *args, key=key)
    assert code == 1 and report["ok"] is False
    assert checks[failed]["status"] == "fail" and explained in checks[failed]["detail"]


def test_later_checks_are_skipped_naming_what_failed(moto_server, fake):
    code, _, checks = doctor(moto_server, "--endpoint", fake.url(), key=REVOKED)
    assert code == 1
    assert checks["chat completion"] == {"name": "chat completion", "status": "skip",
                                         "detail": "needs an accepted key", "latency_ms": None}


def test_a_model_without_tool_calls_fails_the_tool_check(moto_server, fake):
    fake.calls_tools = False
    code, _, checks = doctor(moto_server, "--endpoint", fake.url(), key=GOOD)
    assert code == 1 and "nativeToolCalling" in checks["tool calling"]["detail"]


def test_slow_endpoint_times_out(moto_server, fake):
    fake.delay = 0.6
    code, _, checks = doctor(moto_server, "--endpoint", fake.url(), "--timeout", "0.2", key=GOOD)
    assert code == 1 and checks["key accepted"]["detail"].startswith("timed out")


def test_outage_is_a_server_error(moto_server, fake):
    fake.fail_status = 503
    code, _, checks = doctor(moto_server, "--endpoint", fake.url(), key=GOOD)
    assert code == 1 and "HTTP 503: Z.AI server error" in checks["key accepted"]["detail"]


def test_unresolvable_host_fails_dns_and_skips_the_rest(moto_server):
    code, _, checks = doctor(moto_server, "--endpoint", "https://zai.invalid/api/coding/paas/v4", key=GOOD)
    assert code == 1 and checks["DNS"]["status"] == "fail" and "cannot resolve zai.invalid" in checks["DNS"]["detail"]
    assert checks["TLS"]["detail"] == "needs DNS"


def test_tls_is_verified_against_the_trust_store(moto_server, tmp_path):
    context, cert = self_signed_tls(tmp_path)
    with FakeZai(valid_keys={GOOD}, tls_context=context) as tls_fake:
        url = tls_fake.url(host="localhost")
        code, _, checks = doctor(moto_server, "--endpoint", url, key=GOOD)
        assert code == 1 and checks["TLS"]["status"] == "fail" and "not trusted" in checks["TLS"]["detail"]
        code, _, checks = doctor(moto_server, "--endpoint", url, key=GOOD, env_extra={"SSL_CERT_FILE": str(cert)})
        assert code == 0, checks
        assert checks["TLS"]["status"] == "pass" and checks["TLS"]["detail"].startswith("TLSv1.")


def test_missing_secret_and_no_key(moto_server, fake):
    result = ops("doctor", "--secret-id", "openhands-zai/none/zai-api-key", "--endpoint", fake.url(),
                 endpoint=moto_server)
    assert result.returncode == 1
    assert "FAIL  secret readable" in result.stdout and "ResourceNotFoundException" in result.stdout
    result = ops("doctor", "--endpoint", fake.url(), endpoint=moto_server)
    assert result.returncode == 1 and "no key to test" in result.stdout


def _project(tmp_path, config):
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (tmp_path / "Pulumi.doc.yaml").write_text(yaml.safe_dump({"config": config}))
    return ["--stack", "doc", "--project-dir", str(tmp_path)]


def test_stack_supplies_endpoint_model_and_secret(moto_server, fake, tmp_path):
    name = f"team/{uuid.uuid4().hex[:8]}/zai"
    create_secret(server_client(moto_server), name, GOOD)
    args = _project(tmp_path, {"aws:region": "eu-west-1", "openhands-zai:zaiEndpoint": fake.url(),
                               "openhands-zai:defaultProfile": "coding", "openhands-zai:secret": {"name": name}})
    code, report, checks = doctor(moto_server, *args)
    assert code == 0, report
    assert report["model"] == "glm-4.7" and report["endpoint"] == fake.url()  # the coding profile's model
    assert checks["settings"]["status"] == "pass" and name in checks["secret readable"]["detail"]


def test_invalid_stack_settings_fail_the_first_check(moto_server, fake, tmp_path):
    args = _project(tmp_path, {"openhands-zai:secret": {"recoveryWindowInDays": 90}})
    code, _, checks = doctor(moto_server, *args, "--endpoint", fake.url(), env_extra={"ZAI_API_KEY": GOOD})
    assert code == 1 and "openhands-zai:secret.recoveryWindowInDays" in checks["settings"]["detail"]


def test_usage_errors_exit_2(moto_server, tmp_path):
    result = ops("doctor", "--stack", "nosuch", "--project-dir", str(tmp_path), endpoint=moto_server)
    assert result.returncode == 2 and result.stderr.startswith("error: --stack:")
    result = ops("doctor", "--endpoint", "ftp://x", endpoint=moto_server)
    assert result.returncode == 2 and result.stderr.startswith("error: --endpoint:")
    result = ops("doctor", "--stack", "dev", "--secret-id", "x", endpoint=moto_server)
    assert result.returncode == 2 and "not allowed with argument" in result.stderr


def test_an_unfinished_rotation_is_mentioned(moto_server, fake):
    sm = server_client(moto_server)
    arn = create_secret(sm, f"openhands-zai/doctor/{uuid.uuid4().hex[:8]}", GOOD)
    sm.put_secret_value(SecretId=arn, SecretString=REVOKED, VersionStages=["AWSPENDING"])
    result = ops("doctor", "--secret-id", arn, "--endpoint", fake.url(), "--format", "json", endpoint=moto_server)
    assert result.returncode == 0, result.stdout
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    assert "an unfinished rotation" in checks["secret readable"]["detail"]
    assert REVOKED not in result.stdout


def test_a_stack_file_elsewhere_is_read_with_config_file(moto_server, fake, tmp_path):
    path = tmp_path / "Pulumi.review.yaml"
    path.write_text(yaml.safe_dump({"config": {"openhands-zai:zaiEndpoint": fake.url(),
                                               "openhands-zai:defaultProfile": "coding"}}))
    code, report, checks = doctor(moto_server, "--stack", "review", "--config-file", str(path),
                                  env_extra={"ZAI_API_KEY": GOOD})
    assert code == 0, report
    assert report["model"] == "glm-4.7" and checks["settings"]["detail"].startswith("stack review is valid")
    result = ops("doctor", "--config-file", str(path), endpoint=moto_server)
    assert result.returncode == 2 and result.stderr.startswith("error: --config-file:")


def test_zai_1302_is_explained_in_words(moto_server, fake):
    # Too many requests in flight for a Coding Plan key: Z.AI's 429 with business code 1302.
    fake.busy_models = {"glm-5.3"}
    code, _, checks = doctor(moto_server, "--endpoint", fake.url(), env_extra={"ZAI_API_KEY": GOOD})
    assert code == 1
    assert checks["chat completion"]["status"] == "fail"
    assert "Z.AI error 1302: too many requests in flight" in checks["chat completion"]["detail"]
