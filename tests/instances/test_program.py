"""Several instances on one Docker host, planned by the real program: they share the image and the
key and have their own profiles, ports, containers, volumes and URLs; bad instances exit 2 naming
the key."""

import json
from pathlib import Path

import pytest
import yaml

from tests.helpers import SENTINEL_KEY, run_cli


def _instances_stack(tmp_path: Path, instances: list) -> Path:
    path = tmp_path / "Pulumi.teams.yaml"
    path.write_text(yaml.safe_dump({"config": {
        "openhands-zai:target": "docker", "openhands-zai:instances": instances,
        "openhands-zai:tags": {"zai-key-plan": "coding-plan"}}}))
    return path


def test_instances_share_the_image_and_key_with_their_own_profiles_ports_and_urls(tmp_path):
    stack = _instances_stack(tmp_path, [
        {"name": "payments", "defaultProfile": "coding"},
        {"name": "search", "profiles": {"fast": {"model": "glm-4.5-air"}}, "defaultProfile": "fast", "port": 3100},
    ])
    result = run_cli("plan", "--stack", "teams", "--config-file", str(stack), "--format", "json",
                     env_extra={"ZAI_API_KEY": SENTINEL_KEY})
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["outputs"]["urls"] == {"payments": "http://127.0.0.1:3000", "search": "http://127.0.0.1:3100"}
    by_type: dict[str, list] = {}
    for resource in document["resources"]:
        by_type.setdefault(resource["type"], []).append(resource)
    assert len(by_type["docker:index/remoteImage:RemoteImage"]) == 1
    containers = {c["inputs"]["name"]: c["inputs"] for c in by_type["docker:index/container:Container"]}
    assert set(containers) == {"openhands-app-payments", "openhands-app-search"}
    models = {name: dict(e.split("=", 1) for e in c["envs"])["LLM_MODEL"] for name, c in containers.items()}
    assert models == {"openhands-app-payments": "zai/glm-4.7", "openhands-app-search": "zai/glm-4.5-air"}
    assert all(dict(e.split("=", 1) for e in c["envs"])["LLM_API_KEY"] == "[secret]" for c in containers.values())
    volumes = {v["inputs"]["name"] for v in by_type["docker:index/volume:Volume"]}
    assert volumes == {"openhands-state-payments", "openhands-state-search"}
    assert SENTINEL_KEY not in result.stdout


@pytest.mark.parametrize("instances, key", [
    ([{"name": "Team_A"}], "openhands-zai:instances[0].name"),
    ([{"name": "a"}, {"name": "a"}], "openhands-zai:instances[1].name"),
    ([{"name": "a", "port": 3000}, {"name": "b", "port": 3000}], "openhands-zai:instances[1].port"),
    ([{"name": "a", "defaultProfile": "nope"}], "openhands-zai:instances[0].defaultProfile"),
    ([{"name": "a", "profiles": {"x": {"temperature": 9}}}], "openhands-zai:instances[0].profiles.x"),
    ([{"name": "a", "colour": "red"}], "openhands-zai:instances[0].colour"),
    ([], "openhands-zai:instances"),
])
def test_bad_instances_exit_2_naming_the_key(tmp_path, instances, key):
    result = run_cli("plan", "--stack", "teams", "--config-file", str(_instances_stack(tmp_path, instances)))
    assert result.returncode == 2
    assert any(line.startswith(f"error: {key}") for line in result.stderr.splitlines()), result.stderr
    assert "Traceback" not in result.stderr
