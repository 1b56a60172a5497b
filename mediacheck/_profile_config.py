"""Find a profile by name: the built-ins, or the in-house ones of a rules file (``mediacheck.toml`` or pyproject's
``[tool.mediacheck]``), read with tomllib and checked key by key so a bad file is one clear UsageError.

The rules file lives in the current directory. ``mediacheck.toml`` holds ``[profiles.NAME]`` tables; pyproject.toml
holds them as ``[tool.mediacheck.profiles.NAME]``. A profile may ``extends`` a built-in or another profile of the
file and then changes only the keys it names.
"""

from __future__ import annotations

import dataclasses
import math
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mediacheck._limits import DEFAULT_LIMITS, Limits
from mediacheck._profiles import BUILTIN_PROFILES, DAILY, KNOWN_CODECS, KNOWN_FORMATS, Profile
from mediacheck.exceptions import UsageError

RULES_FILE = "mediacheck.toml"
PYPROJECT_FILE = "pyproject.toml"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_MIME = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")
_SHAPE_KEYS = frozenset({"formats", "codecs", "sample_rates", "channels", "bit_depths"})
_KEYS = frozenset({"extends", "title", "formats", "codecs", "sample_rates", "channels", "bit_depths", "max_bytes",
                   "max_bytes_inclusive", "max_seconds", "max_seconds_inclusive", "content_types",
                   "content_type_required"})


def resolve_profile(profile: str | Profile | None, *, directory: str | Path | None = None) -> Profile:
    """The Profile for a name (built-in first, then the rules file in ``directory``, default the current one)."""
    if profile is None:
        return DAILY
    if isinstance(profile, Profile):
        return profile
    if not isinstance(profile, str):
        raise UsageError(f"profile must be a name or a mediacheck.Profile, not {type(profile).__name__}")
    builtin = BUILTIN_PROFILES.get(profile)
    if builtin is not None:
        return builtin
    found = load_rules_file(directory)
    if profile in found:
        return found[profile]
    known = ", ".join([*BUILTIN_PROFILES, *found])
    where = "" if found else f" (no {RULES_FILE} or [tool.mediacheck] in {PYPROJECT_FILE} defines more)"
    raise UsageError(f"unknown profile {profile!r}: choose one of {known}{where}")


def profile_and_limits(limits: Limits, profile: str | Profile | None) -> tuple[Limits, Profile | None]:
    """The limits and profile a check runs under: ``DEFAULT_LIMITS`` (limits not given) means the profile's bounds.

    Any other Limits is used as given (its bounds exclusive), the profile's other rules still applying. The
    profile comes back as None for daily, whose checks take the original code path.
    """
    chosen = resolve_profile(profile)
    if chosen == DAILY:
        return limits, None
    if not isinstance(limits, Limits):
        raise UsageError(f"limits must be a mediacheck.Limits, not {type(limits).__name__}")
    return (chosen.limits(limits) if limits is DEFAULT_LIMITS else limits), chosen


def rules_file(directory: str | Path | None = None) -> tuple[Path, Mapping[str, Any]] | None:
    """The rules file in ``directory`` and its mediacheck table, or None when there is none."""
    folder = Path(directory) if directory is not None else Path.cwd()
    own = folder / RULES_FILE
    if own.is_file():
        return own, _read(own)
    pyproject = folder / PYPROJECT_FILE
    if pyproject.is_file():
        tool = _read(pyproject).get("tool", {})
        table = tool.get("mediacheck") if isinstance(tool, dict) else None
        if table is not None:
            if not isinstance(table, dict):
                raise UsageError(f"{pyproject}: [tool.mediacheck] must be a table")
            return pyproject, table
    return None


def load_rules_file(directory: str | Path | None = None) -> dict[str, Profile]:
    """Every profile the rules file defines (an empty mapping when there is no file)."""
    found = rules_file(directory)
    if found is None:
        return {}
    path, table = found
    prefix = "[tool.mediacheck]" if path.name == PYPROJECT_FILE else ""
    unknown = set(table) - {"profiles"}
    if unknown:
        raise UsageError(f"{path}: unknown key {prefix}{sorted(unknown)[0]!r} (only [profiles.NAME] tables)")
    raw = table.get("profiles", {})
    if not isinstance(raw, dict):
        raise UsageError(f"{path}: profiles must be tables, [profiles.NAME]")
    built: dict[str, Profile] = {}
    for name in raw:
        _build(name, raw, built, path, ())
    return built


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise UsageError(f"{path} cannot be read: {exc.strerror or exc}") from None


