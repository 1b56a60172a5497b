"""Read the documentation (README.md and the pages of docs/) and re-run the console examples it shows.

Tests that hold a page to the code ask for it by name (``read_doc("cli")`` is ``docs/cli.md``, ``"README"`` the
README), so moving text between pages means changing one name in one test, and a missing page fails loudly.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
README = ROOT / "README.md"

_CONSOLE = re.compile(r"^```console\n(?P<body>.*?)^```$", re.DOTALL | re.MULTILINE)


def doc_path(name: str) -> Path:
    """The file of the page called ``name``: ``"README"`` or a page of docs/ without its ``.md``."""
    path = README if name == "README" else DOCS / f"{name}.md"
    if not path.is_file():
        raise AssertionError(f"there is no documentation page {path.relative_to(ROOT)}")
    return path


def read_doc(name: str) -> str:
    """The text of the page called ``name`` (see :func:`doc_path`)."""
    return doc_path(name).read_text(encoding="utf-8")


def page_names() -> list[str]:
    """Every page of docs/, by name, sorted."""
    return sorted(path.stem for path in DOCS.glob("*.md"))


def console_examples(text: str) -> list[tuple[str, str]]:
    """(command, expected output) for every ``$ command`` line of every ``console`` block of ``text``."""
    examples: list[tuple[str, list[str]]] = []
    for block in _CONSOLE.finditer(text):
        start = len(examples)
        for line in block.group("body").splitlines():
            if line.startswith("$ "):
                examples.append((line[2:], []))
            elif len(examples) > start:
                examples[-1][1].append(line)
    return [(command, "\n".join(lines)) for command, lines in examples]


def is_service_example(command: str) -> bool:
    """Whether a documented command talks to a running service (run by the service tests against a live one)."""
    return command.startswith("curl ")


def cli_examples(text: str) -> list[tuple[str, str]]:
    """The console examples of ``text`` that run on their own (everything but the service's ``curl`` calls)."""
    return [(command, shown) for command, shown in console_examples(text) if not is_service_example(command)]


def run_example(command: str) -> str:
    """Run a documented command the way a reader would, in the repository root, and return what it printed."""
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "MEDIACHECK_ALLOW_NETWORKS")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["COLUMNS"] = "80"  # argparse wraps the usage to the terminal width
    env["PYTHONIOENCODING"] = "utf-8"  # the docs are UTF-8 whatever locale CI runs under (LC_ALL=C is ASCII)
    done = subprocess.run(["sh", "-c", command], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120, check=False)
    return done.stdout.decode("utf-8", "replace").rstrip("\n")


def comparable(output: str) -> str:
    """``output`` with the parts that change between runs (JUnit run times and timestamps) blanked out."""
    return re.sub(r'\b(time|timestamp)="[^"]*"', r'\1="..."', output)


def update_examples(name: str) -> bool:
    """Re-run the console examples of page ``name`` (not the service's) and write their real output in.

    Returns whether the page changed.

    Others may edit the page meanwhile: the examples run first, then the file is read again and written only if
    it is unchanged, so the read-to-write window is milliseconds, not the seconds the runs take.
    """
    path = doc_path(name)
    before = path.read_text(encoding="utf-8")

    def refresh(block: re.Match[str]) -> str:
        lines: list[str] = []
        for command, shown in console_examples(block.group(0)):
            output = shown if is_service_example(command) else run_example(command)
            # Keep what is shown when only run times differ, so a refresh touches only real changes.
            printed = shown if comparable(shown) == comparable(output) else output
            lines += [f"$ {command}", printed] if printed else [f"$ {command}"]
        return "```console\n" + "\n".join(lines) + "\n```" if lines else block.group(0)

    after = _CONSOLE.sub(refresh, before)
    if path.read_text(encoding="utf-8") != before:
        sys.exit(f"{path.name} changed while the examples ran; run the update again")
    path.write_text(after, encoding="utf-8")
    return after != before
