"""The wheel installs one top-level package, ``mediacheck``, with the service inside it as ``mediacheck.service``."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    # Built from a copy (symlinks kept as links) so parallel test workers never share the checkout's build/.
    source = tmp_path_factory.mktemp("source") / "mediacheck"
    shutil.copytree(ROOT, source, symlinks=True, ignore=shutil.ignore_patterns(
        ".git", ".venv*", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis", "_large", "_work"))
    out = tmp_path_factory.mktemp("wheel")
    # --no-index: a local build needs no registry, and without it pip may ask one (its self version check).
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
         "--disable-pip-version-check", "-w", str(out), str(source)],
        check=True, capture_output=True,
    )
    (built,) = out.glob("mediacheck-*.whl")
    return zipfile.ZipFile(built)


def test_wheel_has_one_top_level_package(wheel: zipfile.ZipFile) -> None:
    """Nothing named ``service`` (or anything else) lands beside ``mediacheck`` in site-packages."""
    tops = {name.split("/", 1)[0] for name in wheel.namelist() if not name.split("/", 1)[0].endswith(".dist-info")}
    assert tops == {"mediacheck"}


def test_wheel_carries_the_service_and_typing_marker(wheel: zipfile.ZipFile) -> None:
    """The service's modules and routes ship as mediacheck.service, and py.typed ships for type checkers."""
    names = set(wheel.namelist())
    assert {"mediacheck/py.typed", "mediacheck/service/app.py", "mediacheck/service/routes/checks.py"} <= names
    # The web page works from the wheel alone: its templates and static files ship beside its code.
    assert {"mediacheck/service/web/templates/page.html", "mediacheck/service/web/templates/waveform.svg",
            "mediacheck/service/web/static/app.js", "mediacheck/service/web/static/app.css"} <= names


def test_no_module_imports_the_old_top_level_name() -> None:
    """Code imports the service as ``mediacheck.service``: a bare ``service.`` import only works in a checkout."""
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for folder in ("mediacheck", "service", "tests", "benchmarks")
        for path in (ROOT / folder).rglob("*.py")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if line.lstrip().startswith(("from service", "import service"))
    ]
    assert offenders == []


def test_wheel_carries_the_license(wheel: zipfile.ZipFile) -> None:
    """The MIT license text ships in the wheel's metadata, as its classifier and pyproject promise."""
    (license_name,) = [name for name in wheel.namelist() if name.endswith("/LICENSE") and ".dist-info/" in name]
    assert wheel.read(license_name).decode().startswith("MIT License")
    metadata = next(name for name in wheel.namelist() if name.endswith(".dist-info/METADATA"))
    assert "License-Expression: MIT" in wheel.read(metadata).decode()
