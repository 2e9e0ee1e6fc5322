"""The page shell: the title printed on every sheet is a CSS string no district name can break out of."""

from __future__ import annotations

import re

from benchmarks.reports.html import css_string, page_head


def unescape_css(quoted: str) -> str:
    """Read a CSS string back the way a browser does (hex escapes ending in one space)."""
    return re.sub(r"\\([0-9a-f]{1,6}) ", lambda m: chr(int(m.group(1), 16)), quoted[1:-1])


def test_a_hostile_title_stays_inside_its_css_string():
    title = 'Evil "; } </style><script>alert(1)</script> \\ Élan — report'
    quoted = css_string(title)
    assert unescape_css(quoted) == title
    assert not set(quoted[1:-1]) & set("\"'<>;{}")  # nothing that ends the string, the rule or the element
    head = page_head(title)
    assert head.count("</style>") == 1 and "<script>" not in head
    assert f"@top-left {{ content: {quoted};" in head
