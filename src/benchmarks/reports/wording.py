"""Verdict and placement wording: how every report says where a figure stands and how it moved, in one place."""

from __future__ import annotations

import pandas as pd

from benchmarks.privacy.figures import GroupFigures, Placement
from benchmarks.registry.groups import PEER_GROUPS
from benchmarks.registry.metrics import METRIC_BY_NAME, Metric


# --- where a figure stands against its peers ---------------------------------------------------------------

#: The district report's verdicts: a symbol and words, so that no reader depends on colour. "Most" is said
#: only outside the peers' shown middle half; a small group shows only its median, so the verdict is its side;
#: within the rules' tolerance of the shown median (5%) a figure is "about the median".
VERDICTS = {
    "better": ("✓", "Better than most"),
    "typical": ("●", "Typical"),
    "behind": ("!", "Behind most"),
    "above": ("↑", "Above most"),
    "below": ("↓", "Below most"),
    "better_median": ("↗", "Better than the median"),
    "behind_median": ("↘", "Behind the median"),
    "above_median": ("↗", "Above the median"),
    "below_median": ("↘", "Below the median"),
    "at_median": ("●", "About the median"),
    "missing": ("–", "No comparison"),
    "unreported": ("–", "Not reported"),
}
#: The initiative check's verdict on a planned value, by the same keys.
PLAN_VERDICTS = {
    "better": "Ahead of most peers",
    "typical": "In line with peers",
    "behind": "Behind most peers",
    "above": "More than most peers",
    "below": "Less than most peers",
    "better_median": "Ahead of the peers' median",
    "behind_median": "Behind the peers' median",
    "above_median": "Above the peers' median",
    "below_median": "Below the peers' median",
    "at_median": "About the peers' median",
    "missing": "No comparison",
    "unreported": "No value given",
}
#: The initiative check's verdict on a planned value in the target year: against the peers' projected median.
TARGET_VERDICTS = {
    "better_median": "Ahead of the peers' projected median",
    "behind_median": "Behind the peers' projected median",
    "above_median": "Above the peers' projected median",
    "below_median": "Below the peers' projected median",
    "at_median": "About the peers' projected median",
    "missing": "No projection",
    "unreported": "No value given",
}


def verdict_key(direction: str, place: Placement) -> str:
    """The verdict of a placement (GroupFigures.place): better or behind most only outside the shown middle
    half, typical inside it; against a median or band alone, only its side; a metric without a better
    direction (a refresh cycle) is only above or below."""
    if place.against in ("none", "missing"):
        return "missing"
    if place.side == "at" or (place.against == "quartiles" and not place.beyond):
        return "at_median" if place.against != "quartiles" else "typical"
    good = place.side == ("above" if direction == "higher" else "below")
    word = place.side if direction == "neutral" else "better" if good else "behind"
    return word if place.against == "quartiles" else f"{word}_median"


def standing_of(m: Metric, fig: GroupFigures, kind: str | None, value: float,
                phrase: str = "") -> tuple[str, str, str]:
    """(verdict key, few words, sentence) for a value against one group's shown figures, e.g. ("better",
    "above the middle half", "Higher devices per student than most districts in your county: above their
    middle half (1.05–1.31 devices)."). Every word follows from the shown figures and the value (see
    GroupFigures.place), so no number of questions teaches more than the page shows. phrase: how a sentence
    names the group, when it is not a peer group's (all districts in the data)."""
    place = fig.place(value)
    key = verdict_key(m.direction, place)
    if place.against == "missing":
        return "unreported", "", "Not reported this year."
    if place.against == "none" or kind is None:
        return "missing", "too few others reported this", "Too few other districts reported this to compare."
    return key, placement_words(place), placement_sentence(m, fig, place, phrase or PEER_GROUPS[kind].phrase)


