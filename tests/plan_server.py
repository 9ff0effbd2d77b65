"""One process per test worker that runs `openhands-zai` commands in process, one after another.

The suite plans about a hundred stacks; a subprocess each pays a second of interpreter start and
provider imports. This server pays it once and runs each request through the same `main(argv)`
the console script calls, with the request's environment, directory and captured streams. It is a
process of its own, so the test worker's mock engine (tests/mock_engine.py) and its Pulumi
settings never meet a plan: between plans only the command itself runs here, as it does when a
tool plans several stacks in one process (the engine settles what a failed program left).

Protocol: one JSON request per line on stdin ({args, env, cwd}), one JSON answer per line on the
original stdout ({code, stdout, stderr}). A request with `call` ("module:function") runs that test
helper with `args` instead of the command, for tests that read what the command keeps to itself
(a recording's inputs with the secret markers off); its return value is the answer's stdout.
"""

import contextlib
import gc
import importlib
import io
import json
import os
import sys


def serve() -> None:
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    from openhands_zai.cli.main import main

    for line in sys.stdin:
        request = json.loads(line)
        out, err = io.StringIO(), io.StringIO()
        os.environ.clear()
        os.environ.update(request["env"])
        os.chdir(request["cwd"])
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                if "call" in request:
                    module, function = request["call"].split(":")
                    out.write(getattr(importlib.import_module(module), function)(*request["args"]))
                    code = 0
                else:
                    code = main(request["args"])
            except SystemExit as exit:  # argparse's usage errors
                code = exit.code if isinstance(exit.code, int) else 0 if exit.code is None else 1
        gc.enable()  # main() turns the collector off, as a short-lived command may
        answers.write(json.dumps({"code": code, "stdout": out.getvalue(), "stderr": err.getvalue()}) + "\n")
        answers.flush()


if __name__ == "__main__":
    serve()
