"""Reading a dial-in config body from JSON bytes or text: its encoding, a byte order mark, duplicated keys.

The API receives the body as bytes, so what matters is what those bytes are: JSON exchanged between systems
must be UTF-8 without a byte order mark (RFC 8259, section 8.1). Python's ``json`` reads UTF-16/32 and skips
nothing, so the encoding is decided here, with a finding for every way the bytes differ from what the API
expects. Duplicated keys get a finding too: JSON parsers keep the last one without a word.

Nesting is capped at :data:`MAX_NESTING` levels before parsing. ``json.loads`` gives up where the interpreter's
recursion limit does, which depends on how deep the caller's own stack already is: without a fixed cap the same
body parsed in the CLI and failed in the service.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

from mediacheck._dialin_report import DialinFinding
from mediacheck._report import Severity
from mediacheck.exceptions import UsageError

_BOM = "\ufeff"
# Far deeper than any config (they nest two levels), and far enough under the default recursion limit of 1,000
# that json.loads fits it from any caller's stack.
MAX_NESTING = 800
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


class NestedTooDeeply(RecursionError):
    """The JSON nests more than :data:`MAX_NESTING` levels: refused before parsing, as a RecursionError would be."""


def _nests_too_deeply(text: str) -> bool:
    if text.count("[") + text.count("{") <= MAX_NESTING:  # the usual case: too few brackets to matter
        return False
    depth = 0
    for bracket in _BRACKET.finditer(_JSON_STRING.sub("", text)):
        depth += 1 if bracket.group() in "[{" else -1
        if depth > MAX_NESTING:
            return True
    return False


def _bom_finding() -> DialinFinding:
    return DialinFinding("", "field.bom", Severity.WARNING,
                         "The body starts with a byte order mark (U+FEFF), which JSON sent to an API must not have.",
                         "Save the file as UTF-8 without a byte order mark (\"UTF-8\", not \"UTF-8 with BOM\").")


def decode_config_bytes(data: bytes) -> tuple[str, tuple[DialinFinding, ...]]:
    """The text of a body given as bytes, and findings about its encoding; raise UnicodeDecodeError if it has none.

    UTF-16 and UTF-32 (recognised by a byte order mark or by their zero bytes, as ``json.loads`` does) are read,
    so the rest of the body can still be judged, but are an error: the API expects UTF-8.
    """
    encoding = json.detect_encoding(data)
    if encoding == "utf-8-sig":
        return data[3:].decode("utf-8"), (_bom_finding(),)
    if encoding.startswith(("utf-16", "utf-32")):
        name = encoding.split("-")[0].upper() + "-" + encoding.split("-")[1]
        text = data.decode(encoding).removeprefix(_BOM)
        return text, (DialinFinding("", "field.encoding", Severity.ERROR,
                                    f"The body is {name} text; JSON sent to the API must be UTF-8.",
                                    "Save the file as UTF-8 (without a byte order mark) and send it again."),)
    return data.decode("utf-8"), ()


def parse_config_json(data: str | bytes) -> tuple[Any, tuple[DialinFinding, ...]]:
    """Parse a config body from JSON text or bytes, with findings about its encoding and every duplicated key.

    JSON parsers keep the last of duplicated keys without a word, so ``{"hold_music_url": A, ...,
    "hold_music_url": B}`` silently checks (and sends) B. Raises ``UnicodeDecodeError`` for bytes that are no
    Unicode text, ``json.JSONDecodeError`` for text that is not JSON, ``RecursionError`` for absurd nesting and
    ``ValueError`` for an integer with more digits than Python converts."""
    if not isinstance(data, str | bytes | bytearray | memoryview):
        raise UsageError(f"data must be JSON text or bytes, not {type(data).__name__}")
    if isinstance(data, str):
        findings: list[DialinFinding] = [_bom_finding()] if data.startswith(_BOM) else []
        text = data.removeprefix(_BOM)
    else:
        text, encoding_findings = decode_config_bytes(bytes(data))
        findings = list(encoding_findings)
    duplicated: dict[int, list[str]] = {}
    alive: list[dict[str, Any]] = []  # ids stay unique only while every object built is still alive

    def build(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj: dict[str, Any] = {}
        alive.append(obj)
        for key, value in pairs:
            if key in obj and key not in duplicated.setdefault(id(obj), []):
                duplicated[id(obj)].append(key)
            obj[key] = value
        return obj

    if _nests_too_deeply(text):  # the same answer for every caller, whatever its stack
        raise NestedTooDeeply(f"the JSON nests more than {MAX_NESTING} levels deep")
    body = json.loads(text, object_pairs_hook=build)
    # Walked with a list, not recursion: a body nested as deep as json.loads allows must not overflow here.
    pending: list[tuple[Any, str]] = [(body, "")]
    while pending:
        obj, prefix = pending.pop()
        if not isinstance(obj, dict):
            continue
        for key in duplicated.get(id(obj), []):
            path = prefix + key
            findings.append(DialinFinding(path, "field.duplicate", Severity.WARNING,
                                          f"`{path}` appears more than once; only the last value counts.",
                                          "Keep one copy of the field, with the value you mean."))
        pending.extend((value, f"{prefix}{key}.") for key, value in reversed(obj.items()))
    return body, tuple(findings)


def read_config(data: str | bytes) -> tuple[Any, tuple[DialinFinding, ...]]:
    """Like :func:`parse_config_json`, but never raises: text that cannot be read is a ``field.json`` error.

    Returns ``(None, findings)`` when there is no body to lint.
    """
    try:
        return parse_config_json(data)
    except UnicodeDecodeError as exc:
        said = f"The body is not valid JSON: its bytes are not UTF-8 text (byte {exc.start} is invalid)."
    except json.JSONDecodeError as exc:
        said = f"The body is not valid JSON: {exc.msg.lower()} at line {exc.lineno}, column {exc.colno}."
    except RecursionError:
        said = "The body is not valid JSON: it nests too deeply to be a dial-in config."
    except ValueError:  # json.loads refuses integers longer than sys.get_int_max_str_digits()
        said = (f"The body cannot be read: it holds an integer of more than {sys.get_int_max_str_digits():,} "
                "digits.")
    return None, (DialinFinding("", "field.json", Severity.ERROR, said,
                                "Send the config as one JSON object, encoded as UTF-8."),)
