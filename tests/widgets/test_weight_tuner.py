"""WeightTuner, Python side: move sliders the way the front end does (comm ``update`` messages)
and check the model, the charts' data and the saved journey against an independent model."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import threading
import xml.dom.minidom
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cxwidgets as cx
from cxwidgets.journey import CATEGORIES, Journey
from cxwidgets.mis import MISModel
from cxwidgets.widgets import WeightTuner
from tests.widgets.front import Front, send_update

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def data() -> Any:
    return cx.datasets.saas(400, seed=11)


@pytest.fixture
def model(data: Any) -> MISModel:
    return MISModel(Journey.template("saas"), data)


def slide(tuner: WeightTuner, key: str, value: Any) -> None:
    """What the browser sends when a slider handle moves: the tuner's synced ``values``."""
    send_update(tuner, values={**tuner.values, key: value})


def chart_rows(tuner: WeightTuner, level: str) -> dict[str, Any]:
    """The rows the page draws for the chart of ``level`` (the synced trait ``views``)."""
    return {r["label"]: r for r in tuner.views[level]["rows"]}


def spec_rows(tuner: WeightTuner, level: str) -> dict[str, Any]:
    """The rows of the same chart as exported (its altair spec)."""
    spec = tuner.charts[level].spec
    values = spec["layer"][0]["data"]["values"] if "data" not in spec else spec["data"]["values"]
    return {r["label"]: r for r in values}


