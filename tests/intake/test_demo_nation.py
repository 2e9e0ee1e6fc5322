"""The demo nation: 50 demo-shaped states of skewed sizes, every district once, files that pass intake."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from benchmarks.cli import main
from benchmarks.intake.demo import DEMO_COUNTY, NATION_DISTRICTS, SCHOOL_YEARS, generate, generate_nation, write_demo
from benchmarks.intake.validate import check_file
from benchmarks.registry.metrics import STATES


@pytest.fixture(scope="module")
def nation() -> pd.DataFrame:
    return generate_nation()


def test_a_nation_of_fifty_states_holds_every_district_once_a_year(nation):
    latest = nation[nation["school_year"] == SCHOOL_YEARS[-1]]
    assert len(latest) == NATION_DISTRICTS == 13_000 and len(nation) == 3 * 13_000
    assert latest["district_id"].is_unique and latest["district_id"].str.fullmatch(r"99\d{5}").all()
    per_state = latest.groupby("state").size()
    assert len(per_state) == 50 and set(per_state.index) <= set(STATES)
    assert not set(per_state.index) & {"DC", "PR", "GU", "VI", "AS", "MP", "PS"}  # states only
    assert per_state.min() >= 100 and per_state.max() >= 3 * per_state.median()  # skewed like the real ones
    # a district stays in its state and keeps its id from year to year
    assert (nation.groupby("district_id")["state"].nunique() == 1).all()
    assert (nation.groupby("district_id")["school_year"].nunique() == 3).all()


def test_each_state_keeps_the_demo_small_counties(nation):
    latest = nation[nation["school_year"] == SCHOOL_YEARS[-1]]
    for state, rows in latest.groupby("state"):
        sizes = rows.groupby("county").size()
        assert sizes[DEMO_COUNTY] == 9, state
        assert {1, 2, 3, 4, 5} <= set(sizes), state
        # the metro county is the biggest, a sixth of the state
        assert sizes.max() == max(10, round(len(rows) * 140 / 860)), state


def test_the_prairie_state_is_the_default_of_the_state_generator():
    # the nation's states come from the same generator; its defaults are still the shipped demo
    ps = generate()
    assert len(ps) == 3 * 860 and (ps["state"] == "PS").all()
    small = generate(seed=7, state="VT", districts=120)
    assert len(small) == 3 * 120 and (small["state"] == "VT").all()


def test_nation_files_pass_intake_as_they_are(tmp_path):
    frame = generate_nation(states=4, districts=600)
    files = write_demo(tmp_path, frame=frame)
    checked = check_file(files[-1].read_bytes(), files[-1].name)
    assert len(checked.accepted) == 600 and not checked.problems
    assert sorted(checked.accepted["state"].unique()) == sorted(frame["state"].unique())


@pytest.mark.parametrize("states, districts", [(51, 13_000), (50, 4_999), (2, 6_000)])
def test_a_nation_that_cannot_be_made_is_refused(states, districts):
    with pytest.raises(ValueError, match="a demo nation has 1 to 50 states of 100 to 2500 districts"):
        generate_nation(states=states, districts=districts)


def test_the_command_writes_a_nation_only_where_it_is_told(tmp_path):
    runner = CliRunner()
    refused = runner.invoke(main, ["--root", str(tmp_path / "p"), "demo-data", "--nation", "3"])
    assert refused.exit_code == 2 and "--out FOLDER" in refused.output
    assert not (tmp_path / "p" / "data" / "demo").exists()
    done = runner.invoke(main, ["--root", str(tmp_path / "p"), "demo-data", "--nation", "3", "--districts", "450",
                                "--out", str(tmp_path / "nation")])
    assert done.exit_code == 0, done.output
    latest = pd.read_csv(tmp_path / "nation" / f"submissions_{SCHOOL_YEARS[-1]}.csv", dtype=str)
    assert len(latest) == 450 and latest["state"].nunique() == 3
    bad = runner.invoke(main, ["demo-data", "--nation", "3", "--districts", "50", "--out", str(tmp_path / "x")])
    assert bad.exit_code == 2 and "not 50 districts in 3 states" in bad.output
