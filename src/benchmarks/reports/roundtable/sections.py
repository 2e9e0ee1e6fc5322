"""The county round-table page's sections: sentences first, then the detail, every figure of all members at once."""

from __future__ import annotations

import html

import numpy as np

from benchmarks.formats import change_text, figure_text, total_dollars
from benchmarks.privacy.disclosure import NONE, GroupFigures
from benchmarks.registry.metrics import METRIC_BY_NAME
from benchmarks.reports.district.scorecard import goal_text
from benchmarks.reports.html import footer_html as provenance_footer
from benchmarks.reports.html import tagged
from benchmarks.reports.roundtable.data import (
    PURCHASES,
    Purchase,
    RoundTable,
    centre,
    purchase,
    standing,
    state_figures,
    topics,
)
from benchmarks.reports.wording import CHANGE_SYMBOLS, change_verdict, comparative

e = html.escape
#: The handout prints on two pages: the sentences and the purchasing on the first, the detail on the second.
PRINT_STYLE = ("<style>.roundtable table{font-size:.85em}.roundtable-detail th[scope=row]{min-width:12em}"
               "@media print{.roundtable-detail{break-before:page}.roundtable table{font-size:8.5pt}"
               ".roundtable-detail td,.roundtable-detail th{padding-top:2px;padding-bottom:2px}}</style>")


def _county(rt: RoundTable, text: str, metric: str, stat: str, tag: str = "span", css: str = "", **data) -> str:
    """A figure of all the county's members: every member reads it, none is outside the group."""
    return tagged(text, metric, "county", stat, tag=tag, css=css, members="all", year=rt.school_year,
                  county=rt.county, state=rt.state, **data)


def _state(rt: RoundTable, fig: GroupFigures, stat: str = "", tag: str = "span", css: str = "") -> str:
    text = fig.text(stat) if stat else fig.centre_text
    return tagged(text, fig.metric.name, "state", stat or fig.stat, tag=tag, css=css, members="all",
                  year=rt.school_year, state=rt.state)


def _centre(rt: RoundTable, fig: GroupFigures, tag: str = "span", css: str = "") -> str:
    return _county(rt, fig.centre_text, fig.metric.name, fig.stat, tag=tag, css=css)


def standing_sentence(rt: RoundTable, row) -> str:
    """Where the county's typical district stands against the state's, quoting the two shown figures, e.g.
    "Kestrel County's typical district has a higher price per device than the state's typical district ($323
    against $310)."; from shown figures only (GroupFigures.place)."""
    m = METRIC_BY_NAME[row["metric"]]
    noun = m.noun or m.label.lower()
    if row["county"].status == NONE:
        return f"Too few of {e(rt.county)}'s districts reported {e(noun)} to describe them together."
    if row["against"] == "none":
        return f"The state shows no figure for {e(noun)} to compare {e(rt.county)} with."
    figures = f"({_centre(rt, row['county'])} against {_state(rt, row['state'])})"
    where = f"in {e(rt.county)}'s typical district"
    if row["side"] == "at":
        return f"{e(noun[0].upper() + noun[1:])} is about the same {where} as in the state's typical district {figures}."
    more = comparative(m, row["side"])
    return f"{e(noun[0].upper() + noun[1:])} is {more} {where} than in the state's typical district {figures}."


def header_html(rt: RoundTable) -> str:
    """The title and the meeting's main sentences: devices and internet bought together, the biggest differences."""
    n = _county(rt, str(len(rt.members)), "districts", "count")
    # the purchasing first: what the meeting can act on together; the differences follow under Topics
    lines = [_devices_sentence(rt, purchase(rt, "devices")), _internet_sentence(rt, purchase(rt, "internet"))]
    said = "".join(f"<li>{line}</li>" for line in lines if line)
    return (f"{PRINT_STYLE}<header class='report-header roundtable'><p class='kicker'>District technology benchmarks · "
            f"{e(rt.school_year)} · for the members' meeting</p><h1>{e(rt.county)} round-table</h1>"
            f"<p class='meta'>{n} districts of {e(rt.county)} ({e(rt.state)}) reported figures for {e(rt.school_year)}. "
            "Every figure on this page describes the members together or the whole state; none is one district's, "
            "and each member, setting its own figures aside, still sees at least "
            f"{rt.rules.min_peers} others. Medians are smoothed (each averaged with its neighbouring ranks).</p>"
            f"<ul class='roundtable-main'>{said}</ul></header>")


def _money(rt: RoundTable, x: float, metric: str, members: str, per: str = "") -> str:
    return _county(rt, total_dollars(abs(x)) + per, metric, "total", **{"with": members})


