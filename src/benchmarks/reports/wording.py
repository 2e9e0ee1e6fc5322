"""Verdict and rank wording: how every report says where a figure stands and how it moved, in one place."""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from benchmarks.formats import rank_share
from benchmarks.registry.groups import PEER_GROUPS
from benchmarks.registry.metrics import METRIC_BY_NAME

# --- where a figure stands against its peers ---------------------------------------------------------------

#: The district report's verdicts: a symbol and words, so that no reader depends on colour.
VERDICTS = {
    "better": ("✓", "Better than most"),
    "typical": ("●", "Typical"),
    "behind": ("!", "Behind most"),
    "above": ("↑", "Above most"),
    "below": ("↓", "Below most"),
    "unclear": ("–", "Too few to tell"),
    "missing": ("–", "No comparison"),
}
#: The initiative check's verdict on a planned value, by the same keys.
PLAN_VERDICTS = {
    "better": "Ahead of most peers",
    "typical": "In line with peers",
    "behind": "Behind most peers",
    "above": "More than most peers",
    "below": "Less than most peers",
    "unclear": "Too few peers to tell",
    "missing": "No comparison",
}
#: How a planned value compares with today's peers, in a sentence, by the same keys.
PLAN_STANDING = {
    "better": "ahead of most of them",
    "typical": "in line with them: the difference from their median is within noise",
    "behind": "behind most of them",
    "above": "more than most of them",
    "below": "less than most of them",
    "unclear": "too few of them to call a difference",
}


def verdict_key(direction: str, median_vs) -> str:
    """The verdict of a value against its peers (median_vs: where it lies against the 95% interval on their
    median, see stats.peers.median_verdict): better or behind only outside the noise; a metric without a
    better direction (a refresh cycle) is only above or below most; "unclear" with too few others."""
    if median_vs == "within":
        return "typical"
    if median_vs not in ("above", "below"):
        return "unclear"
    if direction == "neutral":
        return median_vs
    return "better" if median_vs == ("above" if direction == "higher" else "below") else "behind"


def verdict_of(metric_name: str, row) -> str:
    """The report's verdict key of a peer_stats row of its reference group ("missing": no group to compare
    with, or no own value)."""
    if row is None or not np.isfinite(row["value"]):
        return "missing"
    return verdict_key(METRIC_BY_NAME[metric_name].direction, row.get("median_vs"))


def plan_verdict(direction: str, median_vs, group_kind) -> str:
    """The verdict key of a planned value ("missing": no peer group to compare with)."""
    return "missing" if group_kind is None else verdict_key(direction, median_vs)


def verdict_label(direction: str, median_vs, group_kind) -> str:
    """A short verdict for a planned value against today's peers, with the same noise rule as the report."""
    return PLAN_VERDICTS[plan_verdict(direction, median_vs, group_kind)]


def plan_standing(direction: str, median_vs) -> str:
    """How a planned value compares with today's peers, for a sentence."""
    return PLAN_STANDING[verdict_key(direction, median_vs)]


def noise_phrase(direction: str, verdict, n: int) -> str:
    """The parenthetical verdict of a standing sentence: a district is called better or behind only when
    its value lies outside the 95% interval on the peers' median (see peers.median_verdict)."""
    if direction == "neutral":
        return ""
    key = verdict_key(direction, verdict)
    if key == "better":
        return " (better than most)"
    if key == "behind":
        return " (behind most)"
    if key == "typical":
        return " (typical: within noise of their median)"
    return f" (too few others, {int(n)}, to call a difference)"


# --- rank among the peers ----------------------------------------------------------------------------------


def rank_words(pct_better: float, direction: str) -> tuple[str, str]:
    """("Higher" or "Lower", "8 in 10") for where a value ranks among its peers (pct_better: the
    direction-aware share it beats, 0-100); the ends read "nearly all" rather than "10 in 10", which would
    say first or last."""
    below = rank_share(pct_better, direction)
    word, share = ("Higher", below) if below >= 0.5 else ("Lower", 1 - below)
    tenths = int(round(share * 10))
    return word, "nearly all" if tenths >= 10 else f"{tenths} in 10"


def rank_phrase(pct_better: float, direction: str) -> str:
    """The rank in a few words: "higher than 8 in 10", "lower than nearly all"."""
    word, share = rank_words(pct_better, direction)
    return f"{word.lower()} than {share}"


def standing_sentence(metric_name: str, row: Mapping | None) -> str:
    """Plain words for where the district stands against its reference group, e.g.
    "Higher devices per student than 7 in 10 districts in your county (better than most)".

    "Better than most" / "behind most" only when the value is outside the 95% interval on the peers'
    median (row["median_vs"]); otherwise the difference is within noise and called typical."""
    m = METRIC_BY_NAME[metric_name]
    if row is None:
        return "Too few other districts reported this to compare."
    if not np.isfinite(row["value"]):
        return "Not reported this year."
    word, share = rank_words(row["pct_better"], m.direction)
    noun = m.noun or m.label.lower()
    text = f"{word} {noun} than {share} {PEER_GROUPS[row['group_kind']].phrase}"
    return text + noise_phrase(m.direction, row.get("median_vs"), row["n"]) + "."


def standing_short(metric_name: str, row: Mapping | None) -> str:
    """The summary's few words, "lower than 8 in 10" (the group is named beside its median)."""
    if row is None:
        return "too few others reported this"
    if not np.isfinite(row["value"]):
        return "not reported this year"
    return rank_phrase(row["pct_better"], METRIC_BY_NAME[metric_name].direction)


def takeaway(card: pd.DataFrame) -> str:
    """A section's finding in a few words, from its rows' verdicts: "better than most on 2 of 5 measures"."""
    directed = card[card["metric"].map(lambda n: METRIC_BY_NAME[n].direction != "neutral")]
    counts = directed["verdict"].value_counts()
    better, behind = int(counts.get("better", 0)), int(counts.get("behind", 0))
    parts = []
    if better:
        parts.append(f"better than most on {better} of {len(directed)} measures")
    if behind:
        parts.append(f"behind most on {behind}" + ("" if better else f" of {len(directed)} measures"))
    if parts:
        return ", ".join(parts)
    return "typical of your peers" if counts.get("typical", 0) else "too few peers to tell"


# --- how a figure moved since last year (the board) --------------------------------------------------------

#: How a move reads, by the metric's direction: better, worse, or (neutral metrics) only which way it went.
CHANGE_VERDICTS = {("higher", "up"): "improved", ("higher", "down"): "worsened", ("lower", "up"): "worsened",
                   ("lower", "down"): "improved", ("neutral", "up"): "up", ("neutral", "down"): "down"}
#: Which way a figure moved, in a shape as well as a word (the page never relies on colour).
CHANGE_SYMBOLS = {"up": "▲", "down": "▼", "little": "●"}
#: How a move of the share of districts meeting a goal reads.
GOAL_READINGS = {"up": "more districts", "down": "fewer districts", "little": "no change"}


def change_verdict(direction: str, movement: str) -> str:
    """What a move (up, down, little; "" when there is none to tell) means for a metric: improved,
    worsened, little change; only up or down for a metric without a better direction."""
    if not movement:
        return ""
    return "little change" if movement == "little" else CHANGE_VERDICTS[(direction, movement)]


def symbols_legend() -> str:
    """The key to the movement symbols: "▲ up, ▼ down, ● little change"."""
    s = CHANGE_SYMBOLS
    return f"{s['up']} up, {s['down']} down, {s['little']} little change"
