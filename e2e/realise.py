"""Turn what the real program plans into Docker Engine calls: the one translation module.

The stack is planned by the project's own program under Pulumi's mock engine (the same run as
`openhands-zai plan`), and the planned resources' inputs become docker SDK calls, field by field:

- Docker target: each `docker.Container` (image, command, env, volumes, hosts, uploads, restart
  policy, healthcheck, log options, labels) and its `docker.Volume`, with the image its `RemoteImage`
  pulls: the OpenHands server, and the LLM gateway beside it when the stack has one.
- Cluster target: the pod of the planned StatefulSet, emulated as kubelet would run it: the
  init container to completion, then the server container, with its command, env (`value` and
  `secretKeyRef` from the planned Secrets, or the ExternalSecret's template rendered as the
  External Secrets Operator would), user and groups (`runAsUser`, `fsGroup`), capabilities,
  read-only root, resource limits, `hostAliases`, and its volumes (the state claim, the Secret
  and ConfigMap files, emptyDirs) as host folders owned as fsGroup makes them; the LLM gateway's
  Deployment pod alike. Cluster DNS: every planned Service's names resolve to loopback in the pods
  (each pod's containers are on the host network, so a Service's port is its pod's port).

The only substitutions: host networking (every container on 127.0.0.1, so the Docker target's
sandboxes are started with AGENT_SERVER_USE_HOST_NETWORK=true), and the Z.AI base URL, which is
the stack's own `openhands-zai:zaiEndpoint` pointed at the stand-in (so the real renderer writes it).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import tarfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import docker
from docker.types import LogConfig

from openhands_zai.cli.engine import run_program
from openhands_zai.cli.stack_files import load_plan_config
from openhands_zai.gateway.plan import NAME as GATEWAY
from openhands_zai.testing import plain

ROOT = Path(__file__).resolve().parent.parent
HOST_NETWORK_ENV = {"AGENT_SERVER_USE_HOST_NETWORK": "true"}
OWNED_LABEL = "openhands-zai.e2e"  # on everything the harness creates, so a crashed run is cleaned up


@dataclass(repr=False)
class Planned:
    resources: list[Any]  # RecordedResource: type, name, inputs (secrets inside)

    def __repr__(self) -> str:
        return f"Planned({len(self.resources)} resources)"

    def of_type(self, typ: str) -> list[dict[str, Any]]:
        return [plain(r.inputs) for r in self.resources if r.type == typ]

    def named(self, typ: str) -> dict[str, dict[str, Any]]:
        """Resource name -> inputs, of one type."""
        return {r.name: plain(r.inputs) for r in self.resources if r.type == typ}

    @property
    def gateway_deployments(self) -> list[dict[str, Any]]:
        """The gateway's Deployment (the cluster target's other one is oauth2-proxy, the login)."""
        return [d for d in self.of_type("kubernetes:apps/v1:Deployment") if d["metadata"]["name"] == GATEWAY]

    @property
    def has_gateway(self) -> bool:
        return bool(self.gateway_deployments) or any(
            r.type == "docker:index/container:Container" and r.name.endswith("gateway-proxy") for r in self.resources)

    def one(self, typ: str) -> dict[str, Any]:
        found = self.of_type(typ)
        assert len(found) == 1, f"the plan has {len(found)} {typ}, expected one"
        return found[0]


def plan_stack(stack_file: Path, api_key: str, zai_url: str, stack: str = "e2e") -> Planned:
    """The real program's plan of `stack_file`, with the key and the stand-in endpoint as its config."""
    os.environ["ZAI_API_KEY"] = api_key
    try:
        config = load_plan_config(ROOT, stack, stack_file)
    finally:
        del os.environ["ZAI_API_KEY"]
    values = dict(config.config)
    values["openhands-zai:zaiEndpoint"] = zai_url
    recording = run_program(ROOT, config.project, stack, values, sorted(config.secret_keys))
    return Planned(recording.resources)


def _duration_ns(text: str) -> int:
    units = {"ms": 1_000_000, "s": 1_000_000_000, "m": 60_000_000_000, "h": 3_600_000_000_000}
    match = re.fullmatch(r"(\d+)(ms|s|m|h)", text)
    assert match, f"unexpected duration {text!r}"
    return int(match.group(1)) * units[match.group(2)]


