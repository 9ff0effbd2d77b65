"""`components/package_types.py`: the component package's typed inputs and outputs, generated.

Pulumi's component provider host (`pulumi.provider.experimental`) infers the package schema from
Python type annotations and reads each property's description from the docstring written under
it in the source. The settings are pydantic models with validators, which it cannot read; so the
shapes it reads are written from the models themselves — one TypedDict per settings model (the
keys, types and descriptions of the stack file's keys), the component's outputs from
`StackOutputs` — and `openhands-zai schema` fails when the committed file is out of date, as it
does for `Pulumi.yaml` and the configuration reference.
"""

from __future__ import annotations

import json
import types
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from ..errors import is_model, unwrap
from ..outputs import output_fields
from ..stack import API_KEY_DECLARATION, StackSettings

PATH = "components/package_types.py"
COMPONENT = "OpenHandsZai"
_SCALARS = {str: "str", int: "int", float: "float", bool: "bool"}


DESCRIPTION = ("OpenHands wired to Z.AI GLM models, as a stack file describes it: the Docker or Kubernetes target, "
               "the LLM gateway, the key in AWS Secrets Manager, VPC peering and the egress allow-list. Inputs are the "
               "stack keys (camelCase); outputs are the stack outputs, unset when the stack does not configure that part.")


def args_name(model: type[BaseModel]) -> str:
    return f"{COMPONENT}Args" if model is StackSettings else f"{model.__name__.removesuffix('Settings')}Args"


class _Writer:
    def __init__(self) -> None:
        self.order: list[type[BaseModel]] = []
        self.uses: dict[type[BaseModel], set[type[BaseModel]]] = {}
        self._current: type[BaseModel] | None = None

    def type_of(self, annotation: Any) -> str:
        annotation, _, _ = unwrap(annotation)
        origin = get_origin(annotation)
        if is_model(annotation):
            if annotation not in self.order:
                self.order.append(annotation)
            if self._current is not None:
                self.uses.setdefault(self._current, set()).add(annotation)
            return args_name(annotation)
        if origin is Literal:
            return "str"
        if origin in (Union, types.UnionType):
            options = [arg for arg in get_args(annotation) if arg is not type(None)]
            models = [arg for arg in options if is_model(unwrap(arg)[0])]
            return self.type_of(models[0]) if models else self.type_of(options[0])
        if origin in (list, tuple, set, frozenset):
            return f"list[{self.type_of(get_args(annotation)[0])}]"
        if origin is dict:
            return f"dict[str, {self.type_of(get_args(annotation)[1])}]"
        return _SCALARS.get(annotation, "str")

    def typed_dict(self, model: type[BaseModel]) -> list[str]:
        self._current = model
        doc = " ".join((model.__doc__ or model.__name__).strip().split("\n\n", 1)[0].split())
        lines = [f"class {args_name(model)}(TypedDict, total=False):", f"    {_docstring(doc)}", ""]
        for name, info in model.model_fields.items():
            kind = self.type_of(info.annotation)
            lines.append(f"    {name}: {f'Required[{kind}]' if info.is_required() else kind}")
            lines.append(f"    {_docstring(info.description or '')}")
        if model is StackSettings:
            lines.append("    zai_api_key: Required[pulumi.Input[str]]")
            lines.append(f"    {_docstring(str(API_KEY_DECLARATION['description']) + ' Pass it as a secret.')}")
            lines.append("    stack: str")
            lines.append(f"    {_docstring('The environment the resources are named and tagged for (default: the stack).')}")
        return lines


def _docstring(text: str) -> str:
    return json.dumps(" ".join(text.split()), ensure_ascii=False)


def render_package_types() -> str:
    writer = _Writer()
    writer.order.append(StackSettings)
    blocks: dict[type[BaseModel], list[str]] = {}
    index = 0
    while index < len(writer.order):
        blocks[writer.order[index]] = writer.typed_dict(writer.order[index])
        index += 1
    # Each shape after every shape it names: the provider host cannot follow a forward reference
    # inside a list or a map.
    written: list[type[BaseModel]] = []

    def place(model: type[BaseModel]) -> None:
        if model not in written:
            for used in sorted(writer.uses.get(model, ()), key=writer.order.index):
                place(used)
            written.append(model)

    for model in writer.order:
        place(model)
    component = [
        f"class {COMPONENT}(pulumi.ComponentResource):",
        f"    {_docstring(DESCRIPTION)}",
        "",
    ]
    for item in output_fields():
        component += [f"    {item.name}: pulumi.Output[{item.metadata['shape']} | None]",
                      f"    {_docstring(item.metadata['doc'])}"]
    component += [
        "",
        f"    def __init__(self, name: str, args: {COMPONENT}Args, opts: pulumi.ResourceOptions | None = None) -> None:",
        f'        super().__init__("openhands-zai:index:{COMPONENT}", name, {{}}, opts)',
        "        from .package import build",
        "",
        "        build(self, args)",
    ]
    header = [
        "# Generated by `openhands-zai schema --write` from the settings models and StackOutputs",
        "# (components/cli/package_types.py): edit those, not this file. `make schema` checks it.",
        "# ruff: noqa: E501",
        '"""The component package\'s typed inputs and outputs (Pulumi infers its schema from these)."""',
        "",
        "# No `from __future__ import annotations`: the provider host reads these annotations at run time.",
        "from typing import Any, Required, TypedDict  # noqa: F401 (Any: what an output shape may use)",
        "",
        "import pulumi",
        "",
    ]
    body = ["\n".join(blocks[model]) for model in written] + ["\n".join(component)]
    return "\n".join(header) + "\n\n" + "\n\n\n".join(body) + "\n"
