"""Templates of the page and its fragments: Jinja2 with autoescaping, so every user-given string is text, never markup.

File names, URLs, finding messages (which quote what they were given) and config values all reach the page
through these templates; none is ever marked safe.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape
from starlette.responses import HTMLResponse

from mediacheck import __version__
from mediacheck.service.web.views import SEVERITY_WORDS

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"

_environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=True,  # for .svg as much as .html: every template here is markup
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def code_spans(text: str) -> Markup:
    """Escape ``text`` and show its `backquoted` parts (commands, field names in findings) as code."""
    parts = str(text).split("`")
    if len(parts) % 2 == 0:  # an odd number of backquotes is not markup: keep them as they are
        return escape(text)
    return Markup("").join(escape(part) if index % 2 == 0 else Markup("<code>%s</code>") % part
                           for index, part in enumerate(parts))


_environment.filters["code_spans"] = code_spans
_environment.globals.update(severity_words=SEVERITY_WORDS, version=__version__)


def markup(template: str, **context: Any) -> str:
    """``template`` rendered with ``context`` (autoescaped)."""
    return _environment.get_template(template).render(**context)


def render(template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """``template`` rendered with ``context``, as an HTML answer nobody caches (it may describe a private file)."""
    return HTMLResponse(markup(template, **context), status_code=status_code, headers={"Cache-Control": "no-store"})


def problem(message: str, status_code: int) -> HTMLResponse:
    """A plain-words refusal as a fragment (input the page can show next to the form it came from)."""
    return render("problem.html", status_code=status_code, message=message)


def pretty_json(value: Any) -> str:
    """``value`` as indented JSON text, for the dial-in example."""
    return json.dumps(value, indent=2, ensure_ascii=False)
