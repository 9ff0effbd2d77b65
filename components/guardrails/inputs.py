"""Reading a resource's inputs as a policy sees them (pure; stdlib and pulumi_policy only).

Values may come wrapped in `pulumi_policy.Secret` (the offline plan keeps Pulumi's secret
markers); every reader here unwraps them and can say whether a value was marked.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import Secret

DOCKER_CONTAINER = "docker:index/container:Container"
DOCKER_IMAGE = "docker:index/remoteImage:RemoteImage"
SM_SECRET = "aws:secretsmanager/secret:Secret"
SM_VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
K8S_SECRET = "kubernetes:core/v1:Secret"

POD_SPEC_PATHS = {
    "kubernetes:core/v1:Pod": ("spec",),
    "kubernetes:apps/v1:Deployment": ("spec", "template", "spec"),
    "kubernetes:apps/v1:StatefulSet": ("spec", "template", "spec"),
    "kubernetes:apps/v1:DaemonSet": ("spec", "template", "spec"),
    "kubernetes:apps/v1:ReplicaSet": ("spec", "template", "spec"),
    "kubernetes:batch/v1:Job": ("spec", "template", "spec"),
    "kubernetes:batch/v1:CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}


def reveal(value: Any) -> tuple[Any, bool]:
    """(the plain value, whether Pulumi marked it secret) — markers exist only under `openhands-zai plan`."""
    secret = False
    while isinstance(value, Secret):
        value, secret = value.value, True
    return value, secret


def is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def strings(value: Any, path: str = "", secret: bool = False) -> Iterator[tuple[str, str, bool]]:
    """Every string inside `value`: (path, text, inside a secret)."""
    value, marked = reveal(value)
    secret = secret or marked
    if isinstance(value, str):
        yield path, value, secret
    elif isinstance(value, Mapping):
        for key in value:
            yield from strings(value[key], f"{path}.{key}" if path else str(key), secret)
    elif is_list(value):
        for index, item in enumerate(value):
            yield from strings(item, f"{path}[{index}]", secret)


def get(value: Any, *path: str | int) -> Any:
    for step in path:
        value = reveal(value)[0]
        if isinstance(step, int):
            value = value[step] if is_list(value) and len(value) > step else None
        else:
            value = value.get(step) if isinstance(value, Mapping) else None
    return reveal(value)[0]


def as_list(value: Any) -> list[Any]:
    value = reveal(value)[0]
    if value is None:
        return []
    return list(value) if is_list(value) else [value]


def docker_labels(props: Mapping[str, Any]) -> dict[str, str]:
    return {str(get(item, "label")): str(get(item, "value")) for item in as_list(props.get("labels"))}


def pod_spec(resource_type: str, props: Mapping[str, Any]) -> Mapping[str, Any] | None:
    path = POD_SPEC_PATHS.get(resource_type)
    spec = get(props, *path) if path else None
    return spec if isinstance(spec, Mapping) else None


def containers(spec: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for group in ("initContainers", "containers", "ephemeralContainers"):
        for index, container in enumerate(as_list(spec.get(group))):
            container = reveal(container)[0]
            if isinstance(container, Mapping):
                yield f"{group}[{index}]({get(container, 'name')})", container


def env_entries(props: Mapping[str, Any]) -> Iterator[tuple[int, str, str, bool]]:
    """A Docker container's env as (index, name, value, marked secret)."""
    envs, whole_secret = reveal(props.get("envs"))
    for index, entry in enumerate(as_list(envs)):
        text, secret = reveal(entry)
        if isinstance(text, str) and "=" in text:
            name, _, value = text.partition("=")
            yield index, name, value, whole_secret or secret


def image_references(resource_type: str, props: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(where, image reference) for what this resource runs or pulls."""
    refs = []
    if resource_type == DOCKER_IMAGE:
        refs.append(("name", get(props, "name")))
    elif resource_type == DOCKER_CONTAINER:
        image = get(props, "image")
        if isinstance(image, str) and not image.startswith("sha256:"):  # an image id is exact
            refs.append(("image", image))
    spec = pod_spec(resource_type, props)
    if spec is not None:
        refs += [(f"{where}.image", get(c, "image")) for where, c in containers(spec)]
    return [(where, ref) for where, ref in refs if isinstance(ref, str)]


def tag_of(reference: str) -> str | None:
    name = reference.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return last.rsplit(":", 1)[1] if ":" in last else None
