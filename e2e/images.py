"""Stand-in images for the end-to-end suite, built here because no registry can be reached.

Each image is built from a Debian rootfs (`debootstrap --variant=minbase bookworm`), Python 3.12
copied in from this machine (with the Debian libraries its modules link), and a committed lock of
its Python environment (`e2e/locks/*.txt`: every transitive package pinned, with hashes, resolved
by `make lock`), installed with `pip --require-hashes` from wheels downloaded and hash-checked
first; so an upstream release cannot change what the suite runs. Each is tagged with the exact
reference the bundle deploys and carries the upstream image's entrypoint, user, working directory
and environment:

- the app: `containers/app/Dockerfile` of OpenHands (root, WORKDIR /app, `/app/entrypoint.sh`,
  `uvicorn openhands.server.listen:app --host 0.0.0.0 --port 3000`, user `openhands` 42420),
  from `locks/app.txt`;
- the sandbox: the agent-server Dockerfile of the SDK (user `openhands` 10001, WORKDIR /,
  `/usr/local/bin/openhands-agent-server`, chromium for the browser tools), from `locks/agent.txt`
  (resolved with the app's lock as constraints: one SDK on both sides);
- the LLM gateway: LiteLLM's `docker/Dockerfile.non_root` (user `nobody`, WORKDIR /app,
  `/app/docker/prod_entrypoint.sh` = `exec litellm "$@"`, CMD `--port 4000`), `litellm[proxy]`
  at the version the bundle pins, from `locks/gateway.txt`.

`locks/build.txt` holds what pip's isolated build needs for the locked packages published as
sdists only. An image is rebuilt when its recipe changes: a hash of its lock, the packages, the
entrypoints and environment and RECIPE_VERSION is a label on the image (`openhands-zai.e2e-recipe`),
so a cache (CI's /var/cache) is keyed on the lock.

    python e2e/images.py [--cache DIR]     # builds what is missing or stale, prints the references
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import docker

from openhands_zai.gateway.plan import image as gateway_image
from openhands_zai.gateway.settings import DEFAULT_LITELLM_VERSION, GatewaySettings
from openhands_zai.release import DEFAULT_VERSION, RELEASES

RELEASE = RELEASES[DEFAULT_VERSION]
# The references the bundle deploys, from its own code (a digest-less pin, as the templates without
# digests pull): the stand-ins are tagged with exactly these.
APP_REF = RELEASE.image
AGENT_REF = RELEASE.agent_server_image
GATEWAY_REF = gateway_image(GatewaySettings())
LOCKS = Path(__file__).resolve().parent / "locks"
PYTHON312 = Path(os.environ.get("E2E_PYTHON312", "/root/.pyenv/versions/3.12.1"))
CACHE = Path(os.environ.get("E2E_CACHE", "/var/cache/openhands-zai-e2e"))
RECIPE_LABEL = "openhands-zai.e2e-recipe"
# What Python 3.12's extension modules link (ldd over lib-dynload), what both images' entrypoints
# use, and what the agent's tools run (git, tmux, procps, chromium for the browser tools).
BASE_PACKAGES = ["ca-certificates", "libssl3", "libffi8", "libsqlite3-0", "zlib1g", "libbz2-1.0", "liblzma5",
                 "libreadline8", "libncursesw6", "libuuid1", "libnsl2", "libexpat1", "bash", "procps", "git",
                 "tini", "curl"]
AGENT_PACKAGES = ["tmux", "chromium", "sudo", "jq"]
# Upstream's app entrypoint (containers/app/entrypoint.sh) in the part these stacks take: with
# SANDBOX_USER_ID=0 (the image default) or NO_SETUP=true it runs the command as it is.
APP_ENTRYPOINT = """#!/bin/bash
set -eo pipefail
echo "Starting OpenHands..."
if [[ "$NO_SETUP" == "true" ]]; then
  echo "Skipping setup, running as $(whoami)"
  exec "$@"
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "The OpenHands entrypoint.sh must run as root"
  exit 1
fi
if [[ "${SANDBOX_USER_ID:-0}" -ne 0 ]]; then
  echo "stand-in image: SANDBOX_USER_ID other than 0 is not emulated" >&2
  exit 1
