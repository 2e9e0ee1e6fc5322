"""The one HTML builder: escaping, tagged figures, the page shell with its Content-Security-Policy, the footer."""

from __future__ import annotations

import datetime
import html
import re
from collections.abc import Mapping
from pathlib import Path

from benchmarks._version import __version__

#: No request leaves a page: no script, style or font from the network, images only as data: URIs.
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
STYLESHEET = TEMPLATES / "offline" / "static" / "report.css"

escape = html.escape


def tagged(text: str, metric: str, group: str, stat: str, tag: str = "td", css: str = "num", colspan: int = 1,
           **data: str) -> str:
    """A displayed figure with what it is (metric, group, statistic) in data attributes, so an audit can
    check every figure a page shows against the rules."""
    e = html.escape
    extra = "".join(f" data-{k.replace('_', '-')}='{e(str(v), quote=True)}'" for k, v in data.items())
    extra += f" colspan='{int(colspan)}'" if colspan > 1 else ""
    cls = f" class='{css}'" if css else ""
    return (f"<{tag}{cls} data-metric='{e(metric, quote=True)}' data-group='{e(group, quote=True)}' "
            f"data-stat='{e(stat, quote=True)}'{extra}>{e(text)}</{tag}>")


def page_head(title: str) -> str:
    """The <head> of every page the toolkit writes: the Content-Security-Policy (no request leaves the page),
    a phone-width viewport, the title and the style sheet inline."""
    return ('<head>\n<meta charset="utf-8">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1.0">\n'
            '<meta name="generator" content="district-benchmarks">\n'
            f"<title>{escape(title, quote=False)}</title>\n<style>\n{STYLESHEET.read_text()}"
            f"@page {{ @top-left {{ content: {css_string(title)}; font-size: 8pt; color: #5f5f5f; }} }}\n"
            "</style>\n</head>")


def css_string(text: str) -> str:
    """Text as a quoted CSS string: every character but letters, digits and spaces as a CSS escape, so a
    district's name can neither end the string nor the <style> element."""
    return '"' + "".join(c if c.isalnum() and c.isascii() or c == " " else f"\\{ord(c):x} " for c in text) + '"'


#: A page with at least this many sections gets a contents list at its top.
CONTENTS_FROM = 4
_H2 = re.compile(r"<h2>(.*?)</h2>", re.S)


def with_contents(page: str, index: str = "index.html") -> str:
    """A rendered report with a way around it: each section heading given an anchor, and after the page's first
    section (or its header) a link back to the year's index and (from CONTENTS_FROM sections) a contents list of the headings' first
    words ("Network: better than..." -> "Network"). Headings keep their order, so the list is the page's."""
    titles = _H2.findall(page)
    if "</header>" not in page or not titles:
        return page
    count = iter(range(1, len(titles) + 1))
    page = _H2.sub(lambda m: f"<h2 id='section-{next(count)}'>{m.group(1)}</h2>", page)
    short = [re.sub(r"<[^>]+>", "", t).split(": ")[0].strip() for t in titles]
    items = "".join(f"<li><a href='#section-{i}'>{t}</a></li>" for i, t in enumerate(short, 1))
    contents = f"<ol>{items}</ol>" if len(titles) >= CONTENTS_FROM else ""
    nav = (f"<nav class='contents' aria-label='Contents'><a class='back-to-index' href='{escape(index)}'>"
           f"← All reports</a>{contents}</nav>")
    # after the page's first section (the summary a reader came for stays on the first screen)
    head_end = page.index("</header>")
    first_end = page.find("</section>", head_end)
    at = head_end + len("</header>") if first_end < 0 else first_end + len("</section>")
    return page[:at] + nav + page[at:]


def page_html(title: str, body: str) -> str:
    """A whole self-contained page (the index); notebook pages get the same head through the nbconvert template."""
    return (f'<!DOCTYPE html>\n<html lang="en">\n{page_head(title)}\n<body>\n<main class="report">{body}</main>\n'
            "</body>\n</html>\n")


def generated_at() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")


def footer_html(snapshot: str, parameters: Mapping[str, object], demo: bool = False) -> str:
    """The provenance footer of every report: data snapshot, parameters, software version and date."""
    params = ", ".join(f"{k}={v}" for k, v in parameters.items())
    note = "Fictional demo data, pseudonymized with the public demo key · " if demo else ""
    return (f"<footer class='provenance'>{note}Data snapshot {escape(snapshot)} · parameters: "
            f"{escape(params)} · district-benchmarks {escape(__version__)} · generated {generated_at()}</footer>")
