"""The page shell: the title printed on every sheet is a CSS string no district name can break out of."""

from __future__ import annotations

import re

from benchmarks.reports.html import css_string, page_head, with_contents


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


def test_a_long_page_gets_its_contents_in_order_and_a_way_back_to_the_index():
    sections = ["At a glance: better on 3", "Devices: behind on 1", "Network &amp; Wi-Fi: 2", "How to read"]
    page = ("<main><header><h1>A &lt;district&gt;</h1></header>"
            + "".join(f"<section><h2>{t}</h2><p>text</p></section>" for t in sections) + "</main>")
    out = with_contents(page)
    # after the first section: the summary a reader came for stays on the first screen
    nav = re.search(r"</header><section><h2 id='section-1'>At a glance: better on 3</h2><p>text</p></section>"
                    r"(<nav class='contents'.*?</nav>)", out).group(1)
    assert "<a class='back-to-index' href='index.html'>" in nav
    assert re.findall(r"<a href='#(section-\d)'>(.*?)</a>", nav) == [
        ("section-1", "At a glance"), ("section-2", "Devices"), ("section-3", "Network &amp; Wi-Fi"),
        ("section-4", "How to read")]
    assert re.findall(r"<h2 id='(section-\d)'>", out) == ["section-1", "section-2", "section-3", "section-4"]
    # a short page keeps only the link back
    short = with_contents("<header><h1>x</h1></header><h2>One</h2><h2>Two</h2>")
    assert "<ol>" not in short and "back-to-index" in short
