"""ThresholdTuner, Python side: drive the widget as its front end does (comm ``update`` messages
setting synced traits, the ``request`` protocol) and check bands, write-back and messages against
independent per-account computations."""

from __future__ import annotations

import re
import struct
import xml.etree.ElementTree as ET
import zlib
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

import cxwidgets as cx
from cxwidgets.journey import Journey
from cxwidgets.widgets import ThresholdTuner
from tests.widgets.front import Front


@pytest.fixture(scope="module")
def data() -> Any:
    return cx.datasets.saas(1500, seed=3)


@pytest.fixture
def model(data: Any) -> Any:
    return cx.MISModel(Journey.template("saas"), data)


@pytest.fixture
def tuner(model: Any, data: Any) -> ThresholdTuner:
    return ThresholdTuner(model, outcome="churned", accounts=data.accounts)


def per_account(model: Any, data: Any, moment: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """MIS per account (journey or one moment) and churned, straight from the model's score."""
    if moment is None:
        frame = model.score("account")
    else:
        frame = model.score("account", by="moment").filter(pl.col("moment") == moment)
    frame = frame.join(data.accounts.select("account_id", "churned"), on="account_id")
    return frame["mis"].fill_null(float("nan")).to_numpy(), frame["churned"].cast(pl.Float64).to_numpy()


def direct(v: np.ndarray, y: np.ndarray, green: float, amber: float) -> dict[str, Any]:
    ok = ~np.isnan(v)
    v, y = v[ok], y[ok]
    red, green_m = v < amber, v >= green
    amber_m = ~red & ~green_m
    return {
        "n": [int(red.sum()), int(amber_m.sum()), int(green_m.sum())],
        "precision": y[red].mean() if red.any() else None,
        "recall": y[red].sum() / y.sum(),
    }


# ---- construction, repr, files --------------------------------------------------------------------


def test_repr_is_stable_and_mimebundle_text_is_the_repr(tuner: ThresholdTuner) -> None:
    assert repr(tuner) == "ThresholdTuner(target='mis', green=75.0, amber=50.0, bins=100, outcome='churned')"
    assert not re.search(r"0x[0-9a-f]+", repr(tuner))
    bundle = tuner._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert data["text/plain"] == repr(tuner)


def test_traits_are_synced(tuner: ThresholdTuner) -> None:
    names = {
        "target",
        "targets",
        "bins",
        "green",
        "amber",
        "bands",
        "suggested",
        "target_recall",
        "info",
        "error",
        "request",
        "ack",
    }
    assert names <= set(tuner.keys)
    assert "journey" not in tuner.keys  # a Python object, not sent to the page
    assert len(tuner.bins) == 100 and tuner.bins[0]["lo"] == 0.0 and tuner.bins[-1]["hi"] == 100.0
    assert [t["key"] for t in tuner.targets][:2] == ["mis", "First Response To Inquiry"]
    assert tuner.info["outcome"] == "churned" and tuner.info["allowed"] == [0, 99] and tuner.error == ""


def test_esm_and_css_are_files_without_innerhtml_or_cdn() -> None:
    import cxwidgets.widgets.threshold_tuner as tt

    js = re.sub(r"^\s*//.*$", "", tt._ESM, flags=re.M)  # the module the page runs (prelude + widget), code only
    assert "innerHTML" not in js and "outerHTML" not in js and "insertAdjacentHTML" not in js
    assert "eval(" not in js and "document.write" not in js
    assert not re.search(r"^\s*import\s", js, re.M)
    assert "https://" not in js and "http://" not in js.replace("http://www.w3.org/2000/svg", "")
    assert 'role: "slider"' in js and "ArrowRight" in js  # keyboard-operable handles
    css = tt._CSS  # what the page gets: palette + static/theme.css + the widget's css
    assert "--jp-layout-color1" in css and "--jp-ui-font-color1" in css and "data-jp-theme-light" in css
    assert "@import" not in css and "url(" not in css


def test_not_a_model_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="needs an MIS model"):
        ThresholdTuner(Journey.template("saas"))


# ---- the bands drive and follow the model ----------------------------------------------------------


