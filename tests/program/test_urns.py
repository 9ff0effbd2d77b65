"""Every shipped stack and template keeps every resource's identity: what the program plans now
answers, by its URN or an alias, to each URN recorded before the program layer moved things
(tests/program/urns/, from v0.10.0's program), and plans nothing the baseline does not know.
A resource that lost its URN would be deleted and created again by `pulumi up` (a new secret
version, a new KMS key, a replaced database of conversations)."""

from __future__ import annotations

import json

import pytest

from tests.helpers import SENTINEL_KEY, run_cli
from tests.program.urns import SHIPPED, baseline, identities


@pytest.mark.parametrize("stack_id", SHIPPED)
def test_every_resource_keeps_its_urn(stack_id):
    result = run_cli("plan", *SHIPPED[stack_id], "--format", "json", env_extra={"ZAI_API_KEY": SENTINEL_KEY})
    assert result.returncode == 0, result.stderr
    now = identities(json.loads(result.stdout))
    before = baseline(stack_id)
    assert before, "the baseline lists the stack's resources"
    answered = {old: [new for new, names in now.items() if old in names] for old in before}
    lost = sorted(old for old, claims in answered.items() if not claims)
    claimed_twice = sorted(old for old, claims in answered.items() if len(claims) > 1)
    unknown = sorted(new for new, names in now.items() if not names & before)
    assert (lost, claimed_twice, unknown) == ([], [], []), "\n".join(
        [*(f"lost: {u}" for u in lost), *(f"claimed twice: {u}" for u in claimed_twice),
         *(f"new, answering to no earlier URN: {u}" for u in unknown)])
