"""How finding text is written into the page: escaped first, backquoted commands and fields shown as code."""

from __future__ import annotations

from mediacheck.service.web.pages import code_spans


def test_backquoted_parts_become_code_and_everything_is_escaped() -> None:
    """A hint's `command` is code; markup anywhere, inside the backquotes too, stays text."""
    hint = "Run `mediacheck fix <in> -o out.mp3` & listen to <b>it</b>."
    assert str(code_spans(hint)) == ("Run <code>mediacheck fix &lt;in&gt; -o out.mp3</code> &amp; listen to "
                                     "&lt;b&gt;it&lt;/b&gt;.")


def test_an_odd_backquote_is_left_as_it_is() -> None:
    """An unmatched backquote (a quoted value, say) is not a code span: the text is only escaped."""
    assert str(code_spans("it's `half <open>")) == "it&#39;s `half &lt;open&gt;"
