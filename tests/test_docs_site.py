"""The README is a short, true start, and the docs/ pages form one site whose examples, links and versions hold.

What each other page promises about the code is tested beside that code (see docs/development.md); here: the
README's size and quickstart, the ``pycon`` examples run as doctests, the nav of mkdocs.yml, the files the docs
name, and the version in the changelog and in every pinned example.
"""

from __future__ import annotations

import doctest
import re
import tomllib
from typing import Any

import pytest
import yaml

import mediacheck
from mediacheck import check_file
from mediacheck._rules import MIN_PLAYBACK_S
from tests.support.docs import README, ROOT, doc_path, page_names, read_doc

# Made by scripts, git-ignored: named in the docs as where output lands.
GENERATED = {"fixtures/_large/", "tests/_artifacts/web/"}
_PYCON = re.compile(r"^```pycon\n(?P<body>.*?)^```$", re.DOTALL | re.MULTILINE)
_REPO_PATH = re.compile(r"`((?:tests|benchmarks|fixtures|mediacheck|service|docs|\.ci)/[^`\s]*)`")
_LINK = re.compile(r"\]\((?P<target>[^)#\s]+)(?:#[^)]*)?\)")
_PINNED = re.compile(r"(?:\brev: |@)v(\d+\.\d+\.\d+)\b")


class TestReadme:
    """The README: what it is, the quickstart, one example per front door, and the map of the docs."""

    def test_readme_is_short(self) -> None:
        """The README stays at most 15 KB: reference belongs in docs/."""
        assert len(README.read_bytes()) <= 15_000

    def test_quickstart_is_the_two_commands(self) -> None:
        """The quickstart shows exactly two commands, installing extras that exist and checking a file that passes."""
        quickstart = read_doc("README").split("## Quickstart", 1)[1].split("\n## ", 1)[0]
        commands = re.findall(r"^```console\n(.*?)\n```$", quickstart, re.DOTALL | re.MULTILINE)
        assert len(commands) == 2
        check, suite = commands
        extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
        for command, extra in ((check, "all"), (suite, "dev")):
            assert command.startswith("python3 -m venv .venv && . .venv/bin/activate && pip install -e ")
            assert f"'.[{extra}]'" in command
            assert extra in extras
        target = check.rsplit(" && ", 1)[1].removeprefix("mediacheck check ")
        assert check_file(ROOT / target).ok
        assert suite.endswith(" && python -m pytest")

    @pytest.mark.parametrize(("fixture", "code"), [("single-frame.mp3", "format.no-audio"),
                                                    ("free-format-4s.mp3", "format.free-format"),
                                                    ("short-0.5s.mp3", "duration.too-short")])
    def test_the_minimum_audio_rule_is_stated_as_the_code_applies_it(self, fixture: str, code: str) -> None:
        """The README states the minimum (1 s of audio FFmpeg can open) with the code each case fails with, and a
        fixture of each case fails with that code."""
        rule = read_doc("README").split("## What passes", 1)[1].split("\n## ", 1)[0]
        assert f"at least {MIN_PLAYBACK_S:g} s" in rule
        assert f"`{code}`" in rule
        assert code in [f.code for f in check_file(ROOT / "fixtures" / fixture).errors]

    def test_links_reach_every_page(self) -> None:
        """Every link of the README leads to a file in the repository, and every docs page is linked from it."""
        targets = {match.group("target") for match in _LINK.finditer(read_doc("README"))
                   if "://" not in match.group("target")}
        assert [target for target in targets if not (ROOT / target).exists()] == []
        assert {f"docs/{name}.md" for name in page_names() if name != "index"} <= targets


