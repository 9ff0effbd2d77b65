"""Run checkov's Kubernetes checks over rendered manifests.

The manifests carry their own justified skips as checkov's annotations
(`checkov.io/skip<n>: <check>=<reason>`, from `components/kubernetes/plan.py`), so any checkov
run honours them. This scan fails on any failed check, on a skip without a reason, on a skip that
no longer applies (checked by a second run with the skip annotations removed: each skipped
check must fail there), and on an empty scan.

    python policy/checkov_scan.py CHECKOV_BINARY MANIFESTS_DIR
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

SKIP_PREFIX = "checkov.io/skip"


def scan(checkov: str, directory: Path) -> dict[str, list[tuple[str, str, str]]]:
    """{passed|failed|skipped: [(check id, resource in its file, suppress comment)]}."""
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE"}
    run = subprocess.run([checkov, "-d", str(directory), "--framework", "kubernetes", "--skip-download",
                          "--output", "json"], capture_output=True, text=True, env=env)
    if not run.stdout.strip():
        raise SystemExit(f"checkov produced no report (exit {run.returncode}): {run.stderr.strip()[-500:]}")
    reports = json.loads(run.stdout)
    results: dict[str, list[tuple[str, str, str]]] = {"passed": [], "failed": [], "skipped": []}
    for report in reports if isinstance(reports, list) else [reports]:
        for outcome in results:
            for check in report.get("results", {}).get(f"{outcome}_checks", []):
                reason = str((check.get("check_result") or {}).get("suppress_comment") or "").strip()
                results[outcome].append((check["check_id"], _where(check), reason))
    return results


def _where(check: dict) -> str:
    # The stack folder and file name: the same in the scanned folder and in its copy without skips.
    return f"{check.get('resource', '?')} in {'/'.join(Path(check.get('file_path', '?')).parts[-2:])}"


def without_skips(source: Path, target: Path) -> None:
    for path in sorted(source.rglob("*.yaml")):
        documents = [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
        for doc in documents:
            annotations = (doc.get("metadata") or {}).get("annotations") or {}
            for key in [k for k in annotations if k.startswith(SKIP_PREFIX)]:
                del annotations[key]
        out = target / path.relative_to(source)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(yaml.safe_dump_all(documents, sort_keys=False))


def main(checkov: str, directory: str) -> int:
    results = scan(checkov, Path(directory))
    problems = [f"FAILED {check} {resource}" for check, resource, _ in results["failed"]]
    problems += [f"EMPTY  {check} {resource}: a skip annotation without its reason"
                 for check, resource, reason in results["skipped"] if not reason]
    if not any(results.values()):
        problems.append(f"EMPTY  no check ran: {directory} holds no Kubernetes objects checkov reads")
    with tempfile.TemporaryDirectory() as scratch:
        without_skips(Path(directory), Path(scratch))
        unskipped = {(check, resource) for check, resource, _ in scan(checkov, Path(scratch))["failed"]}
    problems += [f"STALE  {check} {resource}: skipped, but passes without the skip; remove it from CHECKOV_SKIPS"
                 for check, resource, _ in results["skipped"] if (check, resource) not in unskipped]
    for line in problems:
        print(line)
    print(f"checkov: {len(results['passed'])} passed, {len(results['failed'])} failed, {len(results['skipped'])} "
          "skipped with their reasons in the manifests")
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) != 3 or not shutil.which(sys.argv[1]) and not Path(sys.argv[1]).exists():
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