def placement_words(place: Placement) -> str:
    """A placement in a few words: "above the middle half", "in the middle half, below the median"."""
    if place.against == "band":
        return "within the band" if place.side == "at" else f"{place.side} the band"
    side = "about" if place.side == "at" else place.side
    if place.against == "quartiles":
        return f"{place.side} the middle half" if place.beyond else f"in the middle half, {side} the median"
    return f"{side} the median"


def placement_sentence(m: Metric, fig: GroupFigures, place: Placement, group: str) -> str:
    """A placement in a sentence that quotes the shown figures it rests on."""
    noun = m.noun or m.label.lower()
    more = {"above": "Higher", "below": "Lower"}.get(place.side, "")
    if place.against == "band":
        if place.side == "at":
            return f"{noun[0].upper() + noun[1:]} within the band of {group} ({fig.centre_text})."
        return f"{more} {noun} than {group}, whose median lies in {fig.centre_text}."
    if place.side == "at":
        within = f", within their middle half ({fig.middle_text})" if place.against == "quartiles" else ""
        return f"{noun[0].upper() + noun[1:]} about the median of {group} ({fig.centre_text}){within}."
    if place.against == "quartiles":
        if place.beyond:
            return f"{more} {noun} than most {group}: {place.side} their middle half ({fig.middle_text})."
        return (f"{more} {noun} than the median of {group} ({fig.centre_text}), within their middle half "
                f"({fig.middle_text}).")
    return (f"{more} {noun} than the median of {group} ({fig.centre_text}); with {fig.n} of them, too few to "
            "show their middle half.")


#: The verdicts a section's takeaway counts, in the order it names them.
TAKEAWAY_WORDS = {"better": "better than most", "behind": "behind most", "better_median": "better than the median",
                  "behind_median": "behind the median"}


def takeaway(card: pd.DataFrame) -> str:
    """A section's finding in a few words, from its rows' verdicts: "better than most on 2 of 5 measures"
    (of the measures compared)."""
    if (card["verdict"] == "unreported").all():
        return "not reported this year"
    # "of N measures" counts the ones compared: not those left blank, nor those with too few peers
    compared = ~card["verdict"].isin(["missing", "unreported"])
    directed = card[compared & card["metric"].map(lambda n: METRIC_BY_NAME[n].direction != "neutral")]
    counts = directed["verdict"].value_counts()
    parts = [f"{words} on {int(counts[key])}" for key, words in TAKEAWAY_WORDS.items() if counts.get(key, 0)]
    if parts:  # only the sides that occur: "behind most on 2 of 5 measures, behind the median on 1"
        parts[0] += f" of {len(directed)} measure" + ("" if len(directed) == 1 else "s")
        return ", ".join(parts)
    typical = counts.get("typical", 0) + counts.get("at_median", 0)
    return "typical of your peers" if typical else "too few peers to tell"


# --- how a figure moved since last year (the board) --------------------------------------------------------

#: How a move reads, by the metric's direction: better, worse, or (neutral metrics) only which way it went.
#: Units whose figures are spans of time: "a longer refresh cycle", not "a higher" one.
TIME_UNITS = {"years", "hours"}


def comparative(m: Metric, side: str) -> str:
    """The word for a figure above or below another, as a reader says it of this metric: higher/lower, or
    longer/shorter for a span of time (a refresh cycle, the hours to resolve a ticket)."""
    if m.unit in TIME_UNITS:
        return "longer" if side == "above" else "shorter"
    return "higher" if side == "above" else "lower"


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


#: Which way a figure moved, in words beside its symbol: the board's Direction column, apart from its Reading.
DIRECTION_WORDS = {"up": "up", "down": "down", "little": "little change"}


def direction_text(movement: str) -> str:
    """A move as the Direction column shows it: "▲ up", "▼ down", "● little change" ("–" when none)."""
    return f"{CHANGE_SYMBOLS[movement]} {DIRECTION_WORDS[movement]}" if movement else "–"


def symbols_legend() -> str:
    """The key to the movement symbols: "▲ up, ▼ down, ● little change"."""
    s = CHANGE_SYMBOLS
    return f"{s['up']} up, {s['down']} down, {s['little']} little change"