@pytest.mark.parametrize("page", ["README", "library"])
def test_pycon_examples_run_as_shown(page: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every ``pycon`` block of the page, run as a doctest from the repository root, prints what it shows."""
    monkeypatch.chdir(ROOT)
    blocks = [match.group("body") for match in _PYCON.finditer(read_doc(page))]
    assert blocks
    parser, runner = doctest.DocTestParser(), doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for number, block in enumerate(blocks):
        test = parser.get_doctest(block, {}, f"{page}[{number}]", str(doc_path(page)), 0)
        assert test.examples
        result = runner.run(test, out=lambda text: pytest.fail(text))
        assert result.failed == 0


class TestSite:
    """docs/ builds into one site (mkdocs.yml) that names only what exists."""

    @staticmethod
    def _nav_pages(entries: list[Any]) -> list[str]:
        pages: list[str] = []
        for entry in entries:
            value = next(iter(entry.values())) if isinstance(entry, dict) else entry
            pages += TestSite._nav_pages(value) if isinstance(value, list) else [value]
        return pages

    def test_nav_is_every_page_once(self) -> None:
        """The nav lists each page of docs/ exactly once, and the build is strict."""
        config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
        assert config["strict"] is True
        assert config["theme"] == config["theme"] | {"name": "material", "font": False}
        pages = self._nav_pages(config["nav"])
        assert sorted(pages) == sorted(f"{name}.md" for name in page_names())

    @pytest.mark.parametrize("page", ["README", *page_names()])
    def test_named_files_exist(self, page: str) -> None:
        """Every repository path a page names in code (`tests/...`, `benchmarks/...`) exists."""
        named = set(_REPO_PATH.findall(read_doc(page))) - GENERATED
        assert [path for path in sorted(named) if not (ROOT / path).exists()] == []

    @pytest.mark.parametrize("page", ["README", *page_names()])
    def test_no_references_outside_the_repository(self, page: str) -> None:
        """No page points readers at files or issues they cannot see (design notes, specs, issue numbers)."""
        text = read_doc(page)
        assert re.findall(r"design\.md|spec/|\bissues? \d+|\bitems? \d+\.\d+", text, flags=re.IGNORECASE) == []


class TestVersion:
    """One version everywhere: the package, the changelog, the pinned examples."""

    def test_changelog_newest_release_is_the_package_version(self) -> None:
        """The first released section of CHANGELOG.md is `mediacheck.__version__`, with a link for it."""
        changelog = (ROOT / "CHANGELOG.md").read_text()
        releases = re.findall(r"^## \[(\d+\.\d+\.\d+)\] - \d{4}-\d{2}-\d{2}$", changelog, flags=re.MULTILINE)
        assert releases[0] == mediacheck.__version__
        assert re.search(rf"^\[{re.escape(releases[0])}\]: ", changelog, flags=re.MULTILINE)
        assert changelog.index("## [Unreleased]") < changelog.index(f"## [{releases[0]}]")

    @pytest.mark.parametrize("page", ["README", *page_names()])
    def test_pinned_versions_are_the_current_one(self, page: str) -> None:
        """Every `rev: vX.Y.Z` and `@vX.Y.Z` a page shows is `v` + the package version (the tag it resolves to)."""
        assert {version for version in _PINNED.findall(read_doc(page))} <= {mediacheck.__version__}

    def test_the_precommit_example_pins_this_release(self) -> None:
        """The pre-commit example's `rev:` is this release's tag, so it resolves once the tag is pushed."""
        assert f"rev: v{mediacheck.__version__}\n" in read_doc("ci")


def test_development_page_installs_chromium_as_ci_does() -> None:
    """docs/development.md installs Debian's chromium package, the one .ci/run installs and tests/web launch."""
    install = re.compile(r"^apt-get (?:update[^\n]*&& )?install [^\n#]*\bchromium\b", re.MULTILINE)
    page = read_doc("development")
    assert install.search(page.split("```console", 1)[1].split("```", 1)[0])
    ci = " ".join((ROOT / ".ci" / "run").read_text().split())
    assert re.search(r"apt-get install -y -qq --no-install-recommends chromium\b", ci)
    assert "Debian's Chromium" in page
