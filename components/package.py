"""The component package's one component, `OpenHandsZai`: the whole bundle for any Pulumi language.

`pulumi package add` runs `provider/` (Pulumi's component provider host over this module), which
infers the schema from `package_types.py` — the shapes generated from the settings models — and
generates an SDK per language. A TypeScript, Go, C# or YAML program then passes the same keys a
stack file holds and gets the stack's outputs; this module turns those inputs into
`StackSettings` (every problem at once, each naming its key) and calls `program.deploy` with the
component as the parent of everything it builds.
"""

from __future__ import annotations

from typing import Any

import pulumi

from .outputs import camel, output_fields
from .program import deploy
from .stack import StackSettings, checked_api_key, parse_stack_settings


def settings_from_args(args: dict[str, Any]) -> StackSettings:
    """The stack settings an SDK passed (the provider hands them over with Python names)."""
    return parse_stack_settings({key: value for key, value in args.items() if key not in ("zai_api_key", "stack")},
                                by_name=True)


def build(component: pulumi.ComponentResource, args: Any) -> None:
    """Build the bundle under `component` and set its outputs (unset ones stay None)."""
    settings = settings_from_args(dict(args))
    api_key: pulumi.Output[str] = pulumi.Output.secret(
        pulumi.Output.from_input(args["zai_api_key"]).apply(checked_api_key))  # type: ignore[arg-type]
    outputs = deploy(settings, api_key, stack=args.get("stack"), parent=component)
    exported = outputs.exports()
    values = {}
    for item in output_fields():
        values[item.name] = pulumi.Output.from_input(exported.get(camel(item.name)))
        setattr(component, item.name, values[item.name])
    component.register_outputs(values)
