"""Wall time of the dev-stack plan against the bare import of pulumi and its provider.

Both are fresh interpreter processes, so the ratio is what the plan adds on top of the import
cost every Pulumi program pays. Median of --runs each, interleaved, measured in the same run.
A second baseline adds pydantic (the settings' library), and a breakdown measured inside one
process says where the plan's extra time goes.

    python bench/plan_speed.py [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL = 1.2

# pulumi_docker loads its resource modules lazily; touching the classes the program uses makes
# the baseline the real import cost of the provider, not just its package stub.
IMPORTS = "import pulumi, pulumi_docker; pulumi_docker.Container, pulumi_docker.RemoteImage, pulumi_docker.Volume"
BASELINE = [sys.executable, "-c", IMPORTS]
WITH_PYDANTIC = [sys.executable, "-c", IMPORTS + "; from pydantic import BaseModel"]
PLAN = [str(Path(sys.executable).parent / "openhands-zai"), "plan", "--stack", "dev", "--format", "json"]
# Inside one process, as the plan runs: the imports, then pydantic, the settings models, the parse.
BREAKDOWN = f"""
import gc, json, time
gc.disable()
marks = [time.perf_counter()]
{IMPORTS}
marks.append(time.perf_counter())
from pydantic import BaseModel
marks.append(time.perf_counter())
from openhands_zai.stack import parse_stack_settings
marks.append(time.perf_counter())
parse_stack_settings({{"docker": {{"port": 3000}}, "tags": {{"zai-key-plan": "coding-plan"}}}})
marks.append(time.perf_counter())
print(json.dumps([b - a for a, b in zip(marks, marks[1:])]))
"""
# Both commands run as they do for users: with Python's bytecode caches. The providers' modules
# came compiled by pip; without this, PYTHONDONTWRITEBYTECODE (set on some machines) would make
# the plan recompile the bundle's own modules on every run and the baseline never.
ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}


def wall(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    return time.perf_counter() - start


def breakdown(runs: int) -> list[float]:
    samples = [json.loads(subprocess.run([sys.executable, "-c", BREAKDOWN], cwd=ROOT, check=True, capture_output=True,
                                         text=True, env=ENV).stdout) for _ in range(runs)]
    return [statistics.median(column) for column in zip(*samples, strict=True)]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    wall(BASELINE), wall(WITH_PYDANTIC), wall(PLAN)  # warm the file and bytecode caches once; not counted
    baseline, pydantic, plan = [], [], []
    for _ in range(runs):  # interleaved, so drift on the machine hits all alike
        baseline.append(wall(BASELINE))
        pydantic.append(wall(WITH_PYDANTIC))
        plan.append(wall(PLAN))
    b, y, p = statistics.median(baseline), statistics.median(pydantic), statistics.median(plan)
    imports, pydantic_import, models, parse = breakdown(runs)
    print(f"import pulumi + pulumi_docker:            median {b * 1000:.0f} ms over {runs} runs")
    print(f"  ... + pydantic:                         median {y * 1000:.0f} ms")
    print(f"openhands-zai plan --stack dev:           median {p * 1000:.0f} ms")
    print(f"ratio plan/import: {p / b:.2f} (goal <= {GOAL})")
    print(f"ratio plan/(import + pydantic): {p / y:.2f}")
    settings = pydantic_import + models + parse
    print(f"inside one process: providers {imports * 1000:.0f} ms, pydantic {pydantic_import * 1000:.0f} ms, "
          f"the settings models {models * 1000:.0f} ms, parsing a stack {parse * 1000:.1f} ms; the rest of the plan "
          f"(stack files, engine, program, policy, output) about {(p - b - settings) * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