def test_initial_bands_match_the_models_own_status(tuner: ThresholdTuner, model: Any, data: Any) -> None:
    v, y = per_account(model, data)
    want = direct(v, y, 75, 50)
    b = tuner.bands
    assert [b["red"]["n"], b["amber"]["n"], b["green"]["n"]] == want["n"]
    status = dict(model.score("account")["status"].value_counts().iter_rows())
    assert [status.get("red", 0), status.get("amber", 0), status.get("green", 0)] == want["n"]
    assert b["precision"] == pytest.approx(want["precision"]) and b["recall"] == pytest.approx(want["recall"])


def test_front_end_moves_a_handle(tuner: ThresholdTuner, model: Any, data: Any) -> None:
    front = Front(tuner)
    front.update(amber=57.0)
    v, y = per_account(model, data)
    want = direct(v, y, 75, 57)
    b = tuner.bands
    assert (b["green_at"], b["amber_at"]) == (75.0, 57.0) and tuner.error == ""
    assert [b["red"]["n"], b["amber"]["n"], b["green"]["n"]] == want["n"]
    assert b["precision"] == pytest.approx(want["precision"]) and b["recall"] == pytest.approx(want["recall"])
    assert b["lift"] == pytest.approx(want["precision"] / np.nanmean(y))
    assert front.pushed("bands")[-1]["amber_at"] == 57.0
    # written back into the journey, and into the model's gates (status of every account)
    assert (tuner.journey.green, tuner.journey.amber) == (75.0, 57.0)
    if hasattr(model, "set_gates"):  # MISModel.set_gates: the gates only decide status, nothing rescored
        assert model.journey.amber == 57.0
        status = dict(model.score("account")["status"].value_counts().iter_rows())
        assert status["red"] == want["n"][0]
    # a value between edges snaps to the nearest edge (thresholds move in bin steps)
    front.update(green=80.4)
    assert tuner.green == 80.0 and tuner.journey.green == 80.0 and front.pushed("green")[-1] == 80.0


def test_invalid_thresholds_show_a_message_and_keep_the_last_good_state(tuner: ThresholdTuner) -> None:
    front = Front(tuner)
    front.update(amber=60.0)
    before = tuner.journey
    front.update(amber=80.0)  # above green 75
    assert tuner.error.startswith("thresholds out of order") and "Traceback" not in tuner.error
    assert tuner.amber == 60.0 and tuner.journey is before and tuner.bands["amber_at"] == 60.0
    assert front.pushed("amber")[-1] == 60.0  # the page is told the last good value
    front.update(green=60.0)  # equal gates: the journey requires amber below green
    assert "amber (60) must be below green (60)" in tuner.error and tuner.green == 75.0
    tuner.amber = float("nan")
    assert "finite number" in tuner.error and tuner.amber == 60.0
    front.update(amber=55.0)  # a good change clears the message
    assert tuner.error == "" and tuner.amber == 55.0


def test_unknown_target_keeps_the_last_good_state(tuner: ThresholdTuner) -> None:
    front = Front(tuner)
    bins = tuner.bins
    front.update(target="Renewal Decisoin")
    assert "unknown target 'Renewal Decisoin' (did you mean 'Renewal Decision'?)" in tuner.error
    assert tuner.target == "mis" and tuner.bins == bins and front.pushed("target")[-1] == "mis"
    tuner.focus("Renewal Decision")
    assert tuner.target == "Renewal Decision" and tuner.error == "" and tuner.info["kind"] == "moment"
    tuner.focus(None)
    assert tuner.target == "mis"


def test_moment_target_bins_the_moment_mis(tuner: ThresholdTuner, model: Any, data: Any) -> None:
    tuner.target = "Onboarding Kickoff"
    v, y = per_account(model, data, "Onboarding Kickoff")
    tuner.set_thresholds(green=70, amber=45)
    want = direct(v, y, 70, 45)
    b = tuner.bands
    assert [b["red"]["n"], b["amber"]["n"], b["green"]["n"]] == want["n"]
    assert tuner.journey.moment("Onboarding Kickoff").green == 70.0
    assert tuner.journey.green == 75.0  # the journey gates are untouched
    if hasattr(model, "set_gates"):
        assert model.journey.moment("Onboarding Kickoff").amber == 45.0