def in_own_loop(coro: Any) -> None:
    """Run ``coro`` in an event loop of its own thread, as a kernel runs a cell in its loop (the
    test process may already have a loop running in the main thread, e.g. Playwright's)."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(coro)
        except BaseException as err:  # noqa: BLE001 - re-raised in the test's thread
            errors.append(err)

    t = threading.Thread(target=run)
    t.start()
    t.join(30)
    if errors:
        raise errors[0]


def independent(journey: Journey, data: Any, **mis: Any) -> MISModel:
    """A fresh model built from a journey file with the settings in it: no fast path shared."""
    return MISModel(Journey.from_yaml(journey.with_mis(**mis).to_yaml()), data)


def test_category_slider_sets_the_model_and_the_charts_match_a_fresh_model(model: MISModel, data: Any) -> None:
    tuner = WeightTuner(model, debounce=0)
    slide(tuner, "category:outcome", 3.0)
    assert model.category_weights["outcome"] == 3.0
    expected = independent(model.journey, data, category_weights={**model.journey.mis.category_weights, "outcome": 3.0})
    for level, key in (("moment", "moment"), ("stage", "stage"), ("segment", "segment")):
        rows = chart_rows(tuner, level)
        for r in expected.score(level).iter_rows(named=True):
            assert rows[r[key]]["mis"] == pytest.approx(r["mis"], abs=1e-3)
            assert rows[r[key]]["status"] == r["status"]
    assert tuner.updates == 1


def test_signal_role_and_segment_sliders(model: MISModel, data: Any) -> None:
    tuner = WeightTuner(model, debounce=0)
    key = "Quarterly Business Review/QBR NPS"
    slide(tuner, f"signal:{key}", 0.5)
    slide(tuner, "role:executive", 2.5)
    slide(tuner, "segment:enterprise", 0.2)
    assert model.signal_weights[key] == 0.5
    assert model.role_multipliers["executive"] == 2.5
    assert model.segment_multipliers["enterprise"] == 0.2
    j = model.journey.update_signal("Quarterly Business Review", "QBR NPS", weight=0.5)
    ref = independent(
        j,
        data,
        role_multipliers={**model.journey.mis.role_multipliers, "executive": 2.5},
        segment_multipliers={"enterprise": 0.2},
    )
    got = chart_rows(tuner, "stage")
    for r in ref.score("stage").iter_rows(named=True):
        assert got[r["stage"]]["mis"] == pytest.approx(r["mis"], abs=1e-3)


def test_a_refused_setting_shows_a_message_and_keeps_the_last_good_state(model: MISModel) -> None:
    tuner = WeightTuner(model, debounce=0)
    before = chart_rows(tuner, "moment")
    for c in ("experience", "operational", "behavioral"):
        slide(tuner, f"category:{c}", 0.0)
    good = chart_rows(tuner, "moment")
    slide(tuner, "category:outcome", 0.0)  # all four at 0: nothing can be scored
    assert "all four category weights are 0" in tuner.error
    assert "all four category weights are 0" in tuner.message and tuner.message_kind == "error"
    assert tuner.sliders["category:outcome"].value == 1.0  # sprang back
    assert model.category_weights["outcome"] == 1.0
    assert chart_rows(tuner, "moment") == good != before


def test_user_text_in_messages_is_escaped(data: Any) -> None:
    journey = Journey.template("saas").rename_moment("Renewal Decision", XSS)
    responses = data.responses.with_columns(pl.col("moment").replace("Renewal Decision", XSS))
    tuner = WeightTuner(MISModel(journey, dataclasses.replace(data, responses=responses)), debounce=0)
    sliders = [k for k in tuner.sliders if k.startswith(f"signal:{XSS}/")]
    assert sliders
    for k in sliders:
        slide(tuner, k, 0.0)
    assert XSS in tuner.error  # the model names the moment ...
    assert XSS in tuner.message  # ... and the page gets it as text: the module sets textContent only
    code = "\n".join(line for line in tuner._esm.splitlines() if not line.lstrip().startswith("//"))
    assert "innerHTML" not in code and "insertAdjacentHTML" not in code and "outerHTML" not in code
    # slider labels are plain descriptions, drawn as text
    assert not any(s.description_allow_html for s in tuner.sliders.values())
    assert any(r.get("heading") == XSS for s in tuner.sections for r in s["rows"])


def test_rank_changes_since_reset(model: MISModel, data: Any) -> None:
    tuner = WeightTuner(model, debounce=0)
    base = model.score("moment")
    order0 = [r["moment"] for r in sorted(base.iter_rows(named=True), key=lambda r: -r["mis"])]
    # push the lowest-ranked moment up: weight its signals' category far above the others
    slide(tuner, "category:operational", 0.0)
    slide(tuner, "category:behavioral", 0.0)
    now = model.score("moment")
    order1 = [
        r["moment"] for r in sorted(now.filter(now["mis"].is_not_null()).iter_rows(named=True), key=lambda r: -r["mis"])
    ]
    expected = {m: order0.index(m) - order1.index(m) for m in order1 if order0.index(m) != order1.index(m)}
    assert expected, "the test needs a change of rank"
    assert tuner.rank_changes == expected
    rows = chart_rows(tuner, "moment")
    for m, d in expected.items():
        assert rows[m]["change"] == d
        assert ("▲" if d > 0 else "▼") + str(abs(d)) in rows[m]["text"]
    assert "Changed rank" in tuner.ranks
    tuner.reset()
    assert tuner.rank_changes == {}
    assert model.category_weights == dict(model.journey.mis.category_weights)
    assert tuner.sliders["category:operational"].value == 1.0


def test_save_config_reloads_equal_and_scores_the_same(model: MISModel, data: Any, tmp_path: Path) -> None:
    tuner = WeightTuner(model, debounce=0, path=tmp_path / "tuned.yaml")
    slide(tuner, "category:experience", 1.7)
    slide(tuner, "signal:Advocacy Ask/Promoter activation", 2.2)
    front = Front(tuner)
    assert front.request("save")["ok"]  # the "Save config" button
    assert "Saved to" in tuner.message and tuner.message_kind == "ok"
    saved = Journey.load(tmp_path / "tuned.yaml")
    assert saved == model.to_journey()
    again = MISModel(saved, data).score("moment")
    assert again["mis"].to_list() == pytest.approx(model.score("moment")["mis"].to_list(), abs=1e-9)
    # a save that fails says so and loses nothing
    send_update(tuner, path=str(tmp_path / "no-such-dir" / "x.yaml"))  # typed in the page
    front.request("save")
    assert "Not saved" in tuner.message and tuner.message_kind == "error"
    assert Journey.load(tmp_path / "tuned.yaml") == saved


def test_slider_moves_are_debounced_and_the_last_one_lands(model: MISModel) -> None:
    tuner = WeightTuner(model, debounce=0.05)

    async def drag() -> None:
        for v in (1.2, 1.4, 1.6, 1.8, 2.0):
            slide(tuner, "category:experience", v)
            await asyncio.sleep(0.005)
        assert tuner.updates == 0  # still dragging: nothing recomputed yet
        await asyncio.sleep(0.2)

    in_own_loop(drag())
    assert tuner.updates == 1
    assert model.category_weights["experience"] == 2.0

    async def script() -> None:  # a notebook cell runs inside the kernel's event loop
        tuner.sliders["category:experience"].value = 0.5
        assert model.category_weights["experience"] == 0.5  # set from Python: at once

    in_own_loop(script())
    assert tuner.updates == 2


def test_updates_send_aggregates_only(model: MISModel, data: Any) -> None:
    tuner = WeightTuner(model, debounce=0)
    front = Front(tuner)
    slide(tuner, "category:outcome", 2.0)
    text = json.dumps(front.sent)  # everything Python sent the page for the move
    assert front.pushed("views")  # the charts' rows went
    ids = data.accounts["account_id"].head(50).to_list()
    assert not any(i in text for i in ids)
    assert len(text) < 30_000  # three small lists of rows, whatever the number of accounts
    # the whole state of the widget (what a saved notebook keeps) is small: no chart library in it
    state = json.dumps({k: v for k, v in tuner.get_state().items() if k not in ("_esm", "_css")})
    assert len(state) < 60_000 and "vega" not in tuner._esm.lower()
    assert not any(i in state for i in ids)


def test_chart_export_png_and_svg(model: MISModel, tmp_path: Path) -> None:
    tuner = WeightTuner(model, debounce=0)
    png = tuner.save_image(tmp_path / "moments.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = tuner.save_image(tmp_path / "stages.svg", level="stage")
    doc = xml.dom.minidom.parse(str(svg))
    texts = " ".join(t.firstChild.data for t in doc.getElementsByTagName("text") if t.firstChild)
    for stage in model.journey.stage_names():
        assert stage in texts
    with pytest.raises(ValueError, match="extension"):
        tuner.save_image(tmp_path / "x.gif")
    assert not list(tmp_path.glob(".*tmp*"))


def test_bad_arguments() -> None:
    with pytest.raises(TypeError, match="MISModel"):
        WeightTuner("not a model")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="debounce"):
        WeightTuner(MISModel(Journey.template("saas")), debounce=-1)


def test_works_with_no_data_bound() -> None:
    tuner = WeightTuner(MISModel(Journey.template("saas")), debounce=0)
    slide(tuner, "category:outcome", 2.0)
    assert tuner.error == ""
    assert all(r["status"] == "none" for r in chart_rows(tuner, "moment").values())


def test_a_users_own_signals_table_without_segments_or_roles() -> None:
    # a journey of the user's own: two moments fed by a signals table, text ids, no segments
    ids = [f"cust-{i:03d}" for i in range(40)]
    signals = pl.DataFrame(
        {
            "account_id": ids * 2,
            "moment": ["Checkout"] * 40 + ["Delivery"] * 40,
            "signal": ["Abandonment"] * 40 + ["Days late"] * 40,
            "value": [i / 40 for i in range(40)] + [float(i % 8) for i in range(40)],
        }
    )
    journey = (
        Journey.empty("Shop")
        .add_stage("Buy")
        .add_moment("Buy", "Checkout")
        .add_moment("Buy", "Delivery")
        .add_signal(
            "Checkout",
            {
                "name": "Abandonment",
                "category": "behavioral",
                "floor": 0.8,
                "target": 0.1,
                "source": {"table": "signals", "metric": "Abandonment", "aggregate": "mean"},
            },
        )
        .add_signal(
            "Delivery",
            {
                "name": "Days late",
                "category": "operational",
                "floor": 7,
                "target": 0,
                "source": {"table": "signals", "metric": "Days late", "aggregate": "mean"},
            },
        )
    )
    model = MISModel(journey, {"signals": signals, "accounts": pl.DataFrame({"account_id": ids})}, progress=False)
    tuner = WeightTuner(model, debounce=0)
    assert not [k for k in tuner.sliders if k.startswith(("segment:", "role:"))]
    assert tuner.section_titles == [
        "Categories",
        "Signals",
        "Settings",
    ]
    slide(tuner, "signal:Delivery/Days late", 0.0)
    assert "every signal of moment 'Delivery' has weight 0" in tuner.error
    slide(tuner, "category:operational", 3.0)
    assert tuner.error == "" and model.category_weights["operational"] == 3.0


def test_missing_policy_and_arr_weighting(model: MISModel, data: Any) -> None:
    tuner = WeightTuner(model, debounce=0)
    assert tuner.section_titles[-1] == "Settings"
    # the page sends the settings with the option picked and the box ticked
    send_update(tuner, settings={**tuner.settings, "missing": "floor"})
    send_update(tuner, settings={**tuner.settings, "arr_weighting": True})
    assert model.missing == "floor" and model.arr_weighting is True
    ref = independent(model.journey, data, missing="floor", arr_weighting=True)
    rows = chart_rows(tuner, "stage")
    for r in ref.score("stage").iter_rows(named=True):
        assert rows[r["stage"]]["mis"] == pytest.approx(r["mis"], abs=1e-3)
    tuner.reset()
    assert model.missing == "renormalise" and tuner.missing.value == "renormalise"
    assert tuner.arr_weighting.value is False and model.arr_weighting is False


# ---- the third chart: MIS by a dimension of the accounts (by) ---------------------------------------

needs_dimensions = pytest.mark.skipif(
    not hasattr(MISModel, "dimensions"), reason="MISModel.dimensions (score by any accounts column) not there yet"
)


def with_region(data: Any) -> Any:
    """The sample data with a region per account (a null for every 7th) beside the segment."""
    regions = ["EU", "NA", XSS]
    accounts = data.accounts.with_row_index("_i").with_columns(
        pl.when(pl.col("_i") % 7 == 0).then(None).otherwise(
            pl.col("_i").map_elements(lambda i: regions[i % 3], return_dtype=pl.String)
        ).alias("region")
    ).drop("_i")
    return dataclasses.replace(data, accounts=accounts)


def test_the_third_chart_is_mis_by_segment_with_n_by_default(model: MISModel, data: Any) -> None:
    tuner = WeightTuner(model, debounce=0)
    assert tuner.by == "segment" and "by" in tuner.keys and tuner.by_picker.value == "segment"
    assert tuner.charts["segment"].title == "MIS by segment" == tuner.charts["segment"].spec["title"]
    rows = chart_rows(tuner, "segment")
    assert spec_rows(tuner, "segment") == rows  # the export draws what the page draws
    counts = dict(data.accounts.group_by("segment").len().iter_rows())  # plain polars
    assert {k: r["n"] for k, r in rows.items()} == counts
    for k, r in rows.items():
        assert r["text"].endswith(f"n {counts[k]:,}")
    # a weight change redraws it (the fast path), matching a fresh model
    slide(tuner, "category:operational", 2.5)
    ref = independent(model.journey, data, category_weights={**model.journey.mis.category_weights, "operational": 2.5})
    rows = chart_rows(tuner, "segment")
    for r in ref.score("segment").iter_rows(named=True):
        assert rows[r["segment"]]["mis"] == pytest.approx(r["mis"], abs=1e-3)
    assert {r["label"]: r for r in tuner.records("segment")} == rows


def test_a_bad_by_shows_the_error_and_keeps_the_last_good_chart(model: MISModel) -> None:
    tuner = WeightTuner(model, debounce=0)
    before, updates = chart_rows(tuner, "segment"), tuner.updates
    tuner.by = "segmnt"
    assert tuner.by == "segment" and tuner.by_picker.value == "segment"
    assert "segmnt" in tuner.error and "segmnt" in tuner.message
    assert chart_rows(tuner, "segment") == before and tuner.updates == updates
    send_update(tuner, by=99)  # not a column name at all, from the page: refused the same way
    assert tuner.by == "segment" and tuner.error
    slide(tuner, "category:outcome", 2.0)  # the next good change clears the message
    assert tuner.error == "" and tuner.by == "segment"
    with pytest.raises(ValueError):
        WeightTuner(model, debounce=0, by="segmnt")


@needs_dimensions
def test_the_picker_lists_the_dimensions_and_slices_by_region(data: Any) -> None:
    regional = with_region(data)
    model = MISModel(Journey.template("saas"), regional)
    tuner = WeightTuner(model, debounce=0)
    assert list(tuner.by_picker.options) == list(model.dimensions) and "region" in model.dimensions
    send_update(tuner, by="region")  # picked in the page
    assert tuner.by == "region" and tuner.error == ""
    assert tuner.charts["segment"].title == "MIS by region"
    rows = chart_rows(tuner, "segment")
    # n per region by plain polars; a null region is a group of its own
    counts = {("(no value)" if k is None else k): n for k, n in regional.accounts.group_by("region").len().iter_rows()}
    assert {k: r["n"] for k, r in rows.items()} == counts
    assert XSS in rows  # a dimension value is sent as data, drawn as text by Vega
    # the same figures as the old segment path of a fresh model whose "segment" is the region
    # (segment multipliers off in both: they weigh accounts by their real segment)
    model.set(segment_multipliers={})
    tuner.redraw()  # a change made on the model, not through the tuner
    rows = chart_rows(tuner, "segment")
    relabelled = dataclasses.replace(
        regional, accounts=regional.accounts.drop("segment").rename({"region": "segment"})
    )
    journey = Journey.from_yaml(model.journey.with_mis(segment_multipliers={}).to_yaml())
    ref = MISModel(journey, relabelled).score("segment")
    assert ref.height == len(rows)
    for r in ref.iter_rows(named=True):
        label = "(no value)" if r["segment"] == "(no segment)" else r["segment"]
        assert rows[label]["mis"] == pytest.approx(r["mis"], abs=1e-3)
    slide(tuner, "category:outcome", 3.0)  # a weight change redraws MIS by region
    assert tuner.by == "region" and chart_rows(tuner, "segment") != rows
    tuner.by = "segment"  # from Python: the picker follows
    assert tuner.by_picker.value == "segment" and chart_rows(tuner, "segment").keys() == {
        "enterprise", "mid_market", "smb"
    }


@needs_dimensions
def test_dimension_values_are_text_in_the_chart_and_its_exports(data: Any, tmp_path: Path) -> None:
    tuner = WeightTuner(MISModel(Journey.template("saas"), with_region(data)), debounce=0, by="region")
    assert tuner.charts["segment"].spec["title"] == "MIS by region"
    svg = tuner.save_image(tmp_path / "by.svg", level="segment")
    doc = xml.dom.minidom.parse(str(svg))  # well-formed: the markup in a value is escaped
    texts = [t.firstChild.data for t in doc.getElementsByTagName("text") if t.firstChild]
    assert XSS in texts and "(no value)" in texts and "MIS by region" in texts
    assert not doc.getElementsByTagName("img")
    page = tuner.save_image(tmp_path / "by.html", level="segment").read_text(encoding="utf-8")
    assert XSS not in page and "\\u003cimg src=x onerror=alert(1)\\u003e" in page


# ---- any sequence of moves from the page: the page, the model and the charts agree -----------------


def accepted(weights: dict[str, float], value: Any) -> bool:
    """The model's rule for a category weight, written out by hand: a number (not a bool), 0 or
    within 1e-6..1e6, and not every category at 0 afterwards."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        return False
    return (value == 0 or 1e-6 <= value <= 1e6) and any(w != 0 for w in weights.values())


