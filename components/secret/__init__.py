"""The Z.AI key in AWS Secrets Manager: where and who may read it (`settings.py`), the IAM
documents around it (`plan.py`, pure) and `ZaiApiKeySecret` (`component.py`)."""