def _tar(files: dict[str, tuple[bytes, int]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, (data, mode) in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), mode, int(time.time())
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@dataclass
class Started:
    """What the harness started, to be removed by id."""

    client: docker.DockerClient
    containers: list[str] = field(default_factory=list)  # the server's: removed when it restarts
    gateway: list[str] = field(default_factory=list)  # the LLM gateway's: live until the deployment goes
    since: float = field(default_factory=time.time)  # when this deployment began
    volumes: list[str] = field(default_factory=list)
    folders: list[Path] = field(default_factory=list)
    sandboxes: set[str] = field(default_factory=set)

    def remove_containers(self) -> None:
        for container_id in reversed(self.containers):
            try:
                self.client.containers.get(container_id).remove(force=True)
            except docker.errors.NotFound:
                pass
        self.containers.clear()

    def remove(self) -> None:
        self.remove_containers()
        self.containers, self.gateway = self.gateway, []
        self.remove_containers()
        # The sandboxes the app started for this deployment's conversations (named by sandbox id),
        # and nothing else on the engine.
        # A sandbox the app was still creating when it was removed is in no conversation: the
        # app's sandboxes carry its `sandbox_spec_id` label; those created since this deployment began.
        for container in self.client.containers.list(all=True, filters={"label": "sandbox_spec_id"}):
            created = datetime.fromisoformat(container.attrs["Created"][:26].rstrip("Z") + "+00:00").timestamp()
            if created >= self.since - 1:
                self.sandboxes.add(container.name)
        for name in sorted(self.sandboxes):
            try:
                self.client.containers.get(name).remove(force=True)
            except docker.errors.NotFound:
                pass  # the cluster target's sandbox is the pod's sidecar
        self.sandboxes.clear()
        for name in self.volumes:
            try:
                self.client.volumes.get(name).remove(force=True)
            except docker.errors.NotFound:
                pass
        self.volumes.clear()
        for folder in self.folders:
            shutil.rmtree(folder, ignore_errors=True)
        self.folders.clear()


# ---------------------------------------------------------------- the Docker target
def docker_container(planned: Planned, started: Started, resource: str = "openhands-server") -> str:
    """Create and start one planned container (the server, or the gateway's `gateway-proxy`); returns its id."""
    client = started.client
    # The image its component pulls: `<component>-image` beside `<component>-server|proxy`.
    images = planned.named("docker:index/remoteImage:RemoteImage")
    image = images[resource.rsplit("-", 1)[0] + "-image"]["name"]
    client.images.get(image)  # `pulumi up` pulls it; here it must have been built under that reference
    spec = planned.named("docker:index/container:Container")[resource]
    for volume in planned.of_type("docker:index/volume:Volume"):
        used = any(v.get("volumeName") == volume["name"] for v in spec.get("volumes", []))
        if not used or volume["name"] in started.volumes:
            continue
        labels = {item["label"]: item["value"] for item in volume.get("labels", [])}
        client.volumes.create(volume["name"], labels={**labels, OWNED_LABEL: "1"})
        started.volumes.append(volume["name"])
    mounts = [docker.types.Mount(v["containerPath"], v.get("volumeName") or v["hostPath"],
                                 type="volume" if v.get("volumeName") else "bind") for v in spec.get("volumes", [])]
    health = spec["healthcheck"]
    container = client.containers.create(
        image,
        command=spec.get("command"),
        name=spec["name"],
        environment=[*spec["envs"], *(f"{k}={v}" for k, v in HOST_NETWORK_ENV.items())],
        mounts=mounts,
        extra_hosts={h["host"]: h["ip"] for h in spec.get("hosts", [])},
        restart_policy={"Name": spec["restart"]},
        healthcheck={"test": health["tests"], "interval": _duration_ns(health["interval"]),
                     "timeout": _duration_ns(health["timeout"]), "retries": health["retries"],
                     "start_period": _duration_ns(health["startPeriod"])},
        log_config=LogConfig(type=spec["logDriver"], config=spec["logOpts"]),
        labels={**{item["label"]: item["value"] for item in spec["labels"]}, OWNED_LABEL: "1"},
        network_mode="host",
    )
    started.containers.append(container.id)
    # pulumi-docker copies `uploads` into the created container before it starts it, as it does:
    # one tar entry named by the full path, mode 0644 (0744 executable), copied to "/" (Docker
    # creates the missing folders).
    for upload in spec.get("uploads", []):
        mode = 0o744 if upload.get("executable") else 0o644
        container.put_archive("/", _tar({upload["file"]: (upload["content"].encode(), mode)}))
    container.start()
    return container.id


# ---------------------------------------------------------------- the cluster target
def _quantity_bytes(text: str) -> int:
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}
    match = re.fullmatch(r"([0-9.]+)([A-Za-z]*)", text)
    assert match
    return int(float(match.group(1)) * units.get(match.group(2), 1))


def _cpus(text: str) -> int:
    return int(float(text[:-1]) * 1e6) if text.endswith("m") else int(float(text) * 1e9)


