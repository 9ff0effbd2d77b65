"""What every container the bundle runs on a Docker host shares: the healthcheck probe and log
rotation. Pure data, below the Docker target and the gateway, so neither imports the other for these."""

from __future__ import annotations

# The images ship Python; curl is not guaranteed, so the healthcheck uses the interpreter.
_HEALTH_PROBE = (
    "import sys, urllib.request; "
    "sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:{port}{path}', timeout=4).status == 200 else 1)"
)
# json-file with rotation: a chatty server must not fill the host's disk.
LOG_DRIVER = "json-file"
LOG_OPTS = {"max-size": "20m", "max-file": "5"}


def http_probe(port: int, path: str) -> list[str]:
    """A Docker healthcheck that GETs `path` on the container's own port with its Python."""
    return ["CMD", "python", "-c", _HEALTH_PROBE.format(port=port, path=path)]
