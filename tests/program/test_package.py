"""The component package: its schema built in process by Pulumi's own component provider host, the
host's input mapping into the stack settings, and OpenHandsZai deploying under the mock engine."""

import json
import re

import pulumi
import pytest
from pulumi.provider.experimental.component import ComponentProvider

from components.cli.reference import sections
from components.errors import ConfigError
from components.outputs import camel, output_fields
from components.package import settings_from_args
from components.package_types import OpenHandsZai, OpenHandsZaiArgs
from tests.conftest import ROOT
from tests.helpers import SENTINEL_KEY
from tests.mock_engine import MOCKS, OPTIONS, deploy

PROVIDER = ComponentProvider([OpenHandsZai], "openhands-zai", version="0.0.0")
TOKEN = "openhands-zai:index:OpenHandsZai"


def schema():
    """The schema the host serves to `pulumi package add` (GetSchema answers with this text)."""
    return json.loads(PROVIDER.schema)


def test_the_schema_holds_the_component_with_every_input_and_output_described():
    document = schema()
    assert list(document["resources"]) == [TOKEN]
    component = document["resources"][TOKEN]
    assert component["isComponent"] and component["description"]
    inputs, outputs = component["inputProperties"], component["properties"]
    # Inputs: every stack key (camelCase, as the stack file writes it), the key and the environment.
    from components.stack import StackSettings

    stack_keys = {info.alias or name for name, info in StackSettings.model_fields.items()}
    assert set(inputs) == stack_keys | {"zaiApiKey", "stack"}
    assert component["requiredInputs"] == ["zaiApiKey"]
    assert set(outputs) == {camel(item.name) for item in output_fields()}
    for name, prop in [*inputs.items(), *outputs.items()]:
        assert prop.get("description"), name


def test_every_settings_model_is_a_typed_shape_with_every_field_described():
    document = schema()
    types = document["types"]
    expected = {section.model for section in sections()} - {sections()[0].model}
    assert len(types) == len(expected)
    for token, shape in types.items():
        assert shape["type"] == "object" and shape.get("description"), token
        for name, prop in shape["properties"].items():
            assert prop.get("description"), f"{token}.{name}"
            assert "$ref" in prop or prop.get("type") in ("string", "integer", "number", "boolean", "array", "object")
    docker = types["openhands-zai:index:DockerArgs"]["properties"]
    assert docker["port"]["type"] == "integer" and docker["listenAddress"]["type"] == "string"
    profiles = document["resources"][TOKEN]["inputProperties"]["profiles"]
    assert profiles["additionalProperties"]["$ref"] == "#/types/openhands-zai:index:LlmProfileArgs"
    assert types["openhands-zai:index:EksArgs"]["required"] == ["subnetIds"]


def test_the_hosts_input_mapping_gives_the_stack_settings():
    # As a TypeScript program would send them: camelCase keys, user maps' keys as written.
    wire = {"zaiApiKey": "k", "zaiEndpoint": "general", "defaultProfile": "fast",
            "profiles": {"fast": {"model": "glm-4.5-air", "maxOutputTokens": 4096}},
            "docker": {"listenAddress": "0.0.0.0", "extraEnv": {"MY_VAR": "1"}},
            "tags": {"cost-center": "42"}}
    mapped = PROVIDER.map_inputs(wire, PROVIDER._component_defs["OpenHandsZai"])
    settings = settings_from_args(mapped)
    assert settings.default.model == "glm-4.5-air" and settings.default.max_output_tokens == 4096
    assert settings.docker.listen_address == "0.0.0.0" and settings.docker.extra_env == {"MY_VAR": "1"}
    assert settings.tags == {"cost-center": "42"} and settings.zai_endpoint == "general"


def test_bad_inputs_name_the_key_as_the_stack_file_writes_it():
    with pytest.raises(ConfigError) as caught:
        settings_from_args({"zai_api_key": "k", "docker": {"port": 0, "listen_address": "nowhere"}})
    keys = {problem.key for problem in caught.value.problems}
    assert keys == {"openhands-zai:docker.port", "openhands-zai:docker.listenAddress"}


def test_openhands_zai_builds_the_stack_under_itself_and_exports_its_outputs():
    made = {}

    def program():
        args: OpenHandsZaiArgs = {"zai_api_key": pulumi.Output.secret(SENTINEL_KEY), "stack": "pkg",
                                  "gateway": {"rpm": 20}, "docker": {"container_name": "pkg-app"}}
        made["component"] = OpenHandsZai("team", args)
        component = made["component"]
        return pulumi.Output.all(component.url, component.gateway_key, component.openhands_version,
                                 component.secret_arn)

    url, gateway_key, version, secret_arn = deploy(program)
    assert url == "http://127.0.0.1:3000" and version == "1.11.0" and secret_arn is None
    assert re.fullmatch(r"[A-Za-z0-9_-]{20,}", gateway_key or ""), "the gateway's key is an output"
    # Everything the program builds hangs under the component: its top-level resources are its children.
    for name in ("openhands", "gateway", "docker-host"):
        assert OPTIONS[name].parent is made["component"], name
    # The key reached the gateway only, as on a stack: OpenHands' container holds the gateway's.
    holders = [name for name, args in MOCKS.created.items() if SENTINEL_KEY in json.dumps(args.inputs)]
    assert holders and all(name.startswith("gateway") for name in holders), holders


def test_the_plugin_installs_the_projects_pins():
    def pins(path):
        return sorted(line for line in path.read_text().splitlines() if line and not line.startswith(("#", "-e")))

    assert pins(ROOT / "provider" / "requirements.txt") == pins(ROOT / "requirements.txt")
    assert "component_provider_host([OpenHandsZai]" in (ROOT / "provider" / "__main__.py").read_text()