def test_signal_target_on_its_raw_scale(tuner: ThresholdTuner, model: Any, data: Any, tmp_path: Path) -> None:
    tuner.target = "Demo Or Trial Setup/Demo CES"
    assert tuner.info["higher_is_better"] is False and tuner.info["strict"] is False
    assert (tuner.green, tuner.amber) == (2.0, 3.0)
    raw = (
        model.table.values()
        .filter(pl.col("signal") == "Demo CES")
        .join(data.accounts.select("account_id", "churned"), on="account_id")
    )
    x, y = raw["value"].to_numpy(), raw["churned"].to_numpy()
    tuner.set_thresholds(green=2.5, amber=3.5)
    b = tuner.bands
    # lower is better: green <= 2.5, amber <= 3.5, red above
    assert [b["green"]["n"], b["amber"]["n"], b["red"]["n"]] == [
        int((x <= 2.5 + 1e-9).sum()),
        int(((x > 2.5 + 1e-9) & (x <= 3.5 + 1e-9)).sum()),
        int((x > 3.5 + 1e-9).sum()),
    ]
    assert b["precision"] == pytest.approx(y[x > 3.5 + 1e-9].mean())
    assert b["n_missing"] == 1500 - raw.height
    tuner.amber = 2.0  # below green: out of order for lower is better
    assert "lower is better" in tuner.error and tuner.amber == 3.5
    path = tuner.save(tmp_path / "j.yaml")
    s = Journey.load(path).signal("Demo Or Trial Setup", "Demo CES")
    assert (s.green, s.amber) == (2.5, 3.5)


def test_requests_take_suggestion_reset_and_set(tuner: ThresholdTuner) -> None:
    front = Front(tuner)
    s = tuner.suggested
    assert {"green", "amber", "precision", "recall"} <= set(s) and s["recall"] >= 0.5
    ack = front.request("take_suggestion")
    assert ack["ok"] and (tuner.green, tuner.amber) == (s["green"], s["amber"])
    assert (tuner.journey.green, tuner.journey.amber) == (s["green"], s["amber"])
    assert tuner.bands["recall"] == pytest.approx(s["recall"])
    assert front.request("set", green=70, amber=40)["ok"] and (tuner.green, tuner.amber) == (70.0, 40.0)
    ack = front.request("set", green=40, amber=70)
    assert not ack["ok"] and "out of order" in ack["error"] and tuner.error == ack["error"]
    assert (tuner.green, tuner.amber) == (70.0, 40.0)
    assert front.request("reset")["ok"] and (tuner.green, tuner.amber) == (75.0, 50.0) and tuner.error == ""
    ack = front.request("explode")
    assert not ack["ok"] and "unknown request 'explode'" in ack["error"]


def test_target_recall_resuggests(tuner: ThresholdTuner) -> None:
    low = tuner.suggested
    tuner.target_recall = 0.8
    high = tuner.suggested
    assert high["recall"] >= 0.8 and high["amber"] >= low["amber"]  # a wider red band
    tuner.target_recall = 1.5
    assert "target recall" in tuner.error and tuner.target_recall == 0.8


def test_outcome_problems_are_messages(model: Any, data: Any) -> None:
    bad = data.accounts.select(pl.col("account_id").alias("id"), "churned")
    t = ThresholdTuner(model, outcome=bad)
    assert "the outcome was not used" in t.error and "account_id" in t.error
    assert t.info["outcome"] == "" and t.suggested == {} and len(t.bins) == 100  # counts only
    t = ThresholdTuner(model, outcome="churned", accounts=data.accounts)
    assert t.set_outcome(pl.DataFrame({"account_id": ["x"], "churned": [3]})) is False
    assert ("0/1" in t.error or "1/0" in t.error) and t.info["outcome"] == "churned"  # last good outcome kept
    assert t.set_outcome("renewed", accounts=data.accounts, event=False) is True
    assert t.info["outcome"] == "not renewed" and t.error == ""
    renewed = data.accounts["renewed"].cast(pl.Float64).to_numpy()
    assert t.bands["base_rate"] == pytest.approx(1 - renewed.mean())
    t = ThresholdTuner(model, "No such moment")
    assert "unknown target" in t.error and t.target == "mis"


