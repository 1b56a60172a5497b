"""The Dockerfile builds an image that starts the service as a non-root user and passes its own HEALTHCHECK.

With a docker engine (``docker info`` succeeds) the image is really built and run. Without one (this machine,
CI) the Dockerfile's own instructions are replayed on this machine (``tests/deploy/replay.py``): its RUN
commands verbatim, its CMD as its USER in a network namespace of its own, its HEALTHCHECK against that. A
Dockerfile whose commands break fails here either way.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx
import pytest

from tests.deploy.replay import (
    Replay,
    Stage,
    as_user,
    build_context,
    build_wheelhouse,
    in_network_of,
    in_new_network,
    parse_dockerfile,
    python_for_image,
)

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
FIXTURE = ROOT / "fixtures" / "example-hold-music.mp3"
SERVE = ["mediacheck", "serve", "--host", "0.0.0.0", "--port", "8000"]


def _image_python_version() -> tuple[int, int]:
    final_from = [i for i in parse_dockerfile(DOCKERFILE.read_text()) if i.keyword == "FROM"][-1]
    match = re.fullmatch(r"python:(\d+)\.(\d+)-slim", final_from.text.split()[0])
    assert match, final_from.text
    return int(match[1]), int(match[2])


class TestDockerfileShape:
    """What the image promises, read from the Dockerfile itself."""

    def test_slim_python_non_root_healthcheck_and_the_serve_command(self) -> None:
        """python:3.X-slim, a numeric non-root USER, a HEALTHCHECK on /healthz, CMD = `mediacheck serve` on :8000."""
        instructions = parse_dockerfile(DOCKERFILE.read_text())
        keywords = [i.keyword for i in instructions]
        assert keywords.count("FROM") == 2
        (user,) = [i.text for i in instructions if i.keyword == "USER"]
        uid, _, gid = user.partition(":")
        assert uid.isdigit()
        assert int(uid) != 0
        assert gid.isdigit()
        assert int(gid) != 0
        (health,) = [i for i in instructions if i.keyword == "HEALTHCHECK"]
        assert "http://127.0.0.1:8000/healthz" in health.text
        (cmd,) = [i for i in instructions if i.keyword == "CMD"]
        assert cmd.exec_form() == SERVE
        assert [i.text for i in instructions if i.keyword == "EXPOSE"] == ["8000"]
        assert keywords.index("USER") > max(n for n, k in enumerate(keywords) if k == "RUN")  # installs ran as root

    def test_build_context_holds_the_source_and_nothing_else(self, tmp_path: Path) -> None:
        """.dockerignore sends the package, the service and the project files; no venv, tests, .git or caches."""
        sent = build_context(ROOT, tmp_path)
        assert {"pyproject.toml", "README.md", "mediacheck/__init__.py", "mediacheck/service",
                "service/app.py", "service/routes/health.py"} <= set(sent)
        assert (tmp_path / "mediacheck" / "service").is_symlink()
        for excluded in (".git", ".venv", "tests", "benchmarks", "fixtures", "__pycache__", ".pytest_cache"):
            assert not [path for path in sent if f"/{excluded}/" in f"/{path}" or path == excluded], excluded


@dataclass
class ReplayedImage:
    """The replayed image: its runtime stage and the replay that built it."""

    replay: Replay
    stage: Stage


def _tools_for_replay() -> str | None:
    if os.geteuid() != 0:
        return "needs root (mount and network namespaces, setpriv)"
    missing = [tool for tool in ("unshare", "nsenter", "setpriv", "ip") if shutil.which(tool) is None]
    return f"needs {', '.join(missing)}" if missing else None


@pytest.fixture(scope="module")
def replayed_image() -> Iterator[ReplayedImage]:
    """The Dockerfile replayed into a temporary folder that the image's non-root user can read."""
    reason = _tools_for_replay()
    if reason:
        pytest.skip(f"replaying the Dockerfile {reason}")
    base_python = python_for_image(_image_python_version())
    if base_python is None:
        pytest.skip(f"no Python {_image_python_version()} on this machine that a non-root user may run")
    # Not pytest's tmp_path: it sits under a 0700 folder the image's user could not enter.
    work = Path(tempfile.mkdtemp(prefix="mediacheck-image-"))
    work.chmod(0o755)
    try:
        wheelhouse = work / "wheelhouse"
        build_wheelhouse(ROOT, wheelhouse)
        replay = Replay(context=ROOT, work=work, wheelhouse=wheelhouse, base_python=base_python)
        stage = replay.run(parse_dockerfile(DOCKERFILE.read_text()))
        yield ReplayedImage(replay, stage)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _healthcheck(image: ReplayedImage, pid: int) -> subprocess.CompletedProcess[str]:
    assert image.stage.healthcheck is not None
    uid, gid = image.replay.user_ids(image.stage)
    timeout = float(image.stage.healthcheck.flags.get("timeout", "30s").rstrip("s"))
    return subprocess.run(in_network_of(pid, as_user(uid, gid, image.stage.healthcheck.exec_form())),
                          env=image.stage.process_env(), cwd=image.stage.host_path("."), capture_output=True,
                          text=True, timeout=timeout + 5, check=False)


