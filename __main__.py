"""openhands-zai: wiring only. Read the stack's settings, deploy them (openhands_zai.program), export."""

import pulumi

from openhands_zai import deploy, read_stack_config

config = read_stack_config()
settings = config.parse()  # raises ConfigError: every problem, each naming its openhands-zai:* key
for name, value in deploy(settings, api_key=config.api_key).exports().items():
    pulumi.export(name, value)