fi
echo "Running OpenHands as root"
export RUN_AS_OPENHANDS=false
exec "$@"
"""
AGENT_ENTRYPOINT = '#!/bin/sh\nexec /agent-server/.venv/bin/python -m openhands.agent_server "$@"\n'
# docker/prod_entrypoint.sh of LiteLLM without its optional tracers (DD, New Relic, a separate health app).
GATEWAY_ENTRYPOINT = '#!/bin/sh\nexec litellm "$@"\n'
# containers/app/Dockerfile's ENV lines.
APP_ENV = {"RUN_AS_OPENHANDS": "true", "OPENHANDS_USER_ID": "42420",
           "SANDBOX_LOCAL_RUNTIME_URL": "http://host.docker.internal", "USE_HOST_NETWORK": "false",
           "WORKSPACE_BASE": "/opt/workspace_base", "OPENHANDS_BUILD_VERSION": RELEASE.version, "SANDBOX_USER_ID": "0",
           "FILE_STORE": "local", "FILE_STORE_PATH": "/.openhands", "INIT_GIT_IN_EMPTY_WORKSPACE": "1",
           "VIRTUAL_ENV": "/app/.venv", "PATH": "/app/.venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
           "PYTHONPATH": "/app"}
# docker/Dockerfile.non_root's runtime ENV lines (the prisma ones without a database are moot).
GATEWAY_ENV = {"PATH": "/app/.venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/app",
               "LITELLM_NON_ROOT": "true", "XDG_CACHE_HOME": "/app/.cache"}
AGENT_ENV = {"OH_ENABLE_VNC": "false", "LOG_JSON": "true", "CHROME_BIN": "/usr/bin/chromium",
             "CHROMIUM_FLAGS": "--no-sandbox --disable-dev-shm-usage --disable-gpu",
             "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}


def run(*command: str, **kwargs) -> None:
    print("+", " ".join(command), flush=True)
    subprocess.run(command, check=True, **kwargs)


def chroot(root: Path, script: str) -> None:
    """Run a shell script inside the rootfs, with /proc and the host's resolver for apt and pip."""
    shutil.copy("/etc/resolv.conf", root / "etc/resolv.conf")
    (root / "proc").mkdir(exist_ok=True)
    run("mount", "-t", "proc", "proc", str(root / "proc"))
    try:
        run("chroot", str(root), "/bin/bash", "-euo", "pipefail", "-c", script,
            env={"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "DEBIAN_FRONTEND": "noninteractive",
                 "LANG": "C.UTF-8", "HOME": "/root"})
    finally:
        run("umount", str(root / "proc"))


def base_rootfs(cache: Path) -> Path:
    """Debian minbase with the packages both images need, built once per cache."""
    root = cache / "rootfs-base"
    done = root / ".openhands-zai-packages"
    wanted = " ".join(BASE_PACKAGES)
    if done.exists() and done.read_text() == wanted:
        return root
    if not (root / "etc/debian_version").exists():
        shutil.rmtree(root, ignore_errors=True)
        run("debootstrap", "--variant=minbase", "bookworm", str(root), "http://deb.debian.org/debian")
    chroot(root, f"apt-get update -q && apt-get install -y -q --no-install-recommends {wanted} && apt-get clean "
                 "&& rm -rf /var/lib/apt/lists/*")
    done.write_text(wanted)
    return root


def copy_python(root: Path) -> None:
    """Python 3.12 into /usr/local, without this machine's site-packages, tests or Tk."""
    skip = {"site-packages", "test", "idlelib", "tkinter", "turtledemo", "__pycache__"}
    source = PYTHON312
    shutil.copytree(source / "lib/python3.12", root / "usr/local/lib/python3.12", dirs_exist_ok=True,
                    ignore=lambda _dir, names: [n for n in names if n in skip])
    (root / "usr/local/lib/python3.12/site-packages").mkdir(exist_ok=True)
    for lib in source.glob("lib/libpython3*.so*"):
        shutil.copy2(lib, root / "usr/local/lib", follow_symlinks=False)
    shutil.copy2(source / "bin/python3.12", root / "usr/local/bin/python3.12")
    for alias in ("python3", "python"):
        link = root / "usr/local/bin" / alias
        link.unlink(missing_ok=True)
        link.symlink_to("python3.12")


# Bump when a build step below changes in a way the values hashed in recipe() do not show.
RECIPE_VERSION = 3


def lock_text(name: str) -> str:
    return (LOCKS / f"{name}.txt").read_text()


