"""The CrossGuard entry point: wiring only. The rules are `components.policies.POLICIES`.

Pulumi runs this file from the pack's directory with the pack's own virtualenv; the repository
root goes on the path so the rules are imported from the one module `ops plan` and the tests use.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import PolicyPack  # noqa: E402 - after the path is set

from components.policies import POLICIES  # noqa: E402

PolicyPack(name="openhands-zai", policies=POLICIES)
