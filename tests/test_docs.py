"""The docs hold together: every relative link and anchor resolves, every settings field has a
description, and the generated configuration reference is the committed one."""

import re
from pathlib import Path

import pytest

from components.cli.reference import PATH, render_reference, sections, slug, undescribed
from tests.conftest import ROOT

SKIP = {".venv", ".venv-fidelity", ".venv-gateway", ".venv-canvas", ".venv-checkov", "build", "node_modules", ".git"}
DOCS = sorted(path for path in ROOT.rglob("*.md") if not SKIP & set(path.relative_to(ROOT).parts))
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
CODE = re.compile(r"```.*?```|`[^`\n]*`", re.S)


def anchors(path: Path) -> set[str]:
    """The anchors GitHub makes for a page's headings (a repeated heading gets -1, -2, ...)."""
    seen: dict[str, int] = {}
    found = set()
    for line in re.sub(r"```.*?```", "", path.read_text(), flags=re.S).split("\n"):
        heading = re.match(r"^#{1,6} (.*)$", line)
        if heading:
            base = slug(heading.group(1).replace("`", ""))
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
    return found


def broken_links(path: Path) -> list[str]:
    problems = []
    text = CODE.sub("", path.read_text())
    for target in LINK.findall(text):
        if re.match(r"^[a-z]+:", target):
            continue  # https:, mailto: — not checked offline
        file, _, anchor = target.partition("#")
        resolved = (path.parent / file).resolve() if file else path
        if not resolved.exists():
            problems.append(f"{path.relative_to(ROOT)}: {target}: no such file")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            problems.append(f"{path.relative_to(ROOT)}: {target}: no such anchor")
    return problems


def test_there_are_docs_to_check():
    names = {str(path.relative_to(ROOT)) for path in DOCS}
    assert {"README.md", PATH, "docs/security.md", "docs/contributing/house.md"} <= names
    assert sum(len(LINK.findall(path.read_text())) for path in DOCS) > 50


@pytest.mark.parametrize("path", DOCS, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_relative_link_and_anchor_resolves(path):
    assert broken_links(path) == []


def test_the_link_check_finds_a_missing_file_and_a_missing_anchor(tmp_path, monkeypatch):
    monkeypatch.setattr("tests.test_docs.ROOT", tmp_path)
    (tmp_path / "a.md").write_text("# A\n\n## Two words\n\n[ok](#two-words) [bad](#three) [gone](b.md) "
                                   "[`code`](a.md#a) `[not a link](nowhere.md)`\n")
    assert broken_links(tmp_path / "a.md") == ["a.md: #three: no such anchor", "a.md: b.md: no such file"]


def test_the_readme_is_a_front_door():
    assert len((ROOT / "README.md").read_text().split("\n")) <= 250


def test_every_settings_field_has_a_description():
    assert undescribed() == []


def test_the_reference_lists_every_key_of_every_model():
    page = (ROOT / PATH).read_text()
    keys = re.findall(r"^\| `openhands-zai:([^`]+)` \|", page, re.M)
    expected = sum(len(section.model.model_fields) for section in sections()) + 1  # + zaiApiKey
    assert len(keys) == len(set(keys)) == expected
    for wanted in ("docker.port", "kubernetes.auth.provider", "egress.firewall.subnets[n].subnetId",
                   "profiles.<name>.reasoningEffort", "secret.createReaderRole.irsa.serviceAccount", "zaiApiKey"):
        assert wanted in keys


def test_the_committed_reference_is_the_generated_one():
    assert (ROOT / PATH).read_text() == render_reference(), "run `openhands-zai schema --write`"


def test_every_file_the_docs_name_exists():
    # The changelog is history: it names files as they were.
    named = {match for path in DOCS if path.name != "CHANGELOG.md" for match in re.findall(
        r"`((?:components|tests|e2e|bench|fidelity|policy|examples|docs|\.github)/[\w/.-]+\.(?:py|md|ya?ml|txt|json))`",
        path.read_text())}
    assert len(named) > 20
    assert sorted(name for name in named if not (ROOT / name).exists()) == []
