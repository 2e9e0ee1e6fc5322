"""The audit reads every file under reports/<year>/ that a district could be sent, any type, decodes charts
back to the values they draw, and reads all of one district's files together: each rule broken on purpose
in such a file is found, and the real charts carry nothing finer than the text."""

from __future__ import annotations

import base64
import json
import struct
import zlib

import numpy as np
import pytest

from benchmarks.config import Paths
from benchmarks.formats import scale
from benchmarks.privacy.audit import Truth, audit_files, read_svg, received_files
from benchmarks.privacy.audit.received import owner_of_file, png_text
from benchmarks.registry.metrics import METRICS
from benchmarks.reports.html import tagged

YEAR = "2025-26"
CHART_RULE = "a chart is drawn more precisely than the text"


@pytest.fixture(scope="module")
def truth(demo_project):
    return Truth.load(demo_project)


@pytest.fixture
def linked(demo_project, tmp_path):
    """A project on the demo warehouse and crosswalk with an empty reports/<year>/ folder of its own."""
    p = Paths(tmp_path / "project")
    p.root.mkdir()
    p.data.symlink_to(demo_project.data)
    (p.reports / YEAR).mkdir(parents=True)
    return p


def kestrel(truth) -> list[str]:
    return sorted(truth.group("county", YEAR, county="Kestrel County").index)


def found(p) -> set[tuple[str, str]]:
    return {(f.artifact, f.rule) for f in audit_files(p, YEAR)}


def test_every_file_is_read_and_given_to_the_district_its_name_or_folder_names(linked, truth):
    me = kestrel(truth)[0]
    folder = linked.reports / YEAR
    for name in ("notes.txt", f"executed/district_{me}_custom.ipynb", f".initiative_{me}.html.tmp",
                 f"district_{me}/chart.svg", "data.bin"):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(b"{}" if name.endswith("ipynb") else b"<svg/>" if name.endswith("svg") else b"x")
    owners = {p.relative_to(folder).as_posix(): o for p, o in received_files(folder)}
    assert owners == {"notes.txt": None, "data.bin": None, f"executed/district_{me}_custom.ipynb": me,
                      f".initiative_{me}.html.tmp": me, f"district_{me}/chart.svg": me}
    assert owner_of_file(type(folder)(f"initiative_{me}.json")) == me


def test_a_manifest_listing_every_pseudonym_beside_the_board_is_caught(linked, truth):
    folder = linked.reports / YEAR
    everyone = sorted(truth.year(YEAR).index)
    (folder / "manifest.json").write_text(json.dumps(
        {"format": 1, "reports": {f"district_{p}": {"kind": "district", "ok": True} for p in everyone}}))
    (folder / f"board_summary_{YEAR}.html").write_text("<h1>Board summary</h1>")
    findings = audit_files(linked, YEAR)
    assert {(f.artifact, f.rule) for f in findings} == {
        ("manifest.json", "a district's pseudonym in an artifact that is not its own")}
    assert everyone[0] in findings[0].detail


def test_an_executed_notebook_with_a_peer_list_and_a_path_is_caught(linked, truth):
    me, *peers = kestrel(truth)
    folder = linked.reports / YEAR / "executed"
    folder.mkdir()
    ids = dict(zip(truth.names["pseudonym"], truth.names["district_id"]))
    nb = {"metadata": {"papermill": {"parameters": {"district": me, "custom_peers": [ids[p] for p in peers[:5]],
                                                    "warehouse": "/home/analyst/benchmarks/warehouse.duckdb"}}},
          "cells": [{"cell_type": "code", "source": f"custom_peers = {[ids[p] for p in peers[:5]]}",
                     "metadata": {}, "outputs": [{"output_type": "display_data", "metadata": {},
                                                  "data": {"text/plain": truth.name_of[peers[0]]}}]}]}
    (folder / f"district_{me}_custom.ipynb").write_text(json.dumps(nb))
    rules = {f.rule: f for f in audit_files(linked, YEAR)}
    assert set(rules) == {"a district's ID in an artifact that is not its own",
                          "a district's name in an artifact that is not its own",
                          "a path of the analyst's machine in a file a district may receive"}
    assert rules["a district's ID in an artifact that is not its own"].reader == me
    assert "/home/analyst/benchmarks/warehouse.duckdb" in rules[
        "a path of the analyst's machine in a file a district may receive"].detail


def _png(**text: str) -> bytes:
    """A 1x1 PNG with tEXt chunks."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
            + b"".join(chunk(b"tEXt", k.encode() + b"\0" + v.encode()) for k, v in text.items())
            + chunk(b"IDAT", zlib.compress(b"\0\0")) + chunk(b"IEND", b""))


def test_names_in_png_text_binary_bytes_and_plain_text_are_caught(linked, truth):
    a, b, c = kestrel(truth)[:3]
    folder = linked.reports / YEAR
    (folder / "chart.png").write_bytes(_png(Title=f"Devices of {truth.name_of[a]}"))
    assert png_text((folder / "chart.png").read_bytes()) == [f"Title Devices of {truth.name_of[a]}"]
    (folder / "export.bin").write_bytes(b"\x00\x01\xff" + truth.name_of[b].encode() + b"\x00\x02")
    (folder / "readme.txt").write_text(f"see district_{c}.html")
    assert found(linked) == {("chart.png", "a district's name in an artifact that is not its own"),
                             ("export.bin", "a district's name in an artifact that is not its own"),
                             ("readme.txt", "a district's pseudonym in an artifact that is not its own")}


def _district_chart(demo_project, reader: str, monkeypatch, guard: bool) -> str:
    """A district's peer chart as its page embeds it, with the rounding guard on or off."""
    import benchmarks.reports.plots as plots
    from benchmarks.privacy.disclosure import displayable
    from benchmarks.reports.district import iter_district_reports

    if not guard:  # drawn unrounded (display units only): the chart carries finer figures than the text
        monkeypatch.setattr(plots, "display_value", lambda m, x: np.asarray(x, dtype="float64") * scale(m) + 0.0)
    [rep] = iter_district_reports(demo_project.warehouse, YEAR, [reader])
    names = [m.name for m in METRICS]
    return plots.figure_html(plots.peer_band_figure(displayable(rep.stats), names), "Peer chart")


