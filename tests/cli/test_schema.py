"""Pulumi.yaml's typed `config:` block and `openhands-zai schema`: one source, the settings models."""

import json
import shutil

import pytest
import yaml

from openhands_zai import StackSettings, parse_stack_settings
from openhands_zai.cli.schema import HEADER, project_config_block
from openhands_zai.stack import API_KEY
from tests.conftest import ROOT
from tests.helpers import run_cli

DECLARED = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
SCHEMA = StackSettings.model_json_schema(by_alias=True)


def test_pulumi_yaml_declares_every_key_and_only_those():
    assert set(DECLARED) == set(SCHEMA["properties"]) | {API_KEY}
    assert DECLARED == project_config_block()


@pytest.mark.parametrize("key", sorted(SCHEMA["properties"]))
def test_each_settings_model_matches_its_declaration(key):
    prop, declared = SCHEMA["properties"][key], DECLARED[key]
    assert declared["description"] == prop["description"]
    options = [o for o in prop.get("anyOf", [prop]) if o.get("type") != "null"]
    json_type = options[0].get("type", "object") if len(options) == 1 else "object"
    assert declared["type"] == {"number": "string"}.get(json_type, json_type)
    if prop.get("default") is not None:
        default = prop["default"]
        expected = {k: v for k, v in default.items() if v is not None} if isinstance(default, dict) else default
        assert declared["default"] == expected
    else:
        assert "default" not in declared  # Pulumi would pass the null on to every stack


def test_the_declared_defaults_are_valid_settings():
    defaults = {key: spec["default"] for key, spec in DECLARED.items() if "default" in spec}
    assert parse_stack_settings(defaults) == parse_stack_settings({})


def test_the_key_is_declared_secret_and_nothing_else_is():
    assert [key for key, spec in DECLARED.items() if spec.get("secret")] == [API_KEY]


def test_schema_check_passes_on_the_committed_file_and_prints_the_json_schema():
    result = run_cli("schema")
    assert result.returncode == 0, result.stderr
    document = json.loads(run_cli("schema", "--json").stdout)
    assert set(document["properties"]) == set(DECLARED)


def test_a_stale_block_fails_the_check_and_write_fixes_it_in_place(tmp_path):
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    project["config"].pop("tags")
    (tmp_path / "Pulumi.yaml").write_text(yaml.safe_dump(project))
    assert run_cli("schema", cwd=tmp_path).returncode == 1
    written = run_cli("schema", "--write", cwd=tmp_path)
    assert written.returncode == 0, written.stderr
    text = (tmp_path / "Pulumi.yaml").read_text()
    assert text.startswith(HEADER) and yaml.safe_load(text)["name"] == "openhands-zai"
    assert run_cli("schema", cwd=tmp_path).returncode == 0


def test_write_never_writes_outside_the_current_directory(tmp_path):
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    before = (tmp_path / "Pulumi.yaml").read_text()
    result = run_cli("schema", "--write", "--project-dir", str(tmp_path))  # from the checkout
    assert result.returncode == 2 and "outside the current directory" in result.stderr
    assert (tmp_path / "Pulumi.yaml").read_text() == before


def test_outside_a_project_schema_says_so(tmp_path):
    result = run_cli("schema", cwd=tmp_path)
    assert result.returncode == 2 and result.stderr.startswith(f"error: {tmp_path / 'Pulumi.yaml'}:")
