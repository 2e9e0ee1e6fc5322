"""How far shown small-group medians lie from the plain median of the same districts: the rules in force
against the first rule (whole-rank smoothing, no truthfulness test), measured on one warehouse in one run.

    python -m benchmarks.timing.truthful [WAREHOUSE]    (make real-truth: the real Illinois data)
"""

from __future__ import annotations

import sys
from contextlib import contextmanager

import numpy as np
import pandas as pd

from benchmarks.formats import display_value
from benchmarks.privacy import disclosure
from benchmarks.privacy.rules import Rules
from benchmarks.registry.groups import group_codes
from benchmarks.registry.metrics import METRIC_BY_NAME
from benchmarks.stats.loo import Others

#: The metrics measured: the two every public-data import has.
MEASURED = ("bandwidth_kbps_per_student", "cost_per_mbps_usd")


def distances(dm: pd.DataFrame, rules: Rules, kind: str = "county") -> pd.DataFrame:
    """Per district and measured metric with a shown figure: its status, how far (share of the plain median)
    the shown median, or the band, lies from the plain median of the others, whether the shown median sits
    on the other side of the district's own value from the plain one, and whether the page's words do."""
    codes, _ = group_codes(dm, kind)
    rows = []
    for name in MEASURED:
        m = METRIC_BY_NAME[name]
        v = dm[name].to_numpy(dtype="float64", na_value=np.nan)
        got = disclosure.shown_arrays(codes, v, m, rules)
        plain = display_value(m, Others(codes, v).quantile(0.5))
        shown, lo, hi = (display_value(m, got[k]) for k in ("show_median", "band_low", "band_high"))
        own = display_value(m, v)
        for i in np.flatnonzero((got["status"] != disclosure.NONE) & np.isfinite(plain)):
            band = got["status"][i] == disclosure.BAND
            near = (lo[i], hi[i]) if band else (shown[i], shown[i])
            off = 0.0 if near[0] <= plain[i] <= near[1] else min(abs(near[0] - plain[i]), abs(near[1] - plain[i]))
            figure = {k: got[k][i] for k in ("status", "show_p25", "show_median", "show_p75", "band_low", "band_high")}
            side = disclosure.group_figures({**figure, "n": int(got["n"][i])}, rules, name).place(v[i]).side
            rows.append({"metric": name, "status": str(got["status"][i]), "off": off / abs(plain[i]) if plain[i] else 0.0,
                         "figure_wrong_side": bool((own[i] > near[1] and own[i] < plain[i])
                                                   or (own[i] < near[0] and own[i] > plain[i])),
                         "words_wrong_side": (side == "above" and own[i] <= plain[i])
                         or (side == "below" and own[i] >= plain[i]),
                         "pseudonym": dm["pseudonym"].iloc[i]})
    return pd.DataFrame(rows)


@contextmanager
def first_rule():
    """The rule before truthfulness: whole-rank smoothing (h-1, h, h+1) and no test against the plain figure."""
    smoothed, truthful = Others.smoothed, disclosure.truthful

    def whole_rank(self, q):
        h = q * (np.maximum(self.n, 1) - 1)
        return (self.at(h - 1) + self.at(h) + self.at(h + 1)) / 3.0

    Others.smoothed = whole_rank
    disclosure.truthful = lambda m, shown, plain, rules: np.ones(np.shape(shown), bool)
    try:
        yield
    finally:
        Others.smoothed, disclosure.truthful = smoothed, truthful


def summary(d: pd.DataFrame) -> str:
    wrong = d[d["figure_wrong_side"]]
    return (f"{len(d)} figures; off the plain median: median {d['off'].median():.1%}, 95th percentile "
            f"{d['off'].quantile(0.95):.1%}, max {d['off'].max():.1%}, more than 10% off {(d['off'] > 0.1).mean():.1%}; "
            f"shown figure across the district's own value from the plain median: {len(wrong)} "
            f"({wrong['pseudonym'].nunique()} districts); words on the wrong side: {int(d['words_wrong_side'].sum())}; "
            "statuses: " + ", ".join(f"{m.split('_')[0]} {s} {n}" for (m, s), n in d.groupby(["metric", "status"]).size().items()))


def main(argv: list[str]) -> None:
    from benchmarks.config import resolve_warehouse
    from benchmarks.privacy.rules import rules_of
    from benchmarks.warehouse.store import connect

    with connect(resolve_warehouse(argv[0] if argv else ""), read_only=True) as con:
        dm = con.execute("SELECT * FROM district_metrics").df()
        rules = rules_of(con)
    for year, frame in dm.groupby("school_year"):
        frame = frame.reset_index(drop=True)
        print(f"{year}, county medians of the other districts (rules in force: {rules.tolerance:.0%} tolerance)")
        print("  now:   " + summary(distances(frame, rules)))
        with first_rule():
            print("  first: " + summary(distances(frame, rules)))


if __name__ == "__main__":
    main(sys.argv[1:])
