"""Plan time for 1, 10 and 50 OpenHands instances, against a flat program registering the same resources.

For each N, a stack with N `openhands-zai:instances` is planned by `openhands-zai plan` (the real program:
settings, rendering, components, policy verdict). The flat baseline is a program with no
components and no settings: it registers the very resources that plan recorded (same types,
names, inputs and provider) with pulumi_docker's typed classes directly under the stack, and is planned by the same
`openhands-zai plan`
(same mock engine, same policy pass). Both run as fresh processes, interleaved, median of
--runs each. Printed: the three points, the per-instance cost and the fit (least squares), and
the ratio components/flat — the components' overhead.

    python bench/scale.py [--runs 3] [--sizes 1 10 50]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
GOAL_MS_PER_INSTANCE = 40.0
GOAL_RATIO = 1.1

FLAT_PROGRAM = '''\
"""The same resources as the components' plan, registered flat with pulumi_docker's typed classes."""
import json
import re
from pathlib import Path

import pulumi
import pulumi_docker as docker

resources = json.loads((Path(__file__).parent / "resources.json").read_text())


def snake(value, top=False):
    # The recorded inputs are the engine's camelCase; the typed classes take snake_case args.
    if isinstance(value, dict):
        return {(re.sub(r"(?<!^)(?=[A-Z])", "_", k).lower() if re.fullmatch(r"[a-z][A-Za-z0-9]*", k) else k):
                snake(v) for k, v in value.items()}
    if isinstance(value, list):
        return [snake(v) for v in value]
    return value


providers = {}
for resource in resources:
    if resource["type"] == "pulumi:providers:docker":
        providers[resource["urn"]] = docker.Provider(resource["name"], host=resource["inputs"].get("host"))
for resource in resources:
    if resource["type"].startswith(("pulumi:", "openhands-zai:")):
        continue
    cls = getattr(docker, resource["type"].rsplit(":", 1)[1])
    inputs = snake(resource["inputs"])
    for secret in ("envs", "uploads"):  # secret in the components' program too
        if secret in inputs:
            inputs[secret] = pulumi.Output.secret(inputs[secret])
    cls(resource["name"], **inputs, opts=pulumi.ResourceOptions(provider=providers.get(resource["provider"])))
'''


# With Python's bytecode caches, as users run it (PYTHONDONTWRITEBYTECODE, set on some machines,
# would recompile the bundle's modules on every run, and no module of the flat program's).
ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}


def wall(command: list[str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=ENV)
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({result.returncode}): {result.stderr.strip()[-500:]}")
    return time.perf_counter() - start


def plan_command(*args: str) -> list[str]:
    return [str(Path(sys.executable).parent / "openhands-zai"), "plan", "--format", "json", *args]


def prepare(size: int, workdir: Path) -> tuple[list[str], list[str], int]:
    """(components command, flat command, resources registered) for `size` instances."""
    stack_file = workdir / f"Pulumi.scale{size}.yaml"
    stack_file.write_text(yaml.safe_dump({"config": {
        "openhands-zai:target": "docker",
        "openhands-zai:tags": {"zai-key-plan": "coding-plan"},
        "openhands-zai:instances": [{"name": f"team-{i}", "port": 3000 + i} for i in range(size)],
    }}))
    components = plan_command("--stack", f"scale{size}", "--config-file", str(stack_file))
    recorded = json.loads(subprocess.run(components, cwd=ROOT, check=True, capture_output=True, text=True,
                                         env=ENV).stdout)
    flat_dir = workdir / f"flat{size}"
    flat_dir.mkdir()
    (flat_dir / "Pulumi.yaml").write_text("name: flat\nruntime: python\n")
    (flat_dir / "Pulumi.bench.yaml").write_text("config: {}\n")
    (flat_dir / "__main__.py").write_text(FLAT_PROGRAM)
    (flat_dir / "resources.json").write_text(json.dumps(recorded["resources"]))
    flat = plan_command("--project-dir", str(flat_dir), "--stack", "bench")
    custom = [r for r in recorded["resources"] if not r["type"].startswith(("pulumi:", "openhands-zai:"))]
    return components, flat, len(custom)


def fit(points: list[tuple[int, float]]) -> tuple[float, float, float]:
    """Least squares y = a + b x; (a, b, r squared)."""
    xs, ys = [x for x, _ in points], [y for _, y in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    b = sum((x - mx) * (y - my) for x, y in points) / sxx
    a = my - b * mx
    total = sum((y - my) ** 2 for y in ys)
    residual = sum((y - a - b * x) ** 2 for x, y in points)
    return a, b, 1 - residual / total if total else 1.0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 10, 50])
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="openhands-zai-scale-") as tmp:
        rows = []
        for size in options.sizes:
            components, flat, registered = prepare(size, Path(tmp))
            wall(components), wall(flat)  # warm the file cache; not counted
            ours, theirs = [], []
            for _ in range(options.runs):  # interleaved, so drift hits both alike
                ours.append(wall(components))
                theirs.append(wall(flat))
            rows.append((size, registered, statistics.median(ours), statistics.median(theirs)))
    print(f"{'instances':>9} {'resources':>9} {'components':>11} {'flat':>9} {'ratio':>6}")
    for size, registered, ours, theirs in rows:
        print(f"{size:>9} {registered:>9} {ours * 1000:>9.0f}ms {theirs * 1000:>7.0f}ms {ours / theirs:>6.2f}")
    a, b, r2 = fit([(size, ours * 1000) for size, _, ours, _ in rows])
    fa, fb, _ = fit([(size, theirs * 1000) for size, _, _, theirs in rows])
    print(f"components: {a:.0f} ms + {b:.1f} ms/instance (r^2 {r2:.3f}; goal <= {GOAL_MS_PER_INSTANCE:.0f} ms/instance)")
    print(f"flat:       {fa:.0f} ms + {fb:.1f} ms/instance")
    worst = max(ours / theirs for _, _, ours, theirs in rows)
    print(f"overhead components/flat: worst {worst:.2f} (goal <= {GOAL_RATIO})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
