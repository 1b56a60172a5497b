"""Replay a Dockerfile without docker: its own RUN, COPY, USER, CMD and HEALTHCHECK, on this machine.

Docker builds cannot run here (no engine), yet a Dockerfile whose commands break must fail a test. So each
instruction is carried out the way the image would, with stand-ins only for what docker itself provides:

- ``FROM python:3.X-slim``: a fresh venv of a Python 3.X on this machine (the minor version must match).
- the registry: pip runs offline against a wheelhouse repacked from this environment's installed packages
  (``PIP_NO_INDEX``/``PIP_FIND_LINKS``, as a mirror would be configured), so dependency resolution is pip's
  own and a missing extra still leaves its packages uninstalled.
- the image's filesystem: a folder per stage; WORKDIR and COPY paths live under it, so RUN commands must use
  paths relative to WORKDIR (checked before anything runs; only ``/usr/sbin/nologin`` is allowed).
- the image's ``/etc``: RUN commands see a private copy of this machine's ``/etc`` (a mount namespace), so
  ``useradd`` creates the image's user there and nowhere else.
- the container: CMD runs in its own network namespace as the USER's uid/gid (``setpriv``), and HEALTHCHECK's
  command runs in that namespace as that user.

Only the instructions listed in :data:`KNOWN` are understood; anything else fails loudly rather than being
skipped, so a Dockerfile change that this replay cannot honour breaks the test instead of passing unseen.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Collection
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path, PurePosixPath

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

KNOWN = frozenset({"FROM", "WORKDIR", "COPY", "RUN", "ENV", "USER", "EXPOSE", "HEALTHCHECK", "CMD"})
ALLOWED_ABSOLUTE_PATHS = frozenset({"/usr/sbin/nologin"})
_ABSOLUTE_PATH = re.compile(r"(?<![\w.$}/-])/[\w./-]+")


@dataclass(frozen=True)
class Instruction:
    """One Dockerfile instruction: its keyword, its ``--flag=value`` options and the rest of its text."""

    keyword: str
    flags: dict[str, str]
    text: str

    def exec_form(self) -> list[str]:
        """The JSON-array form of CMD (and HEALTHCHECK's CMD), which runs without a shell."""
        value = json.loads(self.text)
        if not (isinstance(value, list) and all(isinstance(part, str) for part in value)):
            raise ValueError(f"{self.keyword} must be a JSON array of strings: {self.text}")
        return value


def parse_dockerfile(text: str) -> list[Instruction]:
    """The instructions of a Dockerfile: comments dropped, backslash continuations joined, flags split off."""
    instructions: list[Instruction] = []
    logical = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not logical and (not stripped or stripped.startswith("#")):
            continue
        if logical and stripped.startswith("#"):
            continue  # comment lines inside a continuation are dropped, as docker does
        if stripped.endswith("\\"):
            logical += stripped[:-1] + " "
            continue
        logical += stripped
        keyword, _, rest = logical.partition(" ")
        flags: dict[str, str] = {}
        rest = rest.strip()
        while rest.startswith("--"):
            flag, _, rest = rest.partition(" ")
            name, _, value = flag[2:].partition("=")
            flags[name] = value
            rest = rest.strip()
        instructions.append(Instruction(keyword.upper(), flags, rest))
        logical = ""
    return instructions


def _dockerignore_regex(pattern: str) -> re.Pattern[str]:
    parts = []
    for piece in re.split(r"(\*\*/?|\*|\?)", pattern.strip("/")):
        if piece in ("**", "**/"):
            parts.append("(?:.*/)?" if piece == "**/" else ".*")
        elif piece == "*":
            parts.append("[^/]*")
        elif piece == "?":
            parts.append("[^/]")
        else:
            parts.append(re.escape(piece))
    # A pattern that names a folder excludes everything inside it.
    return re.compile("".join(parts) + "(?:/.*)?")


def dockerignore(root: Path) -> list[tuple[bool, re.Pattern[str]]]:
    """The ``.dockerignore`` rules of ``root`` as (is an exception ``!``, regex), in order."""
    path = root / ".dockerignore"
    rules = []
    for line in path.read_text().splitlines() if path.exists() else []:
        line = line.strip()
        if line and not line.startswith("#"):
            negated = line.startswith("!")
            rules.append((negated, _dockerignore_regex(line.lstrip("!"))))
    return rules


def build_context(root: Path, destination: Path) -> list[str]:
    """Copy what docker would send as the build context (``.dockerignore`` applied, symlinks kept as links)."""
    rules = dockerignore(root)
    sent: list[str] = []

    def ignored(relative: str) -> bool:
        verdict = False
        for negated, regex in rules:
            if regex.fullmatch(relative):
                verdict = not negated
        return verdict

    for current, folders, files in os.walk(root):
        base = Path(current).relative_to(root)
        for name in list(folders):
            relative = (base / name).as_posix()
            if ignored(relative):
                folders.remove(name)
            elif (root / relative).is_symlink():
                folders.remove(name)
                files.append(name)  # copied as a link below, not followed
        for name in files:
            relative = (base / name).as_posix()
            if ignored(relative):
                continue
            target = destination / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            source = root / relative
            if source.is_symlink():
                target.symlink_to(os.readlink(source))
            else:
                shutil.copy2(source, target)
            sent.append(relative)
    return sorted(sent)


def _requirements_closure(seeds: list[str], project: str) -> dict[str, metadata.Distribution]:
    """Every installed distribution that ``seeds`` need on this platform, following markers and extras."""
    found: dict[str, metadata.Distribution] = {}
    pending: list[tuple[str, frozenset[str]]] = [(seed, frozenset()) for seed in seeds]
    seen: set[tuple[str, frozenset[str]]] = set()
    while pending:
        text, parent_extras = pending.pop()
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        if requirement.marker is not None and not any(
                requirement.marker.evaluate({"extra": extra}) for extra in (parent_extras or {""})):
            continue
        if name == project or (name, frozenset(requirement.extras)) in seen:
            continue
        seen.add((name, frozenset(requirement.extras)))
        distribution = metadata.distribution(name)
        found[name] = distribution
        pending.extend((child, frozenset(requirement.extras)) for child in distribution.requires or [])
    return found


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def repack_as_wheel(distribution: metadata.Distribution, out: Path) -> Path:
    """Write an installed distribution back out as a wheel (its own files and tags; scripts are regenerated)."""
    files = distribution.files
    if files is None:
        raise RuntimeError(f"{distribution.metadata['Name']} has no RECORD; it cannot be repacked")
    info = next(PurePosixPath(str(f)).parts[0] for f in files if str(f).split("/")[0].endswith(".dist-info"))
    wheel_file = Path(str(distribution.locate_file(f"{info}/WHEEL"))).read_text()
    tags = [line.split(":", 1)[1].strip().split("-") for line in wheel_file.splitlines() if line.startswith("Tag:")]
    # A wheel for several tags names them compressed (py2.py3-none-any), which is how pip matches it.
    tag = "-".join(".".join(sorted({parts[i] for parts in tags})) for i in range(3))
    name = re.sub(r"[-_.]+", "_", distribution.metadata["Name"])
    path = out / f"{name}-{distribution.version}-{tag}.whl"
    record: list[str] = []
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as wheel:
        for entry in files:
            relative = str(entry)
            if (relative.startswith("..") or "__pycache__" in relative
                    or relative in {f"{info}/RECORD", f"{info}/INSTALLER", f"{info}/REQUESTED",
                                    f"{info}/direct_url.json"}):
                continue
            source = Path(str(distribution.locate_file(entry)))
            if not source.is_file():
                continue
            data = source.read_bytes()
            zip_info = zipfile.ZipInfo.from_file(source, relative)
            wheel.writestr(zip_info, data)
            record.append(_record_line(relative, data))
        record.append(f"{info}/RECORD,,")
        wheel.writestr(f"{info}/RECORD", "\n".join(record) + "\n")
    return path


def build_wheelhouse(project_root: Path, out: Path, extras: Collection[str] | None = None) -> list[str]:
    """Repack the project's build requirements and dependencies into ``out``, with those of ``extras``.

    ``extras=None`` takes every extra but ``dev``; ``extras=()`` only what a plain install needs.
    """
    pyproject = tomllib.loads((project_root / "pyproject.toml").read_text())
    project = canonicalize_name(pyproject["project"]["name"])
    seeds = list(pyproject["build-system"]["requires"]) + list(pyproject["project"]["dependencies"])
    for extra, requirements in pyproject["project"].get("optional-dependencies", {}).items():
        if (extra != "dev") if extras is None else (extra in extras):
            seeds += requirements
    out.mkdir(parents=True, exist_ok=True)
    return sorted(repack_as_wheel(distribution, out).name
                  for distribution in _requirements_closure(seeds, project).values())


@dataclass
class Stage:
    """One FROM ... stage: its root folder (the image's /), its venv (the image's Python), WORKDIR and ENV."""

    name: str | None
    root: Path
    python: Path
    workdir: PurePosixPath = field(default_factory=lambda: PurePosixPath("/"))
    env: dict[str, str] = field(default_factory=dict)
    user: str | None = None
    cmd: list[str] = field(default_factory=list)
    healthcheck: Instruction | None = None

    def host_path(self, path: str) -> Path:
        """Where an image path of this stage lives on this machine."""
        absolute = PurePosixPath(path) if path.startswith("/") else self.workdir / path
        return self.root / absolute.relative_to("/")

    def process_env(self) -> dict[str, str]:
        """The environment a command of this stage sees: the image's ENV, with its Python first on PATH."""
        # The python images' PATH, with the stand-in Python where theirs is (/usr/local/bin).
        path = f"{self.python}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        return {"PATH": path, "HOME": str(self.root / "root"),
                "LANG": "C.UTF-8", **self.env}


