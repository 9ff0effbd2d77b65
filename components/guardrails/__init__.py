"""Policy as code: the CrossGuard rules (`rules.py`) over pure checks (`checks.py`) that read
resource inputs (`inputs.py`); the labels and tags components set for them (`labels.py`)."""