def recipe(name: str, extra: str = "") -> str:
    """What an image is built from: the steps' version, its lock and the build lock, its packages,
    entrypoints and env."""
    parts = [str(RECIPE_VERSION), name, RELEASE.version, RELEASE.sdk_version, " ".join(BASE_PACKAGES), extra,
             APP_ENTRYPOINT, AGENT_ENTRYPOINT, repr(sorted(APP_ENV.items())), repr(sorted(AGENT_ENV.items())),
             lock_text(name), lock_text("build")]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def current(client: docker.DockerClient, reference: str, wanted: str) -> bool:
    try:
        image = client.images.get(reference)
    except docker.errors.ImageNotFound:
        return False
    return (image.labels or {}).get(RECIPE_LABEL) == wanted


def import_rootfs(client: docker.DockerClient, root: Path, reference: str, changes: list[str]) -> None:
    """`docker import` of the rootfs through the Engine API, with the Dockerfile-like changes."""
    repository, tag = reference.rsplit(":", 1)
    archive_path = root.with_suffix(".tar")  # beside the rootfs: about the image's size, streamed
    with tarfile.open(archive_path, mode="w") as archive:
        for entry in sorted(root.iterdir()):
            if entry.name not in ("proc",) and not entry.name.startswith(".openhands-zai"):
                archive.add(entry, arcname=entry.name)
    try:
        client.api.import_image(src=str(archive_path), repository=repository, tag=tag, changes=changes)
    finally:
        archive_path.unlink()


def dockerfile_changes(env: dict[str, str], user: str, workdir: str, entrypoint: list[str],
                       cmd: list[str] | None) -> list[str]:
    changes = [f"ENV {name}={json.dumps(value)}" for name, value in env.items()]
    changes += [f"USER {user}", f"WORKDIR {workdir}", f"ENTRYPOINT {json.dumps(entrypoint)}"]
    if cmd:
        changes.append(f"CMD {json.dumps(cmd)}")
    return changes


def wheels(cache: Path, family: str, *locks: str) -> Path:
    """Every file the locks name, downloaded once with this machine's pip (3.12) and checked against
    the locks' hashes; the images install from this folder offline, checking them again. One folder
    per family of images (OpenHands', the gateway's): another lock's version of a package beside
    its own confuses pip's resolver."""
    folder = cache / f"wheels-{family}"
    folder.mkdir(parents=True, exist_ok=True)
    for name in (*locks, "build"):
        marker = folder / f".{name}-{hashlib.sha256(lock_text(name).encode()).hexdigest()[:16]}"
        if not marker.exists():
            run(str(PYTHON312 / "bin/python3.12"), "-m", "pip", "download", "-q", "--require-hashes", "--no-deps",
                "-d", str(folder), "-r", str(LOCKS / f"{name}.txt"))
            marker.touch()
    return folder


def pip_install(venv: str, lock: str) -> str:
    """The chroot's install lines: the locked pip and build tools first (build.txt), then the lock
    alone; hash-checked, offline (sdists built from /wheels with the locked build tools)."""
    pip = f"{venv}/bin/python -m pip install -q --require-hashes --no-index --find-links /wheels"
    return f"{pip} -r /locks/build.txt\n{pip} -r /locks/{lock}.txt"


@contextmanager
def rootfs(cache: Path, base: Path, name: str, wheel_dir: Path) -> Iterator[Path]:
    """A copy of the base rootfs with Python 3.12 in it and the wheels mounted at /wheels."""
    root = cache / f"rootfs-{name}"
    shutil.rmtree(root, ignore_errors=True)
    run("cp", "-a", str(base), str(root))
    copy_python(root)
    shutil.copytree(LOCKS, root / "locks", ignore=shutil.ignore_patterns("*.in"))
    (root / "wheels").mkdir()
    run("mount", "--bind", str(wheel_dir), str(root / "wheels"))
    try:
        yield root
    finally:
        run("umount", str(root / "wheels"))
    (root / "wheels").rmdir()
    shutil.rmtree(root / "locks")


def build(client: docker.DockerClient, cache: Path, base: Path, wheel_dir: Path, name: str, reference: str,
          script: str, finish: Callable[[Path], list[str]], extra: str = "") -> None:
    """Build `reference` unless an image of the same recipe exists: `script` runs in the rootfs's
    chroot, then `finish(root)` completes it outside and returns the image's Dockerfile changes."""
    label = recipe(name, extra)
    if current(client, reference, label):
        print(f"{reference}: up to date ({label})")
        return
    with rootfs(cache, base, name, wheel_dir) as root:
        chroot(root, script)
    import_rootfs(client, root, reference, finish(root) + [f"LABEL {RECIPE_LABEL}={label}"])
    shutil.rmtree(root)
    print(f"{reference}: built ({label})")