@dataclass
class Replay:
    """Carries out a Dockerfile's instructions under ``work`` (see the module docstring for the stand-ins)."""

    context: Path
    work: Path
    wheelhouse: Path
    base_python: str = sys.executable
    stages: list[Stage] = field(default_factory=list)
    log: list[str] = field(default_factory=list)

    @property
    def etc(self) -> Path:
        """The private copy of /etc that RUN commands see (the image's /etc)."""
        return self.work / "etc"

    def run(self, instructions: list[Instruction]) -> Stage:
        """Build every stage; returns the last one (the image)."""
        for instruction in instructions:
            if instruction.keyword not in KNOWN:
                raise NotImplementedError(f"the replay does not know {instruction.keyword}: teach it, do not skip")
        for instruction in instructions:
            if instruction.keyword == "RUN":
                bad = [path for path in _ABSOLUTE_PATH.findall(instruction.text) if path not in ALLOWED_ABSOLUTE_PATHS]
                if bad:
                    raise ValueError(f"RUN uses absolute paths {bad}; use paths relative to WORKDIR")
        shutil.copytree("/etc", self.etc, symlinks=True)
        for instruction in instructions:
            getattr(self, f"_{instruction.keyword.lower()}")(instruction)
        return self.stages[-1]

    def _from(self, instruction: Instruction) -> None:
        words = instruction.text.split()
        if not (len(words) == 1 or (len(words) == 3 and words[1].upper() == "AS")):
            raise NotImplementedError(f"FROM {instruction.text} is not replayed")
        image, alias = words[0], (words[2] if len(words) == 3 else None)
        match = re.fullmatch(r"python:(\d+)\.(\d+)-slim", image)
        if match is None:
            raise NotImplementedError(f"only python:X.Y-slim bases are replayed, not {image}")
        version = subprocess.run([self.base_python, "-c", "import sys; print(*sys.version_info[:2])"],
                                 check=True, capture_output=True, text=True).stdout.split()
        if [match[1], match[2]] != version:
            raise RuntimeError(f"the image uses Python {match[1]}.{match[2]}, the replay's {'.'.join(version)}")
        root = self.work / f"stage{len(self.stages)}"
        python = self.work / f"python{len(self.stages)}"
        root.mkdir(mode=0o755)
        subprocess.run([self.base_python, "-m", "venv", str(python)], check=True, capture_output=True)
        self.stages.append(Stage(alias, root, python))

    def _workdir(self, instruction: Instruction) -> None:
        stage = self.stages[-1]
        stage.workdir = PurePosixPath("/") / stage.host_path(instruction.text).relative_to(stage.root).as_posix()
        stage.host_path(".").mkdir(parents=True, exist_ok=True)

    def _env(self, instruction: Instruction) -> None:
        for pair in shlex.split(instruction.text):
            name, _, value = pair.partition("=")
            self.stages[-1].env[name] = value

    def _copy(self, instruction: Instruction) -> None:
        stage = self.stages[-1]
        unknown = set(instruction.flags) - {"from"}
        if unknown:
            raise NotImplementedError(f"COPY flags {unknown} are not replayed")
        *sources, target = shlex.split(instruction.text)
        destination = stage.host_path(target)
        for source in sources:
            if "from" in instruction.flags:
                (origin,) = [s for s in self.stages if s.name == instruction.flags["from"]]
                origin_path = origin.host_path(source)
                if origin_path.is_dir():
                    shutil.copytree(origin_path, destination, symlinks=True, dirs_exist_ok=True)
                else:
                    destination.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(origin_path, destination)
            elif source == ".":
                build_context(self.context, destination)
            else:
                raise NotImplementedError(f"COPY {source} from the context is not replayed (only `.`)")

    def _run(self, instruction: Instruction) -> None:
        stage = self.stages[-1]
        env = {**stage.process_env(), "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(self.wheelhouse)}
        # The command sees the image's /etc (a private copy, bind-mounted in a mount namespace of its own).
        wrapper = 'mount --bind "$1" /etc && cd "$2" && exec sh -c "$3"'
        result = subprocess.run(
            ["unshare", "--mount", "--propagation", "private", "sh", "-c", wrapper, "sh", str(self.etc),
             str(stage.host_path(".")), instruction.text],
            env=env, capture_output=True, text=True, timeout=600, check=False)
        self.log.append(f"RUN {instruction.text}\n{result.stdout}{result.stderr}")
        if result.returncode != 0:
            raise RuntimeError(f"RUN {instruction.text} exited {result.returncode}:\n{result.stderr[-4000:]}")

    def _user(self, instruction: Instruction) -> None:
        self.stages[-1].user = instruction.text

    def _expose(self, instruction: Instruction) -> None:
        pass  # documentation for `docker run -p`; nothing to carry out

    def _cmd(self, instruction: Instruction) -> None:
        self.stages[-1].cmd = instruction.exec_form()

    def _healthcheck(self, instruction: Instruction) -> None:
        keyword, _, command = instruction.text.partition(" ")
        if keyword != "CMD":
            raise NotImplementedError("HEALTHCHECK must be CMD [...]")
        self.stages[-1].healthcheck = Instruction("CMD", instruction.flags, command.strip())

    def user_ids(self, stage: Stage) -> tuple[int, int]:
        """The uid and gid USER names, looked up in the image's /etc when they are names."""
        user, _, group = (stage.user or "0").partition(":")
        passwd = {line.split(":")[0]: line.split(":") for line in (self.etc / "passwd").read_text().splitlines()}
        groups = {line.split(":")[0]: line.split(":") for line in (self.etc / "group").read_text().splitlines()}
        uid = int(user) if user.isdigit() else int(passwd[user][2])
        if group:
            gid = int(group) if group.isdigit() else int(groups[group][2])
        else:
            gid = next(int(fields[3]) for fields in passwd.values() if int(fields[2]) == uid)
        return uid, gid


def as_user(uid: int, gid: int, command: list[str]) -> list[str]:
    """``command`` run with the given uid and gid and no supplementary groups, as docker runs USER."""
    return ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups", "--", *command]


def in_new_network(command: list[str]) -> list[str]:
    """``command`` in a network namespace of its own, with only loopback up (the container's network)."""
    return ["unshare", "--net", "sh", "-c", 'ip link set lo up && exec "$@"', "sh", *command]


def in_network_of(pid: int, command: list[str]) -> list[str]:
    """``command`` in the network namespace of process ``pid``."""
    return ["nsenter", f"--net=/proc/{pid}/ns/net", "--", *command]


def world_usable(path: Path) -> bool:
    """Whether a user with no rights but "other" can reach and run ``path`` (every folder above it searchable)."""
    resolved = path.resolve()
    return resolved.is_file() and bool(resolved.stat().st_mode & 0o001) and all(
        folder.stat().st_mode & 0o001 for folder in resolved.parents)


def python_for_image(minor: tuple[int, int]) -> str | None:
    """A Python ``major.minor`` on this machine that the image's non-root user may run, if there is one."""
    version = f"{minor[0]}.{minor[1]}"
    candidates = [Path(getattr(sys, "_base_executable", sys.executable)), Path(f"/usr/bin/python{version}"),
                  Path(f"/usr/local/bin/python{version}")]
    for candidate in candidates:
        if not (candidate.exists() and world_usable(candidate)):
            continue
        probe = subprocess.run([str(candidate), "-c", "import sys, ensurepip, venv; print(*sys.version_info[:2])"],
                               capture_output=True, text=True, check=False)
        if probe.returncode == 0 and probe.stdout.split() == [str(minor[0]), str(minor[1])]:
            return str(candidate)
    return None
