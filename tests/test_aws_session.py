"""One botocore loader for every session: models read once, identities kept apart."""

from __future__ import annotations

from openhands_zai import aws_session


def test_sessions_share_the_models_and_keep_their_own_identity():
    first = aws_session.session(aws_access_key_id="AKIAFIRST", aws_secret_access_key="s1", region_name="eu-west-1")
    second = aws_session.session(aws_access_key_id="ASIASECOND", aws_secret_access_key="s2",
                                 aws_session_token="t2", region_name="us-east-2")
    assert first._session.get_component("data_loader") is second._session.get_component("data_loader")
    assert (first.get_credentials().access_key, first.region_name) == ("AKIAFIRST", "eu-west-1")
    assert (second.get_credentials().access_key, second.get_credentials().token) == ("ASIASECOND", "t2")
    assert second.client("ec2").meta.region_name == "us-east-2"


def test_the_loader_does_not_grow_with_each_session():
    before = list(aws_session.session(region_name="eu-west-1")._session.get_component("data_loader").search_paths)
    for _ in range(5):
        aws_session.session(region_name="eu-west-1")
    after = aws_session.session(region_name="eu-west-1")._session.get_component("data_loader").search_paths
    assert after == before and len(after) == len(set(after))


def test_a_profile_is_the_sessions_own(tmp_path, monkeypatch):
    config = tmp_path / "config"
    config.write_text("[profile deployer]\nregion = ap-southeast-2\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    assert aws_session.session(profile_name="deployer").region_name == "ap-southeast-2"
    assert aws_session.session(region_name="eu-west-1").profile_name == "default"
