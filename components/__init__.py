"""openhands-zai: Pulumi components that deploy OpenHands wired to Z.AI's GLM models.

Import what you need, e.g.::

    from components.container import OpenHandsContainer, OpenHandsContainerArgs
    from components.settings import parse_stack_settings
"""