def _build(name: str, raw: Mapping[str, Any], built: dict[str, Profile], path: Path, chain: tuple[str, ...]) -> Profile:
    if name in built:
        return built[name]
    where = f"{path}: profile {name!r}"
    if not _NAME.match(name):
        raise UsageError(f"{path}: profile name {name!r} must be lower-case letters, digits, '-' or '_'")
    if name in BUILTIN_PROFILES:
        raise UsageError(f"{where} is a built-in profile; give yours another name (it may extend {name!r})")
    if name in chain:
        raise UsageError(f"{where} extends itself (through {' -> '.join((*chain, name))})")
    spec = raw[name]
    if not isinstance(spec, dict):
        raise UsageError(f"{where} must be a table of rules")
    unknown = set(spec) - _KEYS
    if unknown:
        raise UsageError(f"{where}: unknown key {sorted(unknown)[0]!r}; the keys are {', '.join(sorted(_KEYS))}")
    parent_name = spec.get("extends")
    if parent_name is None:
        if "formats" not in spec:
            raise UsageError(f"{where} needs formats (or extends a profile that has them)")
        base = Profile(name=name, title=name, formats=("mp3",))
    elif not isinstance(parent_name, str):
        raise UsageError(f"{where}: extends must be a profile name")
    elif parent_name in BUILTIN_PROFILES:
        base = BUILTIN_PROFILES[parent_name]
    elif parent_name in raw:
        base = _build(parent_name, raw, built, path, (*chain, name))
    else:
        raise UsageError(f"{where} extends {parent_name!r}, which is neither built in nor in the file")
    changes: dict[str, Any] = {"name": name, "sources": (), "title": spec.get("title", name)}
    if not isinstance(changes["title"], str) or not changes["title"].strip():
        raise UsageError(f"{where}: title must be a non-empty string")
    for key, value in spec.items():
        if key not in ("extends", "title"):
            changes[key] = _value(where, key, value)
    if set(spec) & _SHAPE_KEYS:
        changes["fix"] = None  # the parent's fix target may break the new rules: derive one from them instead
    profile = dataclasses.replace(base, **changes)
    if not profile.formats:
        raise UsageError(f"{where}: formats must name at least one format")
    built[name] = profile
    return profile


def _value(where: str, key: str, value: Any) -> Any:
    """One rule's value, checked and converted to the Profile field's type."""
    if key in ("max_bytes_inclusive", "max_seconds_inclusive", "content_type_required"):
        if not isinstance(value, bool):
            raise UsageError(f"{where}: {key} must be true or false, got {value!r}")
        return value
    if key == "max_bytes":
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise UsageError(f"{where}: max_bytes must be a whole number of bytes above 0, got {value!r}")
        return value
    if key == "max_seconds":
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
            raise UsageError(f"{where}: max_seconds must be a number of seconds above 0, got {value!r}")
        return float(value)
    if not isinstance(value, list) or not value:
        raise UsageError(f"{where}: {key} must be a non-empty list, got {value!r}")
    if key in ("sample_rates", "channels", "bit_depths"):
        if any(isinstance(v, bool) or not isinstance(v, int) or v <= 0 for v in value):
            raise UsageError(f"{where}: {key} must list whole numbers above 0, got {value!r}")
        return tuple(value)
    if any(not isinstance(v, str) for v in value):
        raise UsageError(f"{where}: {key} must list strings, got {value!r}")
    lowered = tuple(v.strip().lower() for v in value)
    allowed = {"formats": KNOWN_FORMATS, "codecs": KNOWN_CODECS}.get(key)
    if allowed is not None:
        bad = [v for v in lowered if v not in allowed]
        if bad:
            raise UsageError(f"{where}: {key} has {bad[0]!r}; choose from {', '.join(allowed)}")
    elif key == "content_types":
        bad = [v for v in lowered if not _MIME.match(v)]
        if bad:
            raise UsageError(f"{where}: content_types has {bad[0]!r}, which is not a media type like audio/wav")
    return lowered
