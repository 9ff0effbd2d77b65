"""Network components: VPC peering to where the LLM traffic goes, and egress allow-listing.

Pure planning (`settings`, `plan`, `kubernetes_policy`) is kept apart from the resource
declarations (`peering`, `egress`) and tested without the engine.
"""
