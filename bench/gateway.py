"""What the LLM gateway costs: latency added per request, and throughput, proxy vs direct.

The same stand-in Z.AI (tests/fake_zai.py, on loopback) is called directly and through the
pinned LiteLLM proxy (litellm[proxy] at the pinned version, from the gateway venv, one worker, started with the
config.yaml the bundle renders), in one run:

- latency: `--requests` sequential chat completions each way, interleaved in rounds so drift on
  the machine hits both alike; median and p95, the ratio, and the milliseconds the proxy adds;
- throughput: `--concurrency` clients for `--seconds` each way. The bench's stack raises
  maxParallelRequests to the client count, so the proxy itself is measured, not the Coding Plan
  cap the shipped stacks set (2 in flight per model: that queues by design).

    python bench/gateway.py [--proxy .venv-gateway/bin/litellm] [--requests 200] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from openhands_zai import parse_stack_settings  # noqa: E402
from openhands_zai.gateway.plan import config_yaml, model_names  # noqa: E402
from tests.fake_zai import CODING_BASE, FakeZai  # noqa: E402

BODY = {"messages": [{"role": "user", "content": "Say OK."}]}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def timed(client: httpx.Client, url: str, key: str, model: str) -> float:
    start = time.perf_counter()
    response = client.post(url, json={**BODY, "model": model}, headers={"Authorization": f"Bearer {key}"})
    elapsed = time.perf_counter() - start
    response.raise_for_status()
    return elapsed


def throughput(url: str, key: str, model: str, clients: int, seconds: float) -> float:
    done = [0] * clients
    stop = time.perf_counter() + seconds

    def worker(index: int) -> None:
        with httpx.Client(timeout=30) as client:
            while time.perf_counter() < stop:
                timed(client, url, key, model)
                done[index] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / (time.perf_counter() - start)


def p95(values: list[float]) -> float:
    return sorted(values)[int(len(values) * 0.95) - 1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--proxy", default=str(ROOT / ".venv-gateway" / "bin" / "litellm"))
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    if not Path(args.proxy).exists():
        print(f"error: no LiteLLM proxy at {args.proxy} (make .venv-gateway/.installed)", file=sys.stderr)
        return 2
    zai_key, gateway_key = "zai-bench-" + secrets.token_hex(8), "sk-bench-" + secrets.token_hex(8)
    with FakeZai(coding_plan_keys=[zai_key]) as fake, tempfile.TemporaryDirectory() as scratch:
        settings = parse_stack_settings({"zaiEndpoint": fake.url(CODING_BASE),
                                         "gateway": {"maxParallelRequests": max(args.concurrency, 2)}})
        config = Path(scratch) / "config.yaml"
        config.write_text(config_yaml(settings.llm, settings.llm_gateway))
        port = free_port()
        env = {**os.environ, "ZAI_API_KEY": zai_key, "LITELLM_MASTER_KEY": gateway_key,
               "LITELLM_LOCAL_MODEL_COST_MAP": "True", "DISABLE_ADMIN_UI": "True", "NO_DOCS": "True"}
        proxy = subprocess.Popen([args.proxy, "--config", str(config), "--host", "127.0.0.1", "--port", str(port),
                                  "--num_workers", "1", "--telemetry", "False"],
                                 env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            gateway = f"http://127.0.0.1:{port}"
            started = time.perf_counter()
            while True:
                try:
                    if httpx.get(gateway + "/health/readiness", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if proxy.poll() is not None or time.perf_counter() - started > 120:
                    print("error: the proxy did not start", file=sys.stderr)
                    return 1
                time.sleep(0.2)
            ready = time.perf_counter() - started
            served = model_names(settings.llm)[settings.default_profile]
            direct_url, proxy_url = fake.url(CODING_BASE) + "/chat/completions", gateway + "/chat/completions"
            direct, via = [], []
            with httpx.Client(timeout=30) as client:
                for _ in range(10):  # warm both paths (connections, the proxy's first-call imports)
                    timed(client, direct_url, zai_key, "glm-4.6")
                    timed(client, proxy_url, gateway_key, served)
                for _ in range(args.requests):  # interleaved rounds
                    direct.append(timed(client, direct_url, zai_key, "glm-4.6"))
                    via.append(timed(client, proxy_url, gateway_key, served))
            direct_rps = throughput(direct_url, zai_key, "glm-4.6", args.concurrency, args.seconds)
            proxy_rps = throughput(proxy_url, gateway_key, served, args.concurrency, args.seconds)
        finally:
            proxy.terminate()
            proxy.wait(timeout=30)
    d, v = statistics.median(direct), statistics.median(via)
    print(f"machine: {os.cpu_count()} cores; LiteLLM proxy ready in {ready:.1f} s; {args.requests} sequential "
          f"requests each way, interleaved")
    print(f"direct to the stand-in:  median {d * 1000:.1f} ms, p95 {p95(direct) * 1000:.1f} ms")
    print(f"through the gateway:     median {v * 1000:.1f} ms, p95 {p95(via) * 1000:.1f} ms")
    print(f"latency ratio gateway/direct: {v / d:.2f}; added per request: {(v - d) * 1000:.1f} ms (median)")
    print(f"throughput, {args.concurrency} clients x {args.seconds:.0f} s: direct {direct_rps:.0f} req/s, "
          f"gateway {proxy_rps:.0f} req/s (ratio {proxy_rps / direct_rps:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
