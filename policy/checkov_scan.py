"""Run checkov's Kubernetes checks over rendered manifests; fail on any failed check that
`policy/checkov-skips.yaml` does not justify, and on a justification that no longer applies.

    python policy/checkov_scan.py CHECKOV_BINARY MANIFESTS_DIR
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

SKIPS = Path(__file__).with_name("checkov-skips.yaml")


def main(checkov: str, directory: str) -> int:
    skips = yaml.safe_load(SKIPS.read_text()) or {}
    missing_reason = [check for check, reason in skips.items() if not str(reason or "").strip()]
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE"}
    run = subprocess.run([checkov, "-d", directory, "--framework", "kubernetes", "--skip-download", "--quiet",
                          "--output", "json"], capture_output=True, text=True, env=env)
    if not run.stdout.strip():
        print(f"checkov produced no report (exit {run.returncode}): {run.stderr.strip()[-500:]}")
        return 1
    reports = json.loads(run.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    failed = [(c["check_id"], c.get("resource", "?"), c.get("file_path", "?"))
              for report in reports for c in report.get("results", {}).get("failed_checks", [])]
    passed = sum(report.get("summary", {}).get("passed", 0) for report in reports)
    unjustified = [f for f in failed if f[0] not in skips]
    stale = sorted(set(skips) - {f[0] for f in failed})
    for check, resource, path in unjustified:
        print(f"FAILED {check} {resource} ({path}): not justified in {SKIPS.name}")
    for check in stale:
        print(f"STALE  {check}: listed in {SKIPS.name} but no longer fails; remove it")
    for check in missing_reason:
        print(f"EMPTY  {check}: give the reason in {SKIPS.name}")
    print(f"checkov: {passed} passed, {len(failed)} failed ({len(failed) - len(unjustified)} justified in {SKIPS.name})")
    return 1 if unjustified or stale or missing_reason else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