def build_app(client: docker.DockerClient, cache: Path, base: Path, wheel_dir: Path) -> None:
    def finish(root: Path) -> list[str]:
        (root / "app/entrypoint.sh").write_text(APP_ENTRYPOINT)
        (root / "app/entrypoint.sh").chmod(0o770)
        return dockerfile_changes(APP_ENV, "root", "/app", ["/app/entrypoint.sh"],
                                  ["uvicorn", "openhands.server.listen:app", "--host", "0.0.0.0", "--port",
                                   str(RELEASE.port)])

    build(client, cache, base, wheel_dir, "app", APP_REF, f"""
ldconfig
groupadd --gid 42420 openhands && useradd -l -m -u 42420 --gid 42420 -s /bin/bash openhands
mkdir -p /app /.openhands /opt/workspace_base
python3.12 -m venv /app/.venv
{pip_install("/app/.venv", "app")}
chown -R openhands:openhands /app /opt/workspace_base
""", finish)


def build_agent(client: docker.DockerClient, cache: Path, base: Path, wheel_dir: Path) -> None:
    def finish(root: Path) -> list[str]:
        entry = root / "usr/local/bin/openhands-agent-server"
        entry.write_text(AGENT_ENTRYPOINT)
        entry.chmod(0o755)
        return dockerfile_changes(AGENT_ENV, "openhands", "/",
                                  ["/usr/bin/tini", "--", "/usr/local/bin/openhands-agent-server"], None)

    build(client, cache, base, wheel_dir, "agent", AGENT_REF, f"""
apt-get update -q && apt-get install -y -q --no-install-recommends {' '.join(AGENT_PACKAGES)}
apt-get clean && rm -rf /var/lib/apt/lists/*
ldconfig
groupadd -g 10001 openhands && useradd -m -u 10001 -g 10001 -s /bin/bash openhands
usermod -aG sudo openhands && echo 'openhands ALL=(ALL) NOPASSWD:ALL' >> /etc/sudoers
mkdir -p /workspace/project /agent-server && chown -R openhands:openhands /workspace
python3.12 -m venv /agent-server/.venv
{pip_install("/agent-server/.venv", "agent")}
chown -R openhands:openhands /agent-server
""", finish, extra=" ".join(AGENT_PACKAGES))


def build_gateway(client: docker.DockerClient, cache: Path, base: Path, wheel_dir: Path) -> None:
    def finish(root: Path) -> list[str]:
        entry = root / "app/docker/prod_entrypoint.sh"
        entry.write_text(GATEWAY_ENTRYPOINT)
        entry.chmod(0o755)
        return dockerfile_changes(GATEWAY_ENV, "nobody", "/app", ["/app/docker/prod_entrypoint.sh"], ["--port", "4000"])

    build(client, cache, base, wheel_dir, "gateway", GATEWAY_REF, f"""
ldconfig
mkdir -p /app/docker /app/.cache
python3.12 -m venv /app/.venv
{pip_install("/app/.venv", "gateway")}
chown -R nobody:nogroup /app
""", finish, extra=" ".join([DEFAULT_LITELLM_VERSION, GATEWAY_ENTRYPOINT, repr(sorted(GATEWAY_ENV.items()))]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cache", type=Path, default=CACHE)
    args = parser.parse_args()
    if not (PYTHON312 / "bin" / "python3.12").is_file():
        print(f"error: E2E_PYTHON312: no Python 3.12 at {PYTHON312} (a prefix with bin/python3.12, such as "
              "a pyenv version folder); the images need it", file=sys.stderr)
        return 2
    client = docker.from_env(timeout=600)
    args.cache.mkdir(parents=True, exist_ok=True)
    base = base_rootfs(args.cache)
    openhands_wheels = wheels(args.cache, "openhands", "app", "agent")
    build_app(client, args.cache, base, openhands_wheels)
    build_agent(client, args.cache, base, openhands_wheels)
    build_gateway(client, args.cache, base, wheels(args.cache, "gateway", "gateway"))
    print(APP_REF)
    print(AGENT_REF)
    print(GATEWAY_REF)
    return 0


if __name__ == "__main__":
    sys.exit(main())
