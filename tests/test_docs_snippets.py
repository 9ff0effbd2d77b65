"""The snippets of docs/components.md pass as written: the program in "Using the components in your
own program" and the test in "Testing your own program", run as a user would, in a folder of their own."""

import re
import subprocess
import sys

from tests.conftest import ROOT

PAGE = (ROOT / "docs" / "components.md").read_text()
BLOCKS = re.findall(r"```python\n(.*?)```", PAGE, re.S)


def _block(marker: str) -> str:
    (block,) = [b for b in BLOCKS if marker in b]
    return block


def test_the_testing_snippet_passes_against_the_program_snippet(tmp_path):
    (tmp_path / "my_program.py").write_text(_block('openhands = OpenHandsContainer("openhands"'))
    (tmp_path / "test_my_program.py").write_text(_block("set_mocks(ProviderLikeMocks()"))
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W",
                             "error::pytest.PytestReturnNotNoneWarning", "test_my_program.py"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "1 passed" in result.stdout


def test_the_install_line_names_the_packaged_version():
    import tomllib

    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    tags = set(re.findall(r"openhands-zai\.git@(v[0-9.]+)", PAGE))
    assert tags == {f"v{version}"}, tags
