"""The CrossGuard entry point: wiring only. The rules are `openhands_zai.guardrails.rules.POLICIES`,
installed into the pack's virtualenv from the repository (`policy/requirements.txt`), the same
module `openhands-zai plan` and the tests use."""

from pulumi_policy import PolicyPack

from openhands_zai.guardrails.rules import POLICIES

PolicyPack(name="openhands-zai", policies=POLICIES)
