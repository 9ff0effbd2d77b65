"""The network: peering and egress settings (`settings.py`), routes, rules, firewall targets and
the Kubernetes egress policies as plain data (`plan.py`, pure), and the AWS components
`VpcPeering` and `EgressAllowList` (`component.py`)."""