_CLIENT = """
import json, sys, httpx2 as httpx
base = "http://127.0.0.1:8000"
with open(sys.argv[1], "rb") as audio:
    upload = httpx.post(base + "/v1/checks/upload", files={"file": ("hold.mp3", audio, "audio/mpeg")}, timeout=30)
ready = httpx.get(base + "/readyz", timeout=10)
print(json.dumps({"upload": upload.json(), "ready": [ready.status_code, ready.json()]}))
"""


@pytest.mark.netns
def test_replayed_image_serves_as_its_non_root_user_and_passes_its_healthcheck(
        replayed_image: ReplayedImage) -> None:
    """The image's CMD, run as its USER in its own network, answers /healthz, /readyz and a real upload."""
    image = replayed_image
    uid, gid = image.replay.user_ids(image.stage)
    assert uid != 0
    assert f":{uid}:{gid}:" in (image.replay.etc / "passwd").read_text()  # the Dockerfile's useradd made the user
    with subprocess.Popen(in_new_network(["sleep", "60"])) as idle:
        try:
            # Nothing listens in a fresh network: the probe must say unhealthy (so it can fail at all).
            time.sleep(0.2)
            assert _healthcheck(image, idle.pid).returncode != 0
        finally:
            idle.kill()
    server = subprocess.Popen(in_new_network(as_user(uid, gid, image.stage.cmd)), env=image.stage.process_env(),
                              cwd=image.stage.host_path("."), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while (probe := _healthcheck(image, server.pid)).returncode != 0:
            assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
            assert time.monotonic() < deadline, f"never healthy: {probe.stderr[-2000:]}"
            time.sleep(0.2)
        status = Path(f"/proc/{server.pid}/status").read_text()
        assert re.search(rf"^Uid:\s+{uid}\s+{uid}\s+{uid}\s+{uid}$", status, re.MULTILINE), status
        answer = subprocess.run(in_network_of(server.pid, [sys.executable, "-c", _CLIENT, str(FIXTURE)]),
                                capture_output=True, text=True, timeout=60, check=True)
    finally:
        server.send_signal(signal.SIGINT)
        out, err = server.communicate(timeout=30)
    result = json.loads(answer.stdout)
    assert result["upload"]["ok"] is True
    assert result["upload"]["media"]["duration_s"] == pytest.approx(30.0, abs=0.05)
    status_code, readiness = result["ready"]
    assert (status_code, readiness["status"]) == (200, "ready")
    assert readiness["checks"]["ffmpeg"]["ok"] is True
    # ...and that ffmpeg is the audio extra's (python:slim has none of its own, while this machine might).
    subprocess.run(["python", "-c", "import imageio_ffmpeg; imageio_ffmpeg.get_ffmpeg_exe()"],
                   env=image.stage.process_env(), check=True, timeout=60)
    logged = [json.loads(line) for line in out.decode().splitlines()]
    assert [line["path"] for line in logged if line["path"] != "/healthz"] == ["/v1/checks/upload", "/readyz"]
    assert b"Uvicorn running on http://0.0.0.0:8000" in err


def _docker_works() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True, check=False, timeout=30).returncode == 0


@pytest.mark.skipif(not _docker_works(), reason="no docker engine (`docker info` fails); the replay test covers it")
def test_docker_image_builds_becomes_healthy_and_checks_an_upload() -> None:
    """`docker build`, `docker run`, wait for the HEALTHCHECK to say healthy, then upload a fixture."""
    tag = f"mediacheck-test:{os.getpid()}"
    subprocess.run(["docker", "build", "-t", tag, str(ROOT)], check=True, timeout=1800)
    container = subprocess.run(["docker", "run", "-d", "--rm", "-p", "127.0.0.1::8000",
                                "--health-interval=1s", tag], check=True, capture_output=True, text=True).stdout.strip()
    try:
        deadline = time.monotonic() + 120
        while (health := subprocess.run(["docker", "inspect", "-f", "{{.State.Health.Status}}", container],
                                        capture_output=True, text=True, check=True).stdout.strip()) != "healthy":
            assert health in ("starting", ""), health
            assert time.monotonic() < deadline, "the container never became healthy"
            time.sleep(1)
        port = subprocess.run(["docker", "port", container, "8000/tcp"], capture_output=True, text=True,
                              check=True).stdout.split(":")[-1].strip()
        user = subprocess.run(["docker", "exec", container, "id", "-u"], capture_output=True, text=True,
                              check=True).stdout.strip()
        assert user != "0"
        with FIXTURE.open("rb") as audio:
            answer = httpx.post(f"http://127.0.0.1:{port}/v1/checks/upload",
                                files={"file": ("hold.mp3", audio, "audio/mpeg")}, timeout=30).json()
        assert answer["ok"] is True
    finally:
        subprocess.run(["docker", "rm", "-f", container], capture_output=True, check=False)
        subprocess.run(["docker", "rmi", "-f", tag], capture_output=True, check=False)