moves = st.lists(
    st.tuples(
        st.sampled_from(CATEGORIES),
        st.one_of(st.sampled_from([0.0, -1.0, 2e6, True, 1e-9]), st.floats(0, 5, allow_nan=False)),
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(moves=moves)
def test_any_moves_from_the_page_leave_page_model_and_charts_agreeing(data: Any, moves: list[Any]) -> None:
    model = MISModel(Journey.template("saas"), data)
    tuner = WeightTuner(model, debounce=0)
    front = Front(tuner)
    expected = dict(model.category_weights)
    for category, value in moves:
        said = tuner.error
        front.update(values={**tuner.values, f"category:{category}": value})
        if not isinstance(value, bool) and value == expected[category]:  # the value it has: no change
            assert tuner.error == said  # (a message stays until the next change)
        elif accepted({**expected, category: value}, value):
            expected[category] = float(value)
            assert tuner.error == ""
        else:  # refused: a message, and the page is sent the last good value (the slider springs back)
            assert tuner.error and front.pushed("values")[-1][f"category:{category}"] == expected[category]
    assert dict(model.category_weights) == expected
    assert {c: tuner.sliders[f"category:{c}"].value for c in CATEGORIES} == expected  # what the page shows
    fresh = independent(model.journey, data, category_weights=expected)
    rows = chart_rows(tuner, "stage")
    for r in fresh.score("stage").iter_rows(named=True):
        assert rows[r["stage"]]["mis"] == pytest.approx(r["mis"], abs=1e-3)
