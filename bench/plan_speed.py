"""Wall time of the dev-stack plan against the bare import of pulumi and its providers.

Both are fresh interpreter processes, so the ratio is what the plan adds on top of the
import cost every Pulumi program pays. Median of 5 each, measured in the same run.

    python bench/plan_speed.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL = 1.3

# pulumi_docker loads its resource modules lazily; touching the classes the program uses makes
# the baseline the real import cost of the provider, not just its package stub.
BASELINE = [sys.executable, "-c",
            "import pulumi, pulumi_docker; pulumi_docker.Container, pulumi_docker.RemoteImage, pulumi_docker.Volume"]
PLAN = [sys.executable, "-m", "ops", "plan", "--stack", "dev", "--format", "json"]


def wall(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    wall(BASELINE), wall(PLAN)  # warm the file cache once; not counted
    baseline, plan = [], []
    for _ in range(runs):  # interleaved, so drift on the machine hits both alike
        baseline.append(wall(BASELINE))
        plan.append(wall(PLAN))
    b, p = statistics.median(baseline), statistics.median(plan)
    print(f"import pulumi + pulumi_docker: median {b * 1000:.0f} ms over {runs} runs")
    print(f"ops plan --stack dev:          median {p * 1000:.0f} ms over {runs} runs")
    print(f"ratio plan/import: {p / b:.2f} (goal <= {GOAL})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
