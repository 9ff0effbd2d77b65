"""The test set-up itself: a Pulumi mock test that forgets @pulumi.runtime.test must fail."""

import subprocess
import sys
import textwrap

from tests.conftest import ROOT

VACUOUS = textwrap.dedent('''
    import pulumi

    class Mocks(pulumi.runtime.Mocks):
        def new_resource(self, args):
            return "id", args.inputs

        def call(self, args):
            return {}, None

    pulumi.runtime.set_mocks(Mocks(), preview=False)

    def test_forgot_the_decorator():
        # The assertion inside apply never runs: without the decorator nothing awaits it.
        return pulumi.Output.from_input(1).apply(lambda v: v == 2)
''')


def test_an_unawaited_output_fails_the_run(tmp_path):
    test_file = tmp_path / "test_vacuous.py"
    test_file.write_text(VACUOUS)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "0", "-c", str(ROOT / "pyproject.toml"),
         "--rootdir", str(tmp_path), str(test_file)],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 1, result.stdout
    assert "PytestReturnNotNoneWarning" in result.stdout or "returned" in result.stdout
