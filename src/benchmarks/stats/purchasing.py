"""Device purchasing: each district's price per device against its county and state (or, on a custom report,
its custom group), and what its replacements would have cost at that median price (what a joint purchase
agreement aims at)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmarks.registry.groups import FALLBACK_ORDER, first_shown

PRICE = "device_price_usd"
COLUMNS = ["school_year", "pseudonym", "devices_replaced", "device_spend_usd", "price", "county_median",
           "state_median", "reference_kind", "reference_median", "spend_at_reference", "difference"]


def compute_purchasing(current: pd.DataFrame | None, peer_stats: pd.DataFrame) -> pd.DataFrame:
    """One row per school year and district.

    price: the district's own spend per replaced device; county_median and state_median: the published
    medians of the other districts' prices; reference_kind: the county, or the first published group
    along FALLBACK_ORDER when the county has too few others; spend_at_reference: devices_replaced x the
    reference median; difference: actual spend minus spend_at_reference (positive = paid more).
    """
    if current is None or not {"devices_replaced", "device_spend_usd"} <= set(current.columns):
        return pd.DataFrame({c: pd.Series(dtype=object if c in ("school_year", "pseudonym", "reference_kind")
                                          else "float64") for c in COLUMNS})
    ps = peer_stats[peer_stats["metric"] == PRICE]
    wide = ps.pivot_table(index=["school_year", "pseudonym"], columns="group_kind", values="median",
                          aggfunc="first", dropna=False)
    price = ps.drop_duplicates(["school_year", "pseudonym"]).set_index(["school_year", "pseudonym"])["value"]
    out = current[["school_year", "pseudonym", "devices_replaced", "device_spend_usd"]].copy()
    key = pd.MultiIndex.from_frame(out[["school_year", "pseudonym"]])
    out["price"] = price.reindex(key).to_numpy()
    medians = wide.reindex(key)
    out["county_median"] = medians.get("county", pd.Series(np.nan, index=key)).to_numpy()
    out["state_median"] = medians.get("state", pd.Series(np.nan, index=key)).to_numpy()
    shown = {kind: np.isfinite(medians[kind].to_numpy(dtype="float64")) for kind in FALLBACK_ORDER
             if kind in medians}
    ref_kind = first_shown(shown) if shown else np.full(len(out), None, dtype=object)
    ref = np.full(len(out), np.nan)
    for kind in shown:
        ref = np.where(ref_kind == kind, medians[kind].to_numpy(dtype="float64"), ref)
    replaced = pd.to_numeric(out["devices_replaced"], errors="coerce").astype("float64").to_numpy()
    spend = pd.to_numeric(out["device_spend_usd"], errors="coerce").astype("float64").to_numpy()
    counted = np.isfinite(out["price"].to_numpy(dtype="float64"))  # no price: nothing bought or out of range
    out["devices_replaced"] = replaced
    out["device_spend_usd"] = spend
    out["reference_kind"] = ref_kind
    out["reference_median"] = ref
    out["spend_at_reference"] = np.where(counted, replaced * ref, np.nan)
    out["difference"] = np.where(counted, spend - replaced * ref, np.nan)
    return out[COLUMNS].reset_index(drop=True)


def against_group(row: dict, kind: str, median: float) -> dict:
    """A district's purchasing row (compute_purchasing) priced against another group's median instead: a
    custom group's, for a custom report. median: the median the report shows of that group (NaN when it
    shows none: then the row keeps its stored reference). The group's median is kept as `<kind>_median`."""
    if not row:
        return {}
    out = dict(row, **{f"{kind}_median": median})
    if not np.isfinite(median):
        return out
    replaced = float(out.get("devices_replaced", np.nan))
    counted = np.isfinite(float(out.get("price", np.nan)))
    at = replaced * median if counted else np.nan
    return dict(out, reference_kind=kind, reference_median=median, spend_at_reference=at,
                difference=float(out.get("device_spend_usd", np.nan)) - at if counted else np.nan)
