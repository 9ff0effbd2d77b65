"""The images the bundle pulls, the tag format each registry really publishes, and the one way a
reference is written (`repository:tag`, `@sha256:` appended when a digest is pinned).

No test here can pull an image (no registry is reachable), so a wrong tag would pass every run:
the formats below are read from each upstream's release machinery, named beside each entry, and
the policy pack's mandatory `images-pinned` rule refuses a reference to one of these repositories
whose tag is not in its published format. Re-read the source when you move a pin.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class PublishedImage:
    repository: str
    tag_format: re.Pattern[str]
    published: str  # the format in words, for the error message
    source: str  # where the format was read


_SEMVER = r"\d+\.\d+\.\d+"
PUBLISHED_IMAGES: tuple[PublishedImage, ...] = (
    # OpenHands' containers/build.sh tags a release X.Y.Z (with X and X.Y, and `latest`) when
    # GITHUB_REF_NAME is a version; docker.openhands.dev mirrors ghcr.io/openhands/openhands
    # (the README's `docker run`). 1.11.0 is the app server's last release.
    PublishedImage("docker.openhands.dev/openhands/openhands", re.compile(rf"^{_SEMVER}$"), "X.Y.Z",
                   "OpenHands/OpenHands containers/build.sh, README"),
    # software-agent-sdk agent_server/docker/build.py `versioned_tags`: f"{version}-{custom_tag}" for
    # each variant (python, java, golang) of the `binary` target, which adds no suffix; the 1.11
    # app starts `<repository>:<sdk version>-python` (app_server/sandbox/sandbox_spec_service.py).
    PublishedImage("ghcr.io/openhands/agent-server", re.compile(rf"^{_SEMVER}-(python|java|golang)$"),
                   "X.Y.Z-python (or -java, -golang)",
                   "OpenHands/software-agent-sdk .github/workflows/server.yml, agent_server/docker/build.py"),
    # Agent Canvas: OpenHands/OpenHands .github/workflows/docker.yml tags a `vX.Y.Z` push X.Y.Z (and X.Y,
    # X, latest for a stable version; sha-<7>, branch and pr-N tags otherwise), per architecture and
    # then merged into one manifest; FROM ghcr.io/openhands/agent-server:<defaults.json agentServer>-python.
    PublishedImage("ghcr.io/openhands/agent-canvas", re.compile(rf"^{_SEMVER}$"), "X.Y.Z",
                   "OpenHands/OpenHands .github/workflows/docker.yml, config/defaults.json"),
    # LiteLLM from 1.84.0: `X.Y.Z` and `vX.Y.Z` (re-cuts `.postN`), no `main-v...` tags any more
    # (BerriAI/litellm-docs PR #90; the release notes' "Image Tags" list, e.g. v1.99.1:
    # "ghcr.io/berriai/litellm-non_root ... 1.99.1, v1.99.1").
    PublishedImage("ghcr.io/berriai/litellm-non_root", re.compile(rf"^v?{_SEMVER}(\.post\d+)?$"),
                   "X.Y.Z or vX.Y.Z (no main-v... tags since 1.84.0)",
                   "BerriAI/litellm release notes, docs/proxy/docker_image_security.md"),
    # oauth2-proxy's release workflow (.github/workflows/publish-release.yaml, Makefile `docker-push`)
    # pushes vX.Y.Z and vX.Y.Z-alpine to quay.io; v7.15.5 is its current stable release.
    PublishedImage("quay.io/oauth2-proxy/oauth2-proxy", re.compile(rf"^v{_SEMVER}(-alpine)?$"),
                   "vX.Y.Z (or vX.Y.Z-alpine)", "oauth2-proxy/oauth2-proxy release workflow, Makefile"),
)
_BY_REPOSITORY = {image.repository: image for image in PUBLISHED_IMAGES}
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


def reference(repository: str, tag: str, digest: str | None = None) -> str:
    """`repository:tag`, with `@<digest>` when one is pinned (the tag stays, for a reader)."""
    ref = f"{repository}:{tag}"
    return f"{ref}@{digest}" if digest else ref


def split_reference(ref: str) -> tuple[str, str | None]:
    """(repository, tag or None) of `repo[:tag][@digest]`; a registry port is not a tag."""
    name = ref.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        repository, tag = name.rsplit(":", 1)
        return repository, tag
    return name, None


def unpublished_tag(ref: str) -> str | None:
    """Why `ref` names a tag its registry does not publish, or None (fine, or not an image we know)."""
    repository, tag = split_reference(ref)
    image = _BY_REPOSITORY.get(repository.lower())
    if image is None or tag is None or image.tag_format.match(tag):
        return None
    return f"{repository} publishes tags {image.published}, not {tag!r} (read in {image.source})"


def pull_policy(ref: str) -> str:
    """`IfNotPresent` for a reference pinned by digest (the node's copy is the same bytes), else
    `Always`, so a tag that moved is pulled again rather than trusted from the node's cache."""
    return "IfNotPresent" if "@sha256:" in ref else "Always"
