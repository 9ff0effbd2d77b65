"""Render every stack file (and every profile as the default) through the real program.

Runs in the project's main virtualenv: evaluates `__main__.py` under the mock engine for
each variant and writes what the container would get, un-redacted but with a throwaway key,
to one JSON file the Python 3.12 fidelity tests read with OpenHands' own models, beside the
catalogue and the pinned versions, which the suites check against what their environments hold.

    python fidelity/export_rendered.py OUT.json
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import yaml

from openhands_zai.canvas.plan import SEED_FILE, seed_plan
from openhands_zai.canvas.settings import CANVAS
from openhands_zai.cli.engine import run_program
from openhands_zai.cli.stack_files import load_plan_config
from openhands_zai.gateway.plan import route as gateway_route
from openhands_zai.gateway.settings import DEFAULT_LITELLM_VERSION
from openhands_zai.llm.catalogue import CATALOGUE
from openhands_zai.release import DEFAULT_VERSION, RELEASES
from openhands_zai.stack import settings_from_config
from openhands_zai.testing import plain

ROOT = Path(__file__).resolve().parent.parent

FIDELITY_KEY = "fidelity-throwaway-key"


def _stack_files() -> list[Path]:
    return (sorted(ROOT.glob("Pulumi.*.yaml")) + sorted((ROOT / "examples" / "stacks").glob("Pulumi.*.yaml"))
            + sorted((ROOT / "fidelity" / "stacks").glob("Pulumi.*.yaml")))


def render_variant(stack: str, stack_file: Path) -> dict:
    import os

    os.environ["ZAI_API_KEY"] = FIDELITY_KEY
    plan_config = load_plan_config(ROOT, stack, stack_file)
    recording = run_program(ROOT, plan_config.project, stack, plan_config.config, plan_config.secret_keys)
    outputs = plain(recording.outputs)
    # Behind the LLM gateway OpenHands holds the gateway's key; the gateway's config.yaml is
    # checked by the pinned proxy's own loader (fidelity/gateway/).
    gateway = {"gateway_config": _gateway_config(recording), "api_key": outputs["gatewayKey"]} \
        if "gatewayKey" in outputs else {"gateway_config": None}
    seeder = next((r for r in recording.resources
                   if r.type == "docker:index/container:Container" and r.name.endswith("-seed")), None)
    if seeder is not None:  # Agent Canvas: the seed document the planned seeder gets (fidelity/canvas/)
        uploads = {u["file"]: u["content"] for u in plain(seeder.inputs)["uploads"]}
        return {"stack": stack, "canvas_seed": json.loads(uploads[SEED_FILE]), "outputs": outputs, **gateway}
    workload = next((r for r in recording.resources if r.type == "kubernetes:apps/v1:StatefulSet"), None)
    if workload is not None:
        return {**_cluster_variant(stack, recording, plain(workload.inputs), gateway.get("api_key", FIDELITY_KEY)),
                **gateway}
    container = next(r for r in recording.resources
                     if r.type == "docker:index/container:Container" and r.name.endswith("-server"))
    inputs = plain(container.inputs)
    return {
        "stack": stack,
        "env": dict(entry.split("=", 1) for entry in inputs["envs"]),
        "settings": json.loads(inputs["uploads"][0]["content"]),
        "settings_path": inputs["uploads"][0]["file"],
        "image": next(r for r in recording.resources if r.type == "docker:index/remoteImage:RemoteImage"
                      and r.name.endswith("-image") and "litellm" not in r.inputs["name"]).inputs["name"],
        "api_key": FIDELITY_KEY,
        "outputs": outputs,
        **gateway,
    }


def _gateway_config(recording) -> str:
    """The proxy's config.yaml: uploaded into its container, or in its ConfigMap."""
    for resource in recording.resources:
        inputs = plain(resource.inputs)
        if resource.type == "docker:index/container:Container" and resource.name.endswith("gateway-proxy"):
            return inputs["uploads"][0]["content"]
        if resource.type == "kubernetes:core/v1:ConfigMap" and inputs["metadata"]["name"] == "openhands-gateway":
            return inputs["data"]["config.yaml"]
    raise AssertionError("the stack exports gatewayKey but plans no gateway config")