def _devices_sentence(rt: RoundTable, p: Purchase) -> str:
    if not p.shown:
        return _not_shown(rt, p, "device purchases")
    _, volume, spend = PURCHASES["devices"]
    both = f"{volume} {spend}"
    out = (f"{e(rt.county)}'s {p.counted} districts that bought devices replaced "
           f"{_county(rt, f'{p.volume:,.0f}', volume, 'total', **{'with': both})} devices in {e(rt.school_year)} for "
           f"{_money(rt, p.spend, spend, both)} "
           f"({_county(rt, figure_text(METRIC_BY_NAME['device_price_usd'], p.price), 'device_price_usd', 'mean', **{'with': both})} on average"
           f"{_than_state(rt, p)}).")
    if np.isfinite(p.state_p25):
        d = p.saving(p.state_p25)
        out += (f" At the state's 25th-percentile price ({_state(rt, _price_fig(rt, 'devices'), 'p25')}) the same devices "
                f"would have cost {_money(rt, d, spend, both)} {'less' if d > 0 else 'more'}.")
    return out + _missing(p, "the number of devices replaced or their cost")


def _than_state(rt: RoundTable, p: Purchase) -> str:
    """The combined price beside the state's typical district's, as both are displayed: "more than the $312 the
    state's typical district pays"."""
    if not np.isfinite(p.state_median) or round(p.price) == p.state_median:
        return ""
    word = "more" if round(p.price) > p.state_median else "less"
    return f", {word} than the {_state(rt, _price_fig(rt, 'devices'))} the state's typical district pays"


def _internet_sentence(rt: RoundTable, p: Purchase) -> str:
    if not p.shown:
        return _not_shown(rt, p, "internet contracts")
    _, volume, spend = PURCHASES["internet"]
    both = f"{volume} {spend}"
    out = (f"Their internet: {_county(rt, f'{p.volume:,.0f} Mbps', volume, 'total', **{'with': both})} for "
           f"{_money(rt, p.spend, spend, both, ' a month')} "
           f"({_county(rt, figure_text(METRIC_BY_NAME['cost_per_mbps_usd'], p.price), 'cost_per_mbps_usd', 'mean', **{'with': both})}).")
    if np.isfinite(p.state_median):
        d = p.saving(p.state_median)
        out += (f" At the state's median price ({_state(rt, _price_fig(rt, 'internet'))}) it would cost "
                f"{_money(rt, d, spend, both)} a month {'less' if d > 0 else 'more'}.")
    return out + _missing(p, "their bandwidth or its monthly cost")


def _missing(p: Purchase, what: str) -> str:
    """What the combined figures leave out: members that reported only one of the two volumes, or neither."""
    if p.counted == p.members:
        return ""
    only = f"; {p.only_one} of them reported only one of the two" if p.only_one else ""
    return (f" These figures count the {p.counted} members that reported both; "
            f"{p.members - p.counted} did not report {what}{only}.")


def _not_shown(rt: RoundTable, p: Purchase, what: str) -> str:
    """Why the combined figures are missing, in the one reason that holds: nobody reported, too few reported
    both volumes for every member to see min_peers others, or two members dominate the total."""
    if p.counted == 0:
        return f"No member reported its {what} for {e(rt.school_year)}, so there is nothing to add up."
    if not rt.rules.may_meet(p.counted):
        return (f"The members' combined {what} are not shown: fewer than {rt.rules.min_peers + 1} members reported "
                "both the volume and its cost.")
    return (f"The members' combined {what} are not shown: two of the members hold more than "
            f"{rt.rules.dominance:.0%} of the total, so it would tell each of them the other's figure.")


def _price_fig(rt: RoundTable, kind: str) -> GroupFigures:
    return state_figures(rt, PURCHASES[kind][0])


def purchasing_html(rt: RoundTable) -> str:
    """Joint purchasing in dollars: the combined volume and spend against the state's median and 25th-percentile
    prices, and the difference."""
    rows = []
    for kind, unit in (("devices", ""), ("internet", " a month")):
        p = purchase(rt, kind)
        if not p.shown:
            continue
        _metric, volume, spend = PURCHASES[kind]
        fig = _price_fig(rt, kind)
        both = f"{volume} {spend}"
        label = "Devices replaced" if kind == "devices" else "Internet bandwidth (Mbps)"
        cells = [f"<th scope='row'>{label}</th>", _county(rt, f"{p.volume:,.0f}", volume, "total", tag="td",
                                                           css="num", **{"with": both}),
                 _county(rt, total_dollars(p.spend) + unit, spend, "total", tag="td", css="num", **{"with": both})]
        for stat, price in (("median", p.state_median), ("p25", p.state_p25)):
            if not np.isfinite(price):
                cells.append("<td class='num'>–</td><td class='num'>–</td>")
                continue
            d = p.saving(price)
            cells.append(f"{_state(rt, fig, stat, tag='td', css='num')}"
                         + _county(rt, f"{total_dollars(abs(d))} {'less' if d > 0 else 'more'}", spend, "total",
                                   tag="td", css="num", **{"with": both}))
        rows.append(f"<tr>{''.join(cells)}</tr>")
    if not rows:
        return ""
    return ("<section class='roundtable'><h2>Buying together</h2><p>What the members bought this year, added up "
            "over the members that reported both the volume and what it cost, and what the same volume would have "
            "cost at the state's typical (median) price and at the price a quarter of the state's districts pay "
            "or less (25th percentile).</p><table class='scorecard-table'><thead><tr><th scope='col'>Purchase</th>"
            "<th scope='col' class='num'>Combined</th><th scope='col' class='num'>Spend</th>"
            "<th scope='col' class='num'>State median price</th><th scope='col' class='num'>At that price</th>"
            "<th scope='col' class='num'>State 25th-percentile price</th><th scope='col' class='num'>At that price</th>"
            f"</tr></thead><tbody>{''.join(rows)}</tbody></table></section>")


