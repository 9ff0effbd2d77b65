"""Labels and tags the components set for the policy pack to read (no imports: both sides use them).

A policy sees one resource's inputs, not the stack's settings; where a setting allows an
exception, the component records it on the resource, and the rule accepts exactly that.
"""

# Why a security-group flow (or prefix-list entry) may reach the whole internet.
EGRESS_EXCEPTION_TAG = "openhands-zai:egress-exception"
EGRESS_EXCEPTION_INSECURE = "allowInsecureEgress"  # `egress.allowInsecureEgress: true`: any flow
EGRESS_EXCEPTION_FIREWALL = "network-firewall"  # HTTPS only, filtered by name by the Network Firewall
# EKS nodes of a stack without `openhands-zai:egress`: nothing restricts their egress, by choice.
EGRESS_EXCEPTION_NO_ALLOW_LIST = "no-allow-list"

# The Docker target's server starts agent sandboxes through the host's Docker socket.
SANDBOX_RUNTIME_LABEL = "openhands-zai.sandbox-runtime"
SANDBOX_RUNTIME_DOCKER_SOCKET = "docker-socket"

# The kind of Z.AI key a stack holds (`coding-plan` for the GLM Coding Plan).
KEY_PLAN_TAG = "zai-key-plan"
