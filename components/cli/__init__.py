"""The operator command line, `openhands-zai <command>`: plan, doctor, rotate-key, audit, verify,
schema. `engine.py` holds every use of Pulumi's private API (a test fails loudly when the pinned
SDK changes it); nothing `pulumi up` runs imports this package."""
