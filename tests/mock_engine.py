"""One Pulumi mock engine for every component test module.

`set_mocks` is process-wide: two test modules that each called it at import would silently
replace each other's mocks, and the first module's tests would look at an empty recorder.
"""

import pulumi
from pulumi.runtime import settings as runtime_settings

from openhands_zai.testing import SECRET_SIG, SIG_KEY, ProviderLikeMocks


class RecordingMocks(ProviderLikeMocks):
    def __init__(self):
        super().__init__()
        self.created = {}  # name -> the registration, in the order the engine made them
        self.ids = {}  # name -> the id answered
        self.calls = []
        self.answers = []  # (call, what it answered)

    def new_resource(self, args):
        self.created[args.name] = args
        answer = super().new_resource(args)
        self.ids[args.name] = answer[0]
        return answer

    def call(self, args):
        self.calls.append(args)
        answer = super().call(args)
        self.answers.append((args, answer[0]))
        return answer


MOCKS = RecordingMocks()


def install() -> None:
    """This module's mocks as the process's engine. Again before every program: a whole-program
    plan run in the same process (`openhands-zai plan` in-process, run_program) installs its own."""
    runtime_settings.set_root_resource(None)  # type: ignore[arg-type]  # a fresh root stack, as engine.py does
    pulumi.runtime.set_mocks(MOCKS, project="openhands-zai", stack="test", preview=False)
    pulumi.runtime.register_stack_transformation(_record_options)  # on that root


# Resource options are invisible to mocks; a stack transformation sees them.
OPTIONS = {}


def _record_options(args):
    OPTIONS[args.name] = args.opts
    return None


install()


def unwrap(value):
    """(plain value, whether the engine got it marked secret)."""
    if isinstance(value, dict) and value.get(SIG_KEY) == SECRET_SIG:
        return value["value"], True
    return value, False


def deploy(program):
    """Run `program()` under the mock engine and return the resolved value of the Output it returns,
    once every registration it started has settled (checks on children then see all of them).

    `@pulumi.runtime.test` waits for the Output and for every outstanding RPC; the value is
    fetched out so a missing result fails loudly instead of skipping the checks.
    """
    resolved = {}
    install()
    # Each program is a stack of its own: what EC2 refuses twice (routes, rules) starts empty.
    MOCKS.routes.clear()
    MOCKS.egress_rules.clear()
    MOCKS.associations.clear()

    @pulumi.runtime.test
    def run():
        return pulumi.Output.from_input(program()).apply(lambda value: resolved.setdefault("value", value))

    run()
    return resolved["value"]