def _cluster_variant(stack: str, recording, workload: dict, api_key: str) -> dict:
    """The Kubernetes target: env from the pod (the key by secretKeyRef), settings from the Secret
    the ExternalSecret template (or the direct Secret) produces, path from the init container."""
    pod = workload["spec"]["template"]["spec"]
    # The values by secretKeyRef: the key OpenHands holds stands for them (only LLM_API_KEY is compared).
    env = {item["name"]: item.get("value", api_key) for item in pod["containers"][0]["env"]}
    external = next((r for r in recording.resources if r.type.endswith(":ExternalSecret")), None)
    data = plain(external.inputs)["spec"]["target"]["template"]["data"] if external is not None else {}
    if "settings.json" in data:
        settings = data["settings.json"].replace("{{ .apiKey }}", FIDELITY_KEY)
    else:  # the direct sync, or the gateway's client Secret
        secret = next(r for r in recording.resources if r.type == "kubernetes:core/v1:Secret"
                      and plain(r.inputs)["metadata"]["name"] == "openhands-llm")
        settings = plain(secret.inputs)["stringData"]["settings.json"]
    copy = pod["initContainers"][0]["command"][-1].split()
    return {"stack": stack, "env": env, "settings": json.loads(settings), "settings_path": copy[2],
            "image": pod["containers"][0]["image"], "api_key": FIDELITY_KEY, "runtime": env.get("RUNTIME"),
            "outputs": plain(recording.outputs)}


def canvas_seeds() -> list[dict]:
    """What the Agent Canvas seeder would send for each stack's LLM description, straight to Z.AI
    and behind a gateway (fidelity/canvas/ runs it against the pinned agent server)."""
    seeds = []
    for stack_file in _stack_files():
        stack = stack_file.name[len("Pulumi."):-len(".yaml")]
        plan_config = load_plan_config(ROOT, stack, stack_file)
        llm = settings_from_config(dict(plan_config.config), plan_config.secret_keys).llm
        seeds.append({"stack": stack, "direct": seed_plan(llm, FIDELITY_KEY).document(),
                      "gateway": seed_plan(llm, "sk-fidelity-gateway-key", gateway_route(
                          llm, "http://127.0.0.1:4000")).document()})
    return seeds


def main(out: str) -> int:
    variants = []
    with tempfile.TemporaryDirectory() as scratch:
        for stack_file in _stack_files():
            stack = stack_file.name[len("Pulumi."):-len(".yaml")]
            base = render_variant(stack, stack_file)
            variants.append(base)
            document = yaml.safe_load(stack_file.read_text()) or {}
            config = document.get("config") or {}
            # Every profile as the default in turn, so each one's env is checked too.
            for profile in base["settings"]["llm_profiles"]["profiles"] if "settings" in base else ():
                if profile == base["settings"]["llm_profiles"]["active"]:
                    continue
                fallbacks = [name for name in config.get("openhands-zai:fallbackProfiles", []) if name != profile]
                variant = {**config, "openhands-zai:defaultProfile": profile, "openhands-zai:fallbackProfiles": fallbacks}
                path = Path(scratch) / f"Pulumi.{stack}-{profile}.yaml"
                path.write_text(yaml.safe_dump({"config": variant}))
                variants.append(render_variant(f"{stack}-{profile}", path))
    catalogue = {name: {"context_window": model.context_window, "max_output_tokens": model.max_output_tokens,
                        "thinking": model.thinking, "reasoning_efforts": list(model.reasoning_efforts)}
                 for name, model in CATALOGUE.items()}
    pins = {"gateway_litellm": DEFAULT_LITELLM_VERSION, "release": DEFAULT_VERSION,
            "release_litellm": RELEASES[DEFAULT_VERSION].litellm_version,
            "canvas_agent_server": CANVAS.agent_server_version}
    Path(out).write_text(json.dumps({"variants": variants, "catalogue": catalogue, "pins": pins,
                                     "canvas_seeds": canvas_seeds()}, indent=2))
    print(f"rendered {len(variants)} variants from {len(_stack_files())} stack files into {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
