"""The operator command line: `python -m ops <command>`."""
