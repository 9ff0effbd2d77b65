"""Every image reference the bundle can pull names a tag its registry really publishes (images.py),
in every shipped stack, template and example; and the policy refuses a format upstream dropped."""

import json
from pathlib import Path

import pytest

from openhands_zai.guardrails.checks import pinned_image_findings
from openhands_zai.guardrails.inputs import DOCKER_CONTAINER, DOCKER_IMAGE, image_references
from openhands_zai.images import PUBLISHED_IMAGES, reference, split_reference, unpublished_tag
from tests.conftest import ROOT
from tests.helpers import planned

STACK_FILES = [ROOT / "Pulumi.dev.yaml", *sorted((ROOT / "examples" / "stacks").glob("Pulumi.*.yaml")),
               *sorted((ROOT / "fidelity" / "stacks").glob("Pulumi.*.yaml")),
               *sorted((ROOT / "e2e" / "stacks").glob("Pulumi.*.yaml"))]
KNOWN = {image.repository: image for image in PUBLISHED_IMAGES}


@pytest.mark.parametrize("stack_file", STACK_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_planned_image_is_a_known_repository_in_its_published_format(stack_file: Path):
    result = planned("images", stack_file)
    assert result.returncode in (0, 3), result.stderr
    refs = [ref for r in json.loads(result.stdout)["resources"] for _, ref in image_references(r["type"], r["inputs"])]
    assert refs, "the plan pulls no image"
    for ref in refs:
        repository, tag = split_reference(ref)
        assert repository in KNOWN, f"{ref}: not a repository images.py knows (add it with its source)"
        assert tag is not None and KNOWN[repository].tag_format.match(tag), ref


@pytest.mark.parametrize("ref", [
    "ghcr.io/berriai/litellm-non_root:main-v1.84.1",  # what the bundle pulled until 0.10.0
    "ghcr.io/berriai/litellm-non_root:main-latest",
    "ghcr.io/openhands/agent-server:1.34.0",  # the variant suffix is part of the tag
    "docker.openhands.dev/openhands/openhands:v1.11.0",
])
def test_a_format_upstream_does_not_publish_is_refused_by_the_mandatory_rule(ref):
    assert unpublished_tag(ref)
    (finding,) = pinned_image_findings(DOCKER_IMAGE, {"name": ref}, {})
    assert finding.startswith(f"name {ref}: ") and "publishes tags" in finding
    # With a digest too: the pull still names the tag.
    (finding,) = pinned_image_findings(DOCKER_CONTAINER, {"image": f"{ref}@sha256:{'a' * 64}"}, {})
    assert "publishes tags" in finding


@pytest.mark.parametrize("ref", [
    "ghcr.io/berriai/litellm-non_root:1.108.7", "ghcr.io/berriai/litellm-non_root:v1.108.7",
    "ghcr.io/berriai/litellm-non_root:1.84.3.post1", "ghcr.io/openhands/agent-server:1.34.0-python",
    "docker.openhands.dev/openhands/openhands:1.11.0", "registry.example:5000/team/openhands:main",  # not ours
])
def test_published_formats_and_other_registries_pass(ref):
    assert unpublished_tag(ref) is None
    assert pinned_image_findings(DOCKER_IMAGE, {"name": ref}, {}) == []


def test_every_entry_names_its_source_and_a_reference_is_written_one_way():
    assert all(image.source and image.published for image in PUBLISHED_IMAGES)
    assert reference("r/x", "1.0.0") == "r/x:1.0.0"
    assert reference("r/x", "1.0.0", "sha256:" + "b" * 64) == "r/x:1.0.0@sha256:" + "b" * 64
    assert split_reference("host:5000/r/x:1.0.0@sha256:" + "b" * 64) == ("host:5000/r/x", "1.0.0")
    assert split_reference("host:5000/r/x") == ("host:5000/r/x", None)