def _render_external_secret(external: dict[str, Any], remote: dict[str, str]) -> dict[str, str]:
    """What the External Secrets Operator writes: the template with `{{ .<secretKey> }}` filled in."""
    values = {item["secretKey"]: remote[item["remoteRef"]["key"]] for item in external["spec"]["data"]}
    rendered = {}
    for key, template in external["spec"]["target"]["template"]["data"].items():
        for name, value in values.items():
            template = template.replace("{{ ." + name + " }}", value)
        assert "{{" not in template, f"unrendered template in {key}"
        rendered[key] = template
    return rendered


def cluster_secrets(planned: Planned, remote: dict[str, str]) -> dict[str, dict[str, str]]:
    """Secret name -> data, from the planned Secrets and ExternalSecrets (`remote`: Secrets Manager)."""
    secrets = {s["metadata"]["name"]: s["stringData"] for s in planned.of_type("kubernetes:core/v1:Secret")}
    for external in planned.of_type("kubernetes:external-secrets.io/v1:ExternalSecret"):
        secrets[external["spec"]["target"]["name"]] = _render_external_secret(external, remote)
    return secrets


def _volume_folder(base: Path, name: str, files: dict[str, str], mode: int, gid: int) -> Path:
    """A pod volume as kubelet lays it out with fsGroup: group-owned, setgid, files group-readable."""
    folder = base / name
    folder.mkdir(parents=True)
    os.chown(folder, 0, gid)
    folder.chmod(0o2775 if not files else 0o2755)
    for file_name, text in files.items():
        path = folder / file_name
        path.write_text(text)
        os.chown(path, 0, gid)
        path.chmod(mode | 0o040)  # kubelet adds group read for fsGroup
    return folder


def start_gateway(planned: Planned, started: Started, remote: dict[str, str], workdir: Path) -> str:
    """The planned LLM gateway (its container, or its Deployment's pod); returns its container's id."""
    server = started.containers
    started.containers = []
    try:
        if planned.gateway_deployments:
            return cluster_pod(planned, started, remote, workdir, kind="Deployment", name=GATEWAY)
        return docker_container(planned, started, "gateway-proxy")
    finally:
        started.gateway += started.containers
        started.containers = server


def service_hosts(planned: Planned) -> dict[str, str]:
    """Cluster DNS for the pods: each planned Service's names, on loopback (host network)."""
    hosts = {}
    for service in planned.of_type("kubernetes:core/v1:Service"):
        name, namespace = service["metadata"]["name"], service["metadata"]["namespace"]
        for host in (name, f"{name}.{namespace}", f"{name}.{namespace}.svc", f"{name}.{namespace}.svc.cluster.local"):
            hosts[host] = "127.0.0.1"
    return hosts


def _container_kwargs(spec: dict[str, Any], pod: dict[str, Any], folders: dict[str, Path],
                      secrets: dict[str, dict[str, str]], hosts: dict[str, str]) -> dict[str, Any]:
    security = {**pod.get("securityContext", {}), **spec.get("securityContext", {})}
    env = []
    for item in spec.get("env", []):
        if "value" in item:
            env.append(f"{item['name']}={item['value']}")
        else:
            ref = item["valueFrom"]["secretKeyRef"]
            env.append(f"{item['name']}={secrets[ref['name']][ref['key']]}")
    kwargs: dict[str, Any] = {
        "environment": env,
        "user": f"{security['runAsUser']}:{security['runAsGroup']}",
        "group_add": [str(pod["securityContext"]["fsGroup"])] if "fsGroup" in pod.get("securityContext", {}) else [],
        "read_only": security.get("readOnlyRootFilesystem", False),
        "cap_drop": security.get("capabilities", {}).get("drop", []),
        "security_opt": [] if security.get("allowPrivilegeEscalation", True) else ["no-new-privileges"],
        "privileged": security.get("privileged", False),
        "mounts": [docker.types.Mount(m["mountPath"], str(folders[m["name"]]), type="bind",
                                      read_only=m.get("readOnly", False)) for m in spec.get("volumeMounts", [])],
        "extra_hosts": {**hosts, **{name: alias["ip"] for alias in pod.get("hostAliases", [])
                                    for name in alias["hostnames"]}},
        "network_mode": "host",
        "labels": {OWNED_LABEL: "1"},
    }
    # Kubernetes: `command` replaces the image's ENTRYPOINT, `args` its CMD (both gone with command alone).
    if "command" in spec:
        kwargs["entrypoint"] = spec["command"]
        kwargs["command"] = spec.get("args", [])
    elif "args" in spec:
        kwargs["command"] = spec["args"]
    if "workingDir" in spec:
        kwargs["working_dir"] = spec["workingDir"]
    limits = spec.get("resources", {}).get("limits", {})
    if "memory" in limits:
        kwargs["mem_limit"] = _quantity_bytes(limits["memory"])
    if "cpu" in limits:
        # A CFS quota above the node's cores is allowed by kubelet and means "all of them"; Docker
        # refuses it, so the emulation caps it at this machine's cores.
        kwargs["nano_cpus"] = min(_cpus(limits["cpu"]), (os.cpu_count() or 1) * 10**9)
    return kwargs