def topics_html(rt: RoundTable) -> str:
    """Topics for the meeting: where the members as a group differ most from the state, and initiatives to compare."""
    s = standing(rt).set_index("metric")
    items = [standing_sentence(rt, s.loc[name].to_dict() | {"metric": name}) for name in topics(rt)["metric"]]
    for name, question in (("refresh_cycle_years", ("How long do members keep devices, and would a common refresh "
                            "cycle let them buy together?")),
                           ("devices_per_student", "Who is one-to-one, and what did it take?"),
                           ("wifi6_share", "Which members have moved to Wi-Fi 6, and what did they learn?")):
        fig = s.loc[name, "county"]
        now = f" (the members' typical district: {_centre(rt, fig)})" if fig.status != NONE else ""
        items.append(f"{e(question)}{now}")
    return ("<section class='roundtable'><h2>Topics for the meeting</h2><ul>"
            + "".join(f"<li>{i}</li>" for i in items) + "</ul></section>")


def detail_html(rt: RoundTable) -> str:
    """Per metric: the county's and the state's typical district, where the county stands, its change since last
    year and its goals."""
    s = standing(rt)
    body = []
    for row in s.to_dict("records"):
        m, county = METRIC_BY_NAME[row["metric"]], row["county"]
        if np.isfinite(row["change"]):
            mv = "little" if row["change"] == 0 else "up" if row["change"] > 0 else "down"
            change = (_county(rt, change_text(m, row["change"]), m.name, "change", tag="td", css="num",
                              since=rt.previous_year)
                      + f"<td>{CHANGE_SYMBOLS[mv]} {e(change_verdict(m.direction, mv))}</td>")
        else:
            change = "<td class='num'>–</td><td></td>"
        # met or not, without the gap: a gap from a shown figure is a new number that may equal a member's own
        goals = goal_text(m, centre(county), amounts=False) if county.status != NONE else ""
        body.append(f"<tr><th scope='row'>{e(m.label)}</th>{_centre(rt, county, tag='td', css='num')}"
                    f"{_state(rt, row['state'], tag='td', css='num')}<td>{_against(row)}</td>{change}"
                    f"<td>{e(goals) or '–'}</td></tr>")
    return (f"<section class='roundtable roundtable-detail'><h2>The county against the state, metric by metric</h2>"
            f"<p>Each row sets {e(rt.county)}'s typical district (the smoothed median of its members, or a band where "
            "a figure would sit too close to one member's) beside the state's, with the change since last year and "
            f"the goals. Within {rt.rules.tolerance:.0%} of the state's figure counts as about the same.</p>"
            "<table class='scorecard-table'><thead><tr><th scope='col'>Metric</th>"
            f"<th scope='col' class='num'>{e(rt.county)}: typical district</th>"
            "<th scope='col' class='num'>State: typical district</th><th scope='col'>Against the state</th>"
            f"<th scope='col' class='num'>Since {e(rt.previous_year)}</th><th scope='col'>Reading</th>"
            f"<th scope='col'>Goals (typical district)</th></tr></thead><tbody>{''.join(body)}</tbody></table>"
            "</section>")


def _against(row) -> str:
    """The county's side of the state's figure in a word or two, from the shown figures (GroupFigures.place)."""
    if row["against"] in ("none", "missing") or row["county"].status == NONE:
        return "–"
    if row["side"] not in ("above", "below"):
        return "about the same"
    return comparative(METRIC_BY_NAME[row["metric"]], row["side"])


def footer_html(rt: RoundTable) -> str:
    return provenance_footer(rt.snapshot, {"school_year": rt.school_year, "county": rt.county,
                                           "min_peers": rt.rules.min_peers}, rt.demo)
