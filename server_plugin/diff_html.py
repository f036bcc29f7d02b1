"""Differences between field values as safe HTML, for the admin's review and
history pages: diff-match-patch finds them, every piece of text is escaped
(a value full of <script> shows as text), insertions are <ins>, deletions <del>."""

from __future__ import annotations

import json

from diff_match_patch import diff_match_patch
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


def as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return json.dumps(value) if isinstance(value, dict) else str(value)


def diff_html(old, new) -> SafeString:
    """`new` shown against `old`: what was added underlined, what was removed struck."""
    engine = diff_match_patch()
    diffs = engine.diff_main(as_text(old), as_text(new))
    engine.diff_cleanupSemantic(diffs)
    tags = {0: "{}", 1: '<ins class="fs-ins">{}</ins>', -1: '<del class="fs-del">{}</del>'}
    return mark_safe("".join(tags[op].format(escape(text)) for op, text in diffs))


def plain_html(value) -> SafeString:
    return escape(as_text(value))
