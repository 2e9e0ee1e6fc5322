"""The analyst's exploration of a state (notebooks/explore_state.ipynb): every district's own figures, for the
analyst only; nothing here is sent to a district or the board, and the batch never renders it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from benchmarks.config import resolve_warehouse
from benchmarks.registry.metrics import METRICS
from benchmarks.warehouse.store import connect, has_table

#: How the figures are split in the exploration plots (columns of district_metrics).
SPLITS = ("size_band", "locale", "school_year")


def metrics_long(warehouse: Path | str = "") -> pd.DataFrame:
    """Every district's metric values, one row per district, year and metric: pseudonym, school_year, state,
    locale, size_band, metric (its label) and value."""
    with connect(resolve_warehouse(warehouse), read_only=True) as con:
        wide = con.execute("SELECT * FROM district_metrics").df()
    long = wide.melt(id_vars=["pseudonym", "school_year", "state", "locale", "size_band"],
                     value_vars=[m.name for m in METRICS if m.name in wide], var_name="metric").dropna(
        subset=["value"])
    long["metric"] = long["metric"].map({m.name: m.label for m in METRICS})
    return long.sort_values(["metric", "school_year", "pseudonym"]).reset_index(drop=True)


def distributions(long: pd.DataFrame, by: str):
    """One box plot per metric of its values split by `by` (one of SPLITS): a seaborn FacetGrid."""
    import seaborn as sns

    grid = sns.catplot(long, x=by, y="value", col="metric", col_wrap=4, kind="box", sharey=False, sharex=True,
                       height=2.6, order=sorted(long[by].dropna().unique()))
    grid.set_titles("{col_name}")
    grid.tick_params(axis="x", rotation=45)
    return grid


def year_changes(long: pd.DataFrame) -> pd.DataFrame:
    """Each district's change of each metric from its previous school year: pseudonym, metric, school_year,
    before, value and ratio (value / before; missing where before is 0)."""
    rows = long.sort_values("school_year")
    rows = rows.assign(before=rows.groupby(["pseudonym", "metric"])["value"].shift())
    rows = rows.dropna(subset=["before"])
    rows["ratio"] = rows["value"] / rows["before"].where(rows["before"] > 0)
    return rows[["pseudonym", "metric", "school_year", "before", "value", "ratio"]].reset_index(drop=True)


def changes_plot(changes: pd.DataFrame):
    """The year-over-year ratios of every metric on a log scale (1 = unchanged): a seaborn FacetGrid."""
    import seaborn as sns

    grid = sns.displot(changes.dropna(subset=["ratio"]).query("ratio > 0"), x="ratio", col="metric", col_wrap=4,
                       log_scale=True, height=2.6, facet_kws={"sharey": False})
    grid.set_titles("{col_name}")
    return grid


def flagged(warehouse: Path | str = "") -> pd.DataFrame:
    """The values accepted and flagged at intake for their district to confirm: school year, file row, columns
    and why (counts by reason with flag_counts)."""
    with connect(resolve_warehouse(warehouse), read_only=True) as con:
        if not has_table(con, "flags"):
            return pd.DataFrame(columns=["school_year", "source_row", "column_name", "reason"])
        return con.execute("""
            SELECT DISTINCT s.school_year, f.source_row, f.column_name, f.reason
            FROM flags f LEFT JOIN submissions s ON s.source_sha256 = f.source_sha256 AND s.source_row = f.source_row
            ORDER BY 1, 2, 3""").df()


def flag_counts(flags: pd.DataFrame):
    """The flags counted by school year and reason: a seaborn bar chart (its Axes)."""
    import seaborn as sns

    counts = flags.groupby(["school_year", "reason"]).size().rename("values").reset_index()
    ax = sns.barplot(counts, y="reason", x="values", hue="school_year")
    ax.set(xlabel="values flagged", ylabel="")
    return ax
