"""Stack files that cannot be what the user meant: each is refused, one line per problem naming the
key as written, instead of planning something else without a word (issue: 73 wrong stack files,
these were exit 0)."""

from pathlib import Path

import pytest

from openhands_zai.cli.stack_files import StackFileError, load_plan_config
from tests.conftest import ROOT
from tests.helpers import SENTINEL_KEY, run_cli

CASES = {
    "a duplicate key at the top of config": (
        "config:\n  openhands-zai:target: docker\n  openhands-zai:target: kubernetes\n",
        ["line 3: openhands-zai:target is given twice (lines 2 and 3)"]),
    "a duplicate nested key": (
        "config:\n  openhands-zai:docker:\n    port: 3000\n    listenAddress: 127.0.0.1\n    port: 3001\n",
        ["line 5: openhands-zai:docker.port is given twice (lines 3 and 5)"]),
    "a duplicate key inside a list item": (
        "config:\n  openhands-zai:instances:\n    - {name: a, port: 3000, port: 3001}\n",
        ["line 3: openhands-zai:instances[0].port is given twice"]),
    "config itself twice": (
        "config:\n  openhands-zai:target: docker\nconfig:\n  openhands-zai:debug: {debug: true}\n",
        ["line 3: config is given twice (lines 1 and 3)"]),
    "a misspelt namespace beside valid keys": (
        "config:\n  openhands-zai:target: docker\n  openhand-zai:defaultProfile: coding\n",
        ["openhand-zai:defaultProfile: no program reads the namespace 'openhand-zai'; did you mean "
         "openhands-zai:defaultProfile?"]),
    "a misspelt namespace alone": (
        "config:\n  openhandszai:defaultProfile: coding\n",
        ["did you mean openhands-zai:defaultProfile?"]),
    "a namespace this program does not read": (
        "config:\n  gcp:project: mine\n",
        ["gcp:project: this program reads no 'gcp' settings; namespaces read: openhands-zai, aws, docker, "
         "kubernetes, random, pulumi"]),
    "keys without the config: root": (
        "openhands-zai:target: docker\nopenhands-zai:defaultProfile: coding\n",
        ["openhands-zai:target is outside `config:`, where Pulumi never reads it: indent it under `config:`",
         "openhands-zai:defaultProfile is outside `config:`"]),
    "a top-level key a stack file does not have": (
        "config:\n  openhands-zai:target: docker\nconfg:\n  openhands-zai:debug: {}\n",
        ["'confg' is not a stack file key; allowed at the top: config, environment, secretsprovider"]),
    "an empty secure value": (
        "config:\n  openhands-zai:zaiApiKey:\n    secure: \"\"\n",
        ["openhands-zai:zaiApiKey: has an empty `secure:` value, so there is nothing to decrypt"]),
    "a null secure value, nested": (
        "config:\n  openhands-zai:docker:\n    extraEnv:\n      TOKEN: {secure: null}\n",
        ["openhands-zai:docker.extraEnv.TOKEN: has an empty `secure:` value"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_stack_file_is_refused_naming_every_problem(case, tmp_path):
    text, expected = CASES[case]
    path = tmp_path / "Pulumi.case.yaml"
    path.write_text(text)
    with pytest.raises(StackFileError) as caught:
        load_plan_config(ROOT, "case", path)
    problems = caught.value.problems
    assert len(problems) == len(expected), problems
    for problem, needle in zip(problems, expected, strict=True):
        assert needle in problem, problems


def test_the_shipped_stack_files_have_none_of_these(tmp_path):
    # The rules must not refuse what the bundle itself ships (a check that would pass on nothing).
    files = [ROOT / "Pulumi.dev.yaml", *sorted((ROOT / "examples" / "stacks").glob("Pulumi.*.yaml"))]
    assert len(files) >= 4
    for path in files:
        assert load_plan_config(ROOT, path.stem.split(".", 1)[1], path).sets_project_keys, path


def test_a_misspelt_namespace_in_another_project_is_still_refused(tmp_path):
    # A platform team's program keeps its own namespace; openhands-zai's misspelling is refused there too.
    (tmp_path / "Pulumi.yaml").write_text("name: platform\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  platform:owner: me\n  gcp:project: x\n"
                                              "  openhands-za:target: docker\n")
    with pytest.raises(StackFileError) as caught:
        load_plan_config(tmp_path, "dev")
    assert [p.split(": ", 1)[1] for p in caught.value.problems] == [
        "openhands-za:target: no program reads the namespace 'openhands-za'; did you mean openhands-zai:target?"]


def test_a_missing_stack_that_is_a_template_says_where_it_is():
    with pytest.raises(StackFileError) as caught:
        load_plan_config(ROOT, "prod")
    assert caught.value.problems == [f"{ROOT / 'Pulumi.prod.yaml'}: no such file; prod is a template here: copy "
                                     "examples/stacks/Pulumi.prod.yaml to the project folder, or pass --config-file "
                                     "examples/stacks/Pulumi.prod.yaml"]


@pytest.mark.cli
def test_the_command_exits_2_with_one_line_per_problem_and_no_traceback(tmp_path):
    path = tmp_path / "Pulumi.case.yaml"
    path.write_text("openhands-zai:target: docker\nconfig:\n  openhand-zai:defaultProfile: coding\n"
                    "  openhands-zai:zaiApiKey: {secure: ''}\n")
    result = run_cli("plan", "--stack", "case", "--config-file", str(path))
    assert result.returncode == 2 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 3 and all(line.startswith("error: ") for line in lines), lines
    assert "Traceback" not in result.stderr


@pytest.mark.cli
@pytest.mark.parametrize("key,problem", [
    (SENTINEL_KEY + "\n", "has whitespace around it (a trailing newline from `echo` or a file?)"),
    (" " + SENTINEL_KEY, "has whitespace around it"),
    (SENTINEL_KEY[:8] + "\t" + SENTINEL_KEY[8:], "holds a space or a control character"),
    (SENTINEL_KEY + "é", "holds non-ASCII characters"),
])
def test_a_key_in_the_environment_with_whitespace_or_control_characters_is_refused(key, problem):
    result = run_cli("plan", "--stack", "dev", env_extra={"ZAI_API_KEY": key})
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: env ZAI_API_KEY: {problem}")
    leaked = SENTINEL_KEY[8:] in result.stdout + result.stderr
    assert not leaked, "the key was printed"


def test_the_program_refuses_a_stored_key_with_a_newline_naming_the_key():
    """What `pulumi up` runs: the key is checked inside its secret, so every consumer gets a clean one."""
    from openhands_zai.cli.engine import run_program
    from openhands_zai.errors import ConfigError

    config = load_plan_config(ROOT, "dev")
    values = {**config.config, "openhands-zai:zaiApiKey": SENTINEL_KEY + "\n"}
    with pytest.raises(ConfigError) as caught:
        run_program(ROOT, config.project, "dev", values, sorted(config.secret_keys))
    (problem,) = caught.value.problems
    assert problem.key == "openhands-zai:zaiApiKey" and problem.message.startswith("has whitespace around it")
    assert SENTINEL_KEY not in str(caught.value)


def test_the_endpoint_paths_people_paste_are_refused_with_the_fix():
    from openhands_zai.llm.endpoints import resolve_endpoint

    assert resolve_endpoint("https://api.z.ai/api/coding/paas/v4/chat/completions") == (None, (
        "ends with '/chat/completions', which OpenHands appends itself: use the base without it "
        "(https://api.z.ai/api/coding/paas/v4)"))
    _, error = resolve_endpoint("https://api.z.ai/api/paas/v5")
    assert error == ("/api/paas/v5 is not a Z.AI API base; on api.z.ai the bases are "
                     "https://api.z.ai/api/coding/paas/v4, https://api.z.ai/api/paas/v4")
    _, error = resolve_endpoint("https://api.z.ai/api/anthropic")
    assert error and error.startswith("/api/anthropic is Z.AI's Anthropic-compatible API")
    _, error = resolve_endpoint("https://open.bigmodel.cn/api/coding/paas/v5")
    assert error and "https://open.bigmodel.cn/api/coding/paas/v4" in error
    # Every named endpoint, with or without a final slash, and an operator's own proxy pass.
    for base in ("https://api.z.ai/api/coding/paas/v4/", "https://open.bigmodel.cn/api/coding/paas/v4",
                 "https://llm-proxy.example.com/zai", "http://127.0.0.1:8099/api/coding/paas/v4"):
        assert resolve_endpoint(base)[1] is None, base


def test_stack_files_outside_the_project_keep_their_name(tmp_path: Path):
    path = tmp_path / "Pulumi.x.yaml"
    path.write_text("config:\n  openhands-zai:target: docker\n  openhands-zai:target: docker\n")
    with pytest.raises(StackFileError) as caught:
        load_plan_config(ROOT, "x", path)
    assert caught.value.problems[0].startswith(f"{path} line 3: ")
