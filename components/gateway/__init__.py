"""The LLM gateway: a LiteLLM proxy between OpenHands and Z.AI, so the Z.AI key never enters
OpenHands or its sandboxes, and fallbacks, limits and retries really happen (settings, plan,
component for the Docker target, cluster for the Kubernetes one)."""