def test_a_chart_drawn_at_exact_medians_is_caught_and_the_real_one_is_not(demo_project, linked, truth,
                                                                          monkeypatch):
    me = kestrel(truth)[0]
    page = linked.reports / YEAR / f"district_{me}.html"
    page.write_text(f"<h1>{truth.name_of[me]}</h1>" + _district_chart(demo_project, me, monkeypatch, True))
    assert audit_files(linked, YEAR) == []
    page.write_text(f"<h1>{truth.name_of[me]}</h1>" + _district_chart(demo_project, me, monkeypatch, False))
    leaks = [f for f in audit_files(linked, YEAR) if f.rule == CHART_RULE]
    assert len(leaks) >= 12 and all(f.reader == me for f in leaks)
    # the smoothed county median of devices per student, read back from the chart to far beyond 2 decimals
    stats = truth.stats[truth.stats["metric"] == "devices_per_student"]["value"].to_numpy()
    detail = next(f.detail for f in leaks if "devices_per_student" in f.detail)
    assert "group statistic's exact value" in detail or "'s figure" in detail
    drawn = float(detail.split("a mark at ")[1].split(",")[0])
    assert np.isclose(stats, drawn, rtol=1e-5).any() and round(drawn, 2) != drawn


def test_an_svg_file_with_an_exact_median_is_caught(linked, truth):
    """A hand-made SVG (no matplotlib) with ticks at 1.0 and 1.2 and a median tick drawn at a group's exact
    median: decoded from the tick positions, caught; the same tick at the rounded median is not."""
    exact = next(v for v in truth.stats.loc[truth.stats["metric"] == "devices_per_student", "value"]
                 if 1.0 < v < 1.2 and abs(v - round(v, 2)) > 1e-3)

    def svg(value: float) -> str:
        px = 100 + (value - 1.0) / 0.2 * 200
        ticks = "".join(f"<g id='xtick_{i}'><g><use xlink:href='#t' x='{100 + 200 * i}' y='50'/></g>"
                        f"<g><text x='{100 + 200 * i}' y='60'>{1.0 + 0.2 * i:.1f}</text></g></g>" for i in (0, 1))
        return ("<svg xmlns='http://www.w3.org/2000/svg' xmlns:xlink='http://www.w3.org/1999/xlink'><g id='axes_1'>"
                "<g id='patch_1'><path d='M 50 50 L 350 50 L 350 0 L 50 0 z'/></g>" + ticks
                + f"<g id='line2d_9'><path d='M {px:.6f} 10 L {px:.6f} 40'/></g>"
                "<text x='50' y='-5'>Devices per student (devices)</text></g></svg>")

    texts, marks = read_svg(svg(exact))
    assert "Devices per student (devices)" in texts and "1.0" not in texts
    assert any(abs(m.value - exact) < 1e-6 for m in marks)
    folder = linked.reports / YEAR
    (folder / "chart.svg").write_text(svg(exact))
    assert found(linked) == {("chart.svg", CHART_RULE)}
    (folder / "chart.svg").write_text(svg(round(exact, 2)))
    (folder / "page.html").write_text("<p>inline</p>" + svg(exact).replace("<svg ", "<svg class='c' ", 1))
    (folder / "uri.html").write_text("<img src='data:image/svg+xml;base64,"
                                     + base64.b64encode(svg(exact).encode()).decode() + "'>")
    assert found(linked) == {("page.html", CHART_RULE), ("uri.html", CHART_RULE)}


def test_a_districts_files_are_read_together(linked, truth):
    """A figure shown as a band in a district's report and as the figure itself in its initiative check (or
    two precisions of it) is found across the two files, though each file alone passes."""
    me = kestrel(truth)[0]
    folder = linked.reports / YEAR
    band = tagged("1.0–1.1 devices", "devices_per_student", "county", "band")
    (folder / f"district_{me}.html").write_text(f"<h1>{truth.name_of[me]}</h1><table><tr>{band}</tr></table>")
    (folder / f"initiative_{me}.html").write_text(
        "<table><tr>" + tagged("1.04 devices", "devices_per_student", "county", "median") + "</tr></table>")
    findings = [f for f in audit_files(linked, YEAR) if f.artifact == "its artifacts together"]
    assert [(f.reader, f.rule) for f in findings] == [(me, "one group's figure shown two ways in a district's files")]
    assert f"district_{me}.html" in findings[0].detail and f"initiative_{me}.html" in findings[0].detail


def test_a_goal_share_of_a_small_group_is_caught(linked, truth):
    sizes = truth.year(YEAR).groupby("county").size()
    seven = sizes[sizes == 7].index.min()
    share = tagged("86%", "devices_per_student", "county", "share", members="all", year=YEAR, county=seven,
                   goal="1")
    (linked.reports / YEAR / f"board_summary_{YEAR}.html").write_text(f"<table><tr>{share}</tr></table>")
    assert found(linked) == {(f"board_summary_{YEAR}.html", "share meeting a goal of fewer than 10 districts")}