def test_pandas_outcome_frame_gives_the_same_bands(tuner: ThresholdTuner, model: Any, data: Any) -> None:
    pytest.importorskip("pandas")
    frame = data.accounts.select("account_id", pl.col("churned").cast(pl.Int64)).to_pandas()
    t = ThresholdTuner(model, outcome=frame)
    assert t.error == "" and t.info["outcome"] == "churned"
    assert t.bands == tuner.bands and t.bins == tuner.bins


def test_a_model_without_data_shows_a_message() -> None:
    t = ThresholdTuner(cx.MISModel(Journey.template("saas")), "Renewal Decision")
    assert "no account has a value for Moment MIS: Renewal Decision" in t.error
    assert "no account has a value for Journey MIS" in t.error
    assert t.bins == [] and t.bands == {}
    t.amber = 60
    assert "bind data to the model first" in t.error and t.amber == 50.0
    with pytest.raises(ValueError, match="bind data"):
        t.set_thresholds(green=80)


def test_bins_are_cached_per_target(tuner: ThresholdTuner, monkeypatch: pytest.MonkeyPatch) -> None:
    import cxwidgets.widgets.threshold_tuner as tt

    calls: list[str] = []
    real = tt.threshold_bins
    monkeypatch.setattr(tt, "threshold_bins", lambda m, t, *a, **k: (calls.append(t.key), real(m, t, *a, **k))[1])
    tuner.target = "Renewal Decision"
    tuner.target = "mis"
    tuner.target = "Renewal Decision"
    assert calls == ["Renewal Decision"]  # mis was binned at construction; each target once
    for a in range(40, 60):
        tuner.target = "mis"
        tuner.amber = float(a)
    assert calls == ["Renewal Decision"]  # moving a band never re-bins
    tuner.model.category_weights = {"experience": 2.0}
    tuner.refresh()
    assert calls[-1] == "mis"


# ---- export -------------------------------------------------------------------------------------------


