"""One home per rule (issue 12): each rule below is computed here independently and checked against
every place that applies it, so a copy that drifts (or comes back) fails here."""

from __future__ import annotations

import ast
import datetime as dt
import pathlib

import numpy as np
import pandas as pd
import polars as pl
import pytest

import cxwidgets as cx
from cxwidgets.analysis._stats import nps_diff
from cxwidgets.analysis.backfill import _as_utc as backfill_utc
from cxwidgets.analysis.lift import lift
from cxwidgets.binding import bind
from cxwidgets.frames import to_polars
from cxwidgets.journey import Journey, Moment, Stage
from cxwidgets.metrics.time import check_as_of
from cxwidgets.mis.checks import _as_utc as mis_utc
from cxwidgets.scales import is_detractor, is_promoter, nps_points
from cxwidgets.timestamps import point_in_time

PACKAGE = pathlib.Path(cx.__file__).parent
UTC = dt.UTC
T0 = dt.datetime(2024, 3, 1, tzinfo=UTC)


def _category(score: int) -> str:
    """The NPS categories as the method defines them, written out without the package."""
    return "promoter" if score in (9, 10) else "passive" if score in (7, 8) else "detractor"


POINTS = {"promoter": 100.0, "passive": 0.0, "detractor": -100.0}


def _bound_nps(scores: list[int]) -> dict[str, float]:
    """bind's value of an ``nps`` signal per account, one answer per account."""
    journey = (
        Journey.empty("NPS")
        .add_stage("S")
        .add_moment("S", "QBR")
        .add_signal(
            "QBR",
            name="NPS",
            category="experience",
            floor=-100,
            target=100,
            source={"table": "responses", "metric": "nps", "aggregate": "nps", "scale": [0, 10]},
        )
    )
    responses = pl.DataFrame(
        {
            "account_id": [f"a{s}" for s in scores],
            "moment": ["QBR"] * len(scores),
            "metric": ["nps"] * len(scores),
            "score": [float(s) for s in scores],
            "responded_at": [T0] * len(scores),
        }
    )
    table = bind(journey, {"responses": responses}, as_of=T0 + dt.timedelta(days=1), progress=False)
    obs = table.observations
    return {a: t / n for a, t, n in obs.select("account_id", "total", "n").iter_rows()}


def test_nps_categories_agree_everywhere_on_every_answer() -> None:
    scores = list(range(11))
    want = [_category(s) for s in scores]
    # the rule's home
    assert [bool(is_promoter(s)) for s in scores] == [c == "promoter" for c in want]
    assert [bool(is_detractor(s)) for s in scores] == [c == "detractor" for c in want]
    pts = pl.DataFrame({"x": scores}).select(nps_points(pl.col("x"))).to_series().to_list()
    assert pts == [POINTS[c] for c in want]
    # the expression and the summary
    frame = pl.DataFrame({"g": scores, "score": scores})
    expr = dict(frame.group_by("g").agg(cx.nps("score")).iter_rows())
    assert [expr[s] for s in scores] == [POINTS[c] for c in want]
    summary = cx.metrics.nps_summary(frame, by="g", metric=None).sort("g")
    assert summary["promoters"].to_list() == [float(c == "promoter") for c in want]
    assert summary["passives"].to_list() == [float(c == "passive") for c in want]
    assert summary["detractors"].to_list() == [float(c == "detractor") for c in want]
    # promoter activation counts promoters only
    act = pl.DataFrame({"g": scores, "score": scores, "referral_made": [True] * 11})
    got = dict(act.group_by("g").agg(cx.promoter_activation("score", "referral_made")).iter_rows())
    assert [got[s] is not None for s in scores] == [c == "promoter" for c in want]
    # the analysis statistics (lift's NPS test)
    assert [nps_diff(np.array([s]), np.array([s])).baseline for s in scores] == [POINTS[c] for c in want]
    # binding: each answer becomes +100 / 0 / -100, so an account's value is its NPS
    bound = _bound_nps(scores)
    assert [bound[f"a{s}"] for s in scores] == [POINTS[c] for c in want]


@pytest.mark.parametrize("scale", [(1, 5), (1, 7), (0, 10)])
def test_top_box_cut_agrees_everywhere(scale: tuple[int, int]) -> None:
    lo, hi = scale
    scores = list(range(lo, hi + 1))
    want = [float(s >= hi - 1) for s in scores]  # the top two points, written out
    frame = pl.DataFrame({"g": scores, "score": scores})
    expr = dict(frame.group_by("g").agg(cx.top_box("score", scale=scale)).iter_rows())
    assert [expr[s] for s in scores] == want
    summary = cx.metrics.csat_summary(frame, by="g", scale=scale, metric=None).sort("g")
    assert summary["csat"].to_list() == want
    # lift's top2box: a comparison of everyone at one score with everyone at the top
    for s, w in zip(scores, want):
        df = pl.DataFrame({"score": [s] * 4 + [hi] * 4, "arm": [False] * 4 + [True] * 4})
        out = lift(df, stat="top2box", scale=scale, group="arm")
        assert out["baseline"][0] == w