def cluster_pod(planned: Planned, started: Started, remote: dict[str, str], workdir: Path,
                state: Path | None = None, kind: str = "StatefulSet", name: str | None = None) -> str:
    """Run one pod of the planned StatefulSet (the server) or Deployment (the gateway): init containers
    to completion, then the containers; returns the first one's id.

    `state`: the state claim's folder of an earlier run (a restarted pod keeps its volume).
    """
    client = started.client
    workloads = [w for w in planned.of_type(f"kubernetes:apps/v1:{kind}") if name in (None, w["metadata"]["name"])]
    assert len(workloads) == 1, f"the plan has {len(workloads)} {kind} {name or ''}, expected one"
    workload = workloads[0]
    pod = workload["spec"]["template"]["spec"]
    gid = pod["securityContext"]["fsGroup"]
    secrets = cluster_secrets(planned, remote)
    hosts = service_hosts(planned)
    config_maps = {c["metadata"]["name"]: c["data"] for c in planned.of_type("kubernetes:core/v1:ConfigMap")}
    base = workdir / f"pod-{len(list(workdir.glob('pod-*')))}"
    started.folders.append(base)
    folders: dict[str, Path] = {}
    for volume in pod["volumes"]:
        if "secret" in volume:
            folders[volume["name"]] = _volume_folder(base, volume["name"], secrets[volume["secret"]["secretName"]],
                                                     volume["secret"].get("defaultMode", 0o644), gid)
        elif "configMap" in volume:
            folders[volume["name"]] = _volume_folder(base, volume["name"], config_maps[volume["configMap"]["name"]],
                                                     volume["configMap"].get("defaultMode", 0o644), gid)
        elif "emptyDir" in volume:
            folders[volume["name"]] = _volume_folder(base, volume["name"], {}, 0, gid)
        else:
            raise AssertionError(f"volume kind not emulated: {volume}")
    for claim in workload["spec"].get("volumeClaimTemplates", []):
        name = claim["metadata"]["name"]
        folders[name] = state if state is not None else _volume_folder(workdir, f"claim-{name}", {}, 0, gid)
    for init in pod.get("initContainers", []):
        client.images.get(init["image"])
        container = client.containers.create(init["image"], **_container_kwargs(init, pod, folders, secrets, hosts))
        started.containers.append(container.id)
        container.start()
        result = container.wait(timeout=120)
        assert result["StatusCode"] == 0, (f"init container {init['name']} exited {result['StatusCode']}: "
                                           f"{container.logs(tail=20).decode(errors='replace')}")
    ids = []
    for spec in pod["containers"]:  # the server first, then its sidecars, as listed
        client.images.get(spec["image"])
        container = client.containers.create(spec["image"], **_container_kwargs(spec, pod, folders, secrets, hosts))
        started.containers.append(container.id)
        container.start()
        ids.append(container.id)
    return ids[0]


def claim_folder(workdir: Path, name: str = "state") -> Path:
    return workdir / f"claim-{name}"


def gateway_readiness(planned: Planned) -> tuple[str, int]:
    """(path, port) where the gateway answers ready: its pod's readiness probe, or its container's healthcheck."""
    deployments = planned.gateway_deployments
    if deployments:
        (proxy,) = deployments[0]["spec"]["template"]["spec"]["containers"]
        probe = proxy["readinessProbe"]["httpGet"]
        port = {p["name"]: p["containerPort"] for p in proxy["ports"]}.get(probe["port"], probe["port"])
        return probe["path"], int(port)
    return _healthcheck_url(planned.named("docker:index/container:Container")["gateway-proxy"])


def _healthcheck_url(spec: dict[str, Any]) -> tuple[str, int]:
    match = re.search(r"http://127\.0\.0\.1:(\d+)(/\S*?)'", " ".join(spec["healthcheck"]["tests"]))
    assert match, "the healthcheck names no URL"
    return match.group(2), int(match.group(1))


def readiness(planned: Planned) -> tuple[str, int]:
    """(path, port) of the server's readiness probe (the Docker target: its healthcheck's URL)."""
    workloads = planned.of_type("kubernetes:apps/v1:StatefulSet")
    if workloads:
        server = workloads[0]["spec"]["template"]["spec"]["containers"][0]
        probe = server["readinessProbe"]["httpGet"]
        port = {p["name"]: p["containerPort"] for p in server["ports"]}.get(probe["port"], probe["port"])
        return probe["path"], int(port)
    return _healthcheck_url(planned.named("docker:index/container:Container")["openhands-server"])