def _png_pixels(path: Path) -> tuple[int, int, Counter[tuple[int, ...]]]:
    """Decode an 8-bit RGB/RGBA non-interlaced PNG (what vl-convert writes): size, pixels per colour."""
    raw = path.read_bytes()
    assert raw[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, w = 8, b"", 0
    while pos < len(raw):
        (length,) = struct.unpack(">I", raw[pos : pos + 4])
        kind, body = raw[pos + 4 : pos + 8], raw[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and ctype in (2, 6) and interlace == 0
            bpp = 4 if ctype == 6 else 3
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    data = zlib.decompress(idat)
    stride = w * bpp
    prev = bytearray(stride)
    colours: Counter[tuple[int, ...]] = Counter()
    for y in range(h):
        f, line = data[y * (stride + 1)], bytearray(data[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        colours.update(tuple(line[i : i + 3]) for i in range(0, stride, bpp))
        prev = line
    return w, h, colours


def test_chart_exports_png_and_svg_with_the_bands(tuner: ThresholdTuner, tmp_path: Path) -> None:
    from cxwidgets.charts import RAG_COLOURS

    tuner.set_thresholds(green=72, amber=55)
    b = tuner.bands
    svg = tuner.save_image(tmp_path / "bands.svg")
    root = ET.parse(svg).getroot()  # parses as XML
    assert root.tag.endswith("svg")
    text = " ".join(t.text or "" for t in root.iter() if t.tag.endswith("text"))
    assert f"Red: below 55 ({b['red']['n']:,} accounts)" in text
    assert f"Amber: 55 to below 72 ({b['amber']['n']:,} accounts)" in text
    assert f"Green: 72 and above ({b['green']['n']:,} accounts)" in text
    fills = svg.read_text().lower()
    assert all(RAG_COLOURS[k].lower() in fills for k in ("red", "amber", "green"))
    png = tuner.save_image(tmp_path / "bands.png", scale=1.0)
    w, h, colours = _png_pixels(png)
    assert 500 < w < 1200 and 200 < h < 700
    area = {}
    for k in ("red", "amber", "green"):
        rgb = tuple(int(RAG_COLOURS[k][i : i + 2], 16) for i in (1, 3, 5))
        area[k] = colours[rgb]
        assert area[k] > 0.01 * w * h, k  # the band's bars are drawn, filled
    # bars of equal width: each band's painted area is in proportion to its accounts
    assert area["red"] / area["amber"] == pytest.approx(b["red"]["n"] / b["amber"]["n"], rel=0.1)
    assert area["green"] / area["amber"] == pytest.approx(b["green"]["n"] / b["amber"]["n"], rel=0.1)
    with pytest.raises(ValueError, match=r"\.png or \.svg"):
        tuner.save_image(tmp_path / "bands.pdf")
    # lower is better: the legend reads from green to red, with the rules the other way round
    tuner.target = "First Response To Inquiry/Time to first touch"
    root = ET.parse(tuner.save_image(tmp_path / "minutes.svg")).getroot()
    text = " ".join(t.text or "" for t in root.iter() if t.tag.endswith("text"))
    assert "Green: 10 or less" in text and "Amber: above 10 to 30" in text and "Red: above 30" in text
    assert "(minutes)" in text
    # the chart carries the bins, never the accounts
    spec = tuner.chart().to_dict()
    assert sum(len(v) for v in spec.get("datasets", {}).values()) <= 100 + 2


def test_an_outcome_named_by_column_is_found_in_the_data_the_model_was_bound_from() -> None:
    import cxwidgets as cx

    data = cx.datasets.saas(300, seed=12)
    model = cx.MISModel(cx.Journey.template("saas"), data, progress=False)
    assert model.accounts is not None and "churned" in model.accounts.columns
    named = ThresholdTuner(model, outcome="churned")
    explicit = ThresholdTuner(model, outcome=data.accounts.select("account_id", "churned"))
    assert named.error == "" and named.bands == explicit.bands
    # a pandas accounts table in a mapping of tables works the same
    tables = {**data.tables(), "accounts": data.accounts.to_pandas()}
    again = ThresholdTuner(
        cx.MISModel(cx.Journey.template("saas"), tables, as_of=data.as_of, progress=False), outcome="churned"
    )
    assert again.bands == explicit.bands
    # bound elsewhere (a SignalTable): no accounts to look in, a message says what to pass
    bare = cx.MISModel(cx.Journey.template("saas"), cx.bind(cx.Journey.template("saas"), data, progress=False))
    assert bare.accounts is None
    assert "accounts=" in ThresholdTuner(bare, outcome="churned").error


# ---- the bands per group of a dimension (by) ------------------------------------------------------


def direct_by_group(v: np.ndarray, y: np.ndarray, groups: list[Any], green: float, amber: float) -> dict[Any, Any]:
    """Per group, the band counts and precision / recall of red by a plain per-account count."""
    out: dict[Any, Any] = {}
    for g in dict.fromkeys(groups):
        mask = np.array([x == g for x in groups])
        out[g] = direct(v[mask], y[mask], green, amber)
    return out


def test_by_from_the_page_shows_the_bands_per_segment(model: Any, data: Any) -> None:
    t = ThresholdTuner(model, outcome="churned", accounts=data.accounts)
    assert t.by is None and t.group_bands == [] and "by" in t.keys and "group_bands" in t.keys
    assert t.dimensions == list(getattr(model, "dimensions", ["segment"]))
    f = Front(t)
    f.update(by="segment")
    assert t.by == "segment" and t.error == ""
    assert repr(t) == "ThresholdTuner(target='mis', green=75.0, amber=50.0, bins=100, outcome='churned', by='segment')"
    frame = model.score("account").join(data.accounts.select("account_id", "segment", "churned"), on="account_id")
    v = frame["mis"].fill_null(float("nan")).to_numpy()
    y = frame["churned"].cast(pl.Float64).to_numpy()
    expected = direct_by_group(v, y, frame["segment"].to_list(), 75, 50)
    got = {g["group"]: g for g in t.group_bands}
    assert sorted(got) == sorted(expected)
    for seg, e in expected.items():
        g = got[seg]
        assert [g["red"]["n"], g["amber"]["n"], g["green"]["n"]] == e["n"]
        assert g["precision"] == pytest.approx(e["precision"]) and g["recall"] == pytest.approx(e["recall"])
    assert sum(g["n"] for g in t.group_bands) == t.bands["n"]
    # a handle moved from the page: every group's bands follow, computed in Python
    f.update(amber=62.0)
    expected = direct_by_group(v, y, frame["segment"].to_list(), 75, 62)
    for g in t.group_bands:
        assert [g["red"]["n"], g["amber"]["n"], g["green"]["n"]] == expected[g["group"]]["n"]
    assert f.pushed("group_bands")  # sent to the page
    f.update(by=None)
    assert t.by is None and t.group_bands == [] and t.amber == 62.0


def test_a_bad_by_shows_the_error_and_keeps_the_last_good_state(model: Any, data: Any) -> None:
    t = ThresholdTuner(model, outcome="churned", accounts=data.accounts, by="segment")
    before = list(t.group_bands)
    f = Front(t)
    f.update(by="segmnt")
    assert t.by == "segment" and t.group_bands == before
    assert "segmnt" in t.error and "segment" in t.error
    f.update(by=3)  # not text at all: refused the same way, nothing in the kernel's log
    assert t.by == "segment" and t.error
    t.by = "region_that_is_not_there"  # from Python: the same message, the same state
    assert t.by == "segment" and "region_that_is_not_there" in t.error


def test_by_at_construction_with_a_bad_dimension_starts_on_all_accounts(model: Any, data: Any) -> None:
    t = ThresholdTuner(model, outcome="churned", accounts=data.accounts, by="nope")
    assert t.by is None and t.group_bands == [] and "nope" in t.error and len(t.bins) == 100


def test_group_labels_with_nulls_and_text_are_text(data: Any) -> None:
    """A null dimension value is a group of its own; names are sent as text (never HTML); the
    groups are those of the MIS roll-ups (the WeightTuner's "MIS by" chart)."""
    from cxwidgets.widgets import WeightTuner

    xss = "<img src=x onerror=alert(1)>"
    seg = pl.col("segment")
    accounts = data.accounts.with_columns(
        pl.when(seg == "smb").then(None).when(seg == "enterprise").then(pl.lit(xss)).otherwise(seg).alias("segment"),
        pl.when(seg == "smb").then(pl.lit("EU")).when(seg == "enterprise").then(None).otherwise(pl.lit(xss))
        .alias("region"),
    )
    model = cx.MISModel(Journey.template("saas"), {**data.tables(), "accounts": accounts, "as_of": data.as_of})
    t = ThresholdTuner(model, outcome="churned", by="region")
    labels = [g["group"] for g in t.group_bands]
    assert labels == sorted(["EU", xss]) + ["(no value)"]
    n = dict(accounts.group_by("region").len().iter_rows())  # plain polars
    assert [g["n"] + g["n_missing"] for g in t.group_bands] == [n[x] for x in sorted(["EU", xss])] + [n[None]]
    for by in ("segment", "region"):
        t.by = by
        tuner = WeightTuner(model, debounce=0, by=by)
        assert {g["group"] for g in t.group_bands} == {r["label"] for r in tuner.records("segment")}
        assert sum(g["n"] for g in t.group_bands) == t.bands["n"]


def test_bins_band_summary_per_group_matches_a_direct_count() -> None:
    from cxwidgets.analysis.thresholds import Bins

    rng = np.random.default_rng(7)
    v = rng.uniform(0, 100, 400)
    v[rng.random(400) < 0.05] = np.nan
    y = (rng.random(400) < 0.3).astype(float)
    groups: list[Any] = list(rng.choice(["a", "b", "c"], 400))
    groups[:20] = [None] * 20
    b = Bins.from_values(v, y, edges=np.arange(0.0, 101.0), groups=groups)
    assert b.groups == ["a", "b", "c", None]
    for s in b.group_summaries(70, 40):
        mask = np.array([g == s["group"] for g in groups])
        e = direct(v[mask], y[mask], 70, 40)
        assert [s["red"]["n"], s["amber"]["n"], s["green"]["n"]] == e["n"]
        assert s["precision"] == pytest.approx(e["precision"]) and s["recall"] == pytest.approx(e["recall"])
        assert s["n_missing"] == int(np.isnan(v[mask]).sum())
        assert s == {"group": s["group"], **b.band_summary(70, 40, group=s["group"])}
    # the groups add up to all accounts
    whole = b.band_summary(70, 40)
    assert sum(s["red"]["n"] for s in b.group_summaries(70, 40)) == whole["red"]["n"]
    with pytest.raises(KeyError, match="no group 'z'"):
        b.band_summary(70, 40, group="z")
    with pytest.raises(ValueError, match="out of order"):
        b.group_summaries(40, 70)