def test_default_gates_have_one_definition() -> None:
    from cxwidgets.journey import rules
    from cxwidgets.mis import gates

    assert (gates.DEFAULT_GREEN, gates.DEFAULT_AMBER) == (rules.DEFAULT_GREEN, rules.DEFAULT_AMBER) == (75.0, 50.0)
    for model in (Moment, Stage, Journey):
        assert (model.model_fields["green"].default, model.model_fields["amber"].default) == (75.0, 50.0)
    for path in ("journey/models.py", "journey/spec.py", "mis/gates.py"):
        text = (PACKAGE / path).read_text()
        assert "= 75.0" not in text and "= 50.0" not in text, f"{path} writes a default gate again"


def test_one_converter_from_pandas() -> None:
    pdf = pd.DataFrame(
        {
            "account_id": ["a", "b"],
            "moment": ["m", "m"],
            "metric": ["nps", "nps"],
            "score": [9, 10],
            "comment": [1, "great"],
        }
    )
    # the plain converter names a column that mixes types; validation reads it (as text) by the
    # same converter, leniently, and checks what it needs
    with pytest.raises(cx.CXDataError, match="mixes types") as err:
        to_polars(pdf, table="responses")
    assert err.value.column == "comment"
    lenient = to_polars(pdf, table="responses", lenient=True)
    assert lenient["comment"].to_list() == cx.validate(pdf, table="responses")["comment"].to_list() == ["1", "great"]
    # a dict of columns likewise
    data = {k: v.tolist() for k, v in pdf.items()}
    with pytest.raises(cx.CXDataError, match="mixes types"):
        to_polars(data, table="responses")
    assert cx.validate(data, table="responses")["comment"].to_list() == ["1", "great"]
    # only cxwidgets/frames.py calls polars' pandas reader
    callers = [
        p.relative_to(PACKAGE).as_posix()
        for p in PACKAGE.rglob("*.py")
        if any(isinstance(n, ast.Attribute) and n.attr == "from_pandas" for n in ast.walk(ast.parse(p.read_text())))
    ]
    assert callers == ["frames.py"], callers


def test_one_reader_of_a_point_in_time() -> None:
    paris = dt.timezone(dt.timedelta(hours=2))
    aware = dt.datetime(2025, 6, 30, 2, tzinfo=paris)
    want = dt.datetime(2025, 6, 30, tzinfo=UTC)
    # an aware datetime: the same instant in UTC, by every reader
    assert point_in_time(aware, naive="utc") == point_in_time(aware, naive="refuse") == want
    assert mis_utc(aware) == backfill_utc(aware) == check_as_of(aware) == want
    # naive, a date or text: UTC for the model and the periods; refused by the metrics and bind
    for value in (dt.datetime(2025, 6, 30), dt.date(2025, 6, 30), "2025-06-30"):
        assert mis_utc(value) == backfill_utc(value) == want
        with pytest.raises(cx.CXDataError):
            check_as_of(value)
    for bad in (3, 2.5):
        for read in (mis_utc, backfill_utc, check_as_of):
            with pytest.raises(cx.CXDataError, match="as_of|period"):
                read(bad)


def _imports(path: pathlib.Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_did_you_mean_has_one_home() -> None:
    users = [p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py") if "difflib" in _imports(p)]
    assert users == ["_util/text.py"], f"difflib used outside cxwidgets/_util/text.py: {users}"
    hand_rolled = [
        p.relative_to(PACKAGE).as_posix()
        for p in PACKAGE.rglob("*.py")
        if p.name != "text.py" and "(did you mean {" in p.read_text()
    ]
    assert not hand_rolled, f"a hand-rolled ' (did you mean ...)' instead of did_you_mean: {hand_rolled}"


def test_nps_cut_offs_are_written_once() -> None:
    """No module but the scales rule compares an answer with the NPS cut-offs 9 and 6 itself."""
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "scales.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Compare) and len(node.ops) == 1:
                op, right = node.ops[0], node.comparators[0]
                if isinstance(right, ast.Constant) and (
                    (isinstance(op, ast.GtE) and right.value == 9) or (isinstance(op, ast.LtE) and right.value == 6)
                ):
                    offenders.append(f"{path.relative_to(PACKAGE).as_posix()}:{node.lineno}")
    assert not offenders, f"NPS cut-offs written outside cxwidgets/scales.py: {offenders}"
