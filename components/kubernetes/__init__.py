"""The Kubernetes target: the cluster settings (`settings.py`), every object as plain data
(`plan.py`, pure), `OpenHandsCluster` (`component.py`) and a new EKS cluster (`eks.py`, apart
because it needs pulumi-aws, which an existing cluster does not)."""
