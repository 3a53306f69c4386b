"""The instructor's answer key: every lesson exercise answered, and a typical wrong answer hinted.

Each right answer is computed here independently of the code under test (numpy and the textbook
formulas on the lesson's seeded data, or the concept written out); each check must accept it
and reject a typical mistake with the hint that names that mistake.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from cxwidgets.teaching import exercise, exercises, lesson_data
from cxwidgets.teaching.data import moments_renewal
from cxwidgets.teaching.exercises import NumberExercise

Z95 = 1.959963984540054


def _wave(name: str) -> np.ndarray:
    r = lesson_data("significance").responses
    return r.filter(pl.col("wave") == name)["score"].to_numpy()


def _nps(s: np.ndarray) -> float:
    return float((np.sum(s >= 9) - np.sum(s <= 6)) / s.size * 100)


def _diff_half_width() -> float:
    """Half-width of the 95% interval of NPS(B) - NPS(A): two-sample z, per-answer values +1/0/-1."""
    var = []
    for w in ("A", "B"):
        v = np.where(_wave(w) >= 9, 1.0, np.where(_wave(w) <= 6, -1.0, 0.0))
        var.append(v.var(ddof=0) / v.size)
    return Z95 * math.sqrt(sum(var)) * 100


def _shares(column: str) -> float:
    acc = lesson_data("loss_aversion").accounts
    on = acc.filter(pl.col(column))["renewed"].to_numpy().mean()
    off = acc.filter(~pl.col(column))["renewed"].to_numpy().mean()
    return float(on - off) * 100


# --- significance -------------------------------------------------------------------------------


def test_nps_of_wave_a() -> None:
    q = exercise("significance.nps_wave_a")
    assert q.check(_nps(_wave("A")))
    promoters = float(np.mean(_wave("A") >= 9) * 100)
    r = q.check(promoters)
    assert not r and "promoter share" in r.hint
    r = q.check(_nps(_wave("A")) / 100)
    assert not r and "points" in r.hint


def test_margin_of_wave_a_is_the_adjusted_wald_half_width() -> None:
    s = _wave("A")
    n = s.size + 3
    p, d = (np.sum(s >= 9) + 0.75) / n, (np.sum(s <= 6) + 0.75) / n
    half = Z95 * math.sqrt((p + d - (p - d) ** 2) / n) * 100  # Rocks 2016; wave A's interval is not clipped
    q = exercise("significance.margin_a")
    assert q.check(round(half, 2))
    r = q.check(2 * half)
    assert not r and "half" in r.hint


def test_is_the_change_real() -> None:
    diff, half = _nps(_wave("B")) - _nps(_wave("A")), _diff_half_width()
    assert abs(diff) < half  # at 150 answers per wave the interval of the difference includes 0
    q = exercise("significance.is_real")
    assert q.check("Not shown: the interval of the difference includes 0")
    r = q.check("Yes: the interval of the difference excludes 0")
    assert not r and "contain 0" in r.hint


def test_answers_needed_for_a_six_point_change() -> None:
    half = _diff_half_width()
    right = math.ceil(150 * (half / 6.0) ** 2)
    q = exercise("significance.n_needed")
    assert q.check(right)
    r = q.check(round(150 * half / 6.0))
    assert not r and "squared" in r.hint
    r = q.check(100)
    assert not r and "more answers" in r.hint


def test_halving_an_interval() -> None:
    q = exercise("significance.halve")
    assert q.check("4x")
    r = q.check("2x")
    assert not r and "sqrt(2)" in r.hint


# --- loss aversion ------------------------------------------------------------------------------


def test_a_bad_moment_costs_more_than_a_good_one_earns() -> None:
    bad, good = _shares("bad_moment"), _shares("good_moment")
    assert bad < 0 < good and abs(bad) > good
    q = exercise("loss_aversion.bad_lift")
    assert q.check(round(bad, 2))
    r = q.check(-bad)
    assert not r and "sign" in r.hint
    q = exercise("loss_aversion.good_lift")
    assert q.check(round(good, 2))
    r = q.check(good / 100)
    assert not r and "percentage points" in r.hint
    q = exercise("loss_aversion.ratio")
    assert q.check(abs(bad) / good)
    r = q.check(good / abs(bad))
    assert not r and "other way round" in r.hint


def test_the_lesson_data_shows_its_declared_truth() -> None:
    d = lesson_data("loss_aversion")
    assert abs(_shares("bad_moment") / 100 + d.loss) < 0.04
    assert abs(_shares("good_moment") / 100 - d.gain) < 0.04


def test_which_moment_first() -> None:
    q = exercise("loss_aversion.first")
    assert q.check("Remove the detractor moment")
    r = q.check("Both the same")
    assert not r and "same size" in r.hint


def test_renewal_gap_code() -> None:
    q = exercise("loss_aversion.gap_code")

    def right(accounts: pl.DataFrame) -> float:
        bad = accounts.filter(pl.col("bad_moment"))["renewed"].mean()
        rest = accounts.filter(~pl.col("bad_moment"))["renewed"].mean()
        return float(rest) - float(bad)  # type: ignore[arg-type]

    assert q.check(right)
    r = q.check(lambda a: -right(a))
    assert not r and "wrong sign" in r.hint
    r = q.check(lambda a: right(a) * 100)
    assert not r and "percentage points" in r.hint
    r = q.check(lambda a: a["renewed"].mean())
    assert not r and "filter" in r.hint
    r = q.check(lambda a: a["nope"])
    assert not r and "ColumnNotFoundError" in r.hint
    # the check runs on data the lesson does not show: a hard-coded number of the lesson data fails
    gap = -_shares("bad_moment") / 100
    assert not q.check(lambda a: gap)
    assert moments_renewal(500, seed=99).accounts.height == 500


# --- hygiene ------------------------------------------------------------------------------------


def test_the_linear_model_ranks_the_delighter_first() -> None:
    acc = lesson_data("hygiene").accounts
    X = np.column_stack([acc["uptime_ok"].to_numpy().astype(float), acc["extras"].to_numpy()])
    y = acc["csat"].to_numpy()
    r = np.array([np.corrcoef(X[:, i], y)[0, 1] for i in range(2)])
    A = np.column_stack([np.ones(len(y)), X])
    fit = A @ np.linalg.lstsq(A, y, rcond=None)[0]
    r2 = 1 - np.sum((y - fit) ** 2) / np.sum((y - y.mean()) ** 2)
    shapley = [(r[0] ** 2 + r2 - r[1] ** 2) / 2, (r[1] ** 2 + r2 - r[0] ** 2) / 2]  # two drivers: exact
    assert shapley[1] > shapley[0]
    q = exercise("hygiene.top_driver")
    assert q.check("extras")
    r_ = q.check("uptime_ok")
    assert not r_ and "rank" in r_.hint


def test_missing_uptime_costs_many_points_of_extras() -> None:
    acc = lesson_data("hygiene").accounts
    on = acc.filter(pl.col("uptime_ok"))
    cost = float(on["csat"].mean()) - float(acc.filter(~pl.col("uptime_ok"))["csat"].mean())  # type: ignore[arg-type]
    slope = float(np.polyfit(on["extras"].to_numpy(), on["csat"].to_numpy(), 1)[0])
    q = exercise("hygiene.missing_cost")
    assert q.check(round(cost, 3))
    r = q.check(-cost)
    assert not r and "positive" in r.hint
    q = exercise("hygiene.equivalent")
    assert q.check(cost / slope)
    r = q.check(slope / cost)
    assert not r and "not the reverse" in r.hint
    assert cost / slope > 5  # the must-have is worth more than half the delighter's whole range


def test_reading_a_low_rank() -> None:
    q = exercise("hygiene.reading")
    assert q.check("It is rarely missing, so it explains little variance")
    r = q.check("It does not matter to customers")
    assert not r and "cost" in r.hint


# --- peak-end -----------------------------------------------------------------------------------


def test_the_same_average_is_remembered_differently() -> None:
    acc = lesson_data("peak_end").accounts
    moments = acc.select("discover", "onboard", "first_value", "support", "renew").to_numpy()
    steady = acc["design"].to_numpy() == "steady"
    avg = moments.mean(axis=1)
    diff = avg[~steady].mean() - avg[steady].mean()
    se = math.sqrt(avg[~steady].var(ddof=1) / (~steady).sum() + avg[steady].var(ddof=1) / steady.sum())
    assert abs(diff) < Z95 * se  # by design the averages differ only by chance, and here not detectably
    q = exercise("peak_end.same_average")
    assert q.check("The same, within noise: the interval of the difference includes 0")
    r = q.check("Different: the interval of the difference excludes 0")
    assert not r and "contain 0" in r.hint
    rem = acc["remembered"].to_numpy()
    gap = rem[~steady].mean() - rem[steady].mean()
    q = exercise("peak_end.remembered_gap")
    assert q.check(round(gap, 3))
    r = q.check(-gap)
    assert not r and "sign" in r.hint


def test_peak_end_score_by_hand() -> None:
    q = exercise("peak_end.score")  # moments 6, 3, 9.5, 5, 7: the peak is 9.5 (4.5 from the midpoint), the end 7
    assert q.check(8.25)
    r = q.check(6.1)
    assert not r and "average of all moments" in r.hint
    r = q.check(6.25)
    assert not r and "best and the worst" in r.hint


def test_the_end_moment_deserves_the_weight() -> None:
    acc = lesson_data("peak_end").accounts
    names = ["discover", "onboard", "first_value", "support", "renew"]
    y = acc["remembered"].to_numpy()
    r2_alone = {m: np.corrcoef(acc[m].to_numpy(), y)[0, 1] ** 2 for m in names}
    assert max(r2_alone, key=r2_alone.__getitem__) == "renew"  # every account's end is part of its memory
    q = exercise("peak_end.weight")
    assert q.check("renew")
    r = q.check("discover")
    assert not r and "rank" in r.hint


# --- perception ---------------------------------------------------------------------------------


def test_perception_vs_reality() -> None:
    t = lesson_data("perception").tickets
    informed = t["kept_informed"].to_numpy()
    ces = t["ces"].to_numpy()
    wait = t["wait_minutes"].to_numpy()
    diff = ces[informed].mean() - ces[~informed].mean()
    q = exercise("perception.informed")
    assert q.check(round(diff, 3))
    r = q.check(-diff)
    assert not r and "sign" in r.hint
    X = np.column_stack([np.ones_like(wait), wait, informed.astype(float)])
    b = np.linalg.solve(X.T @ X, X.T @ ces)  # normal equations, not lstsq
    q = exercise("perception.minutes")
    assert q.check(abs(b[2]) / b[1])
    r = q.check(b[1] / abs(b[2]))
    assert not r and "other way round" in r.hint
    within = wait <= 30
    hidden = 100 * np.sum(within & (ces >= 5)) / np.sum(within)
    q = exercise("perception.hidden")
    assert q.check(round(hidden, 2))
    r = q.check(hidden / 100)
    assert not r and "percentage" in r.hint
    r = q.check(100 * np.mean(ces >= 5))
    assert not r and "within the wait target" in r.hint
    q = exercise("perception.both")
    assert q.check("A perception signal too (CES or CSAT)")
    r = q.check("Nothing: the wait is the experience")
    assert not r and "kept informed" in r.hint


# --- sludge -------------------------------------------------------------------------------------


def test_sludge() -> None:
    s = lesson_data("sludge").signups
    k, done, ces = s["extra_steps"].to_numpy(), s["completed"].to_numpy(), s["ces"].to_numpy()
    diff = (done[k == 3].mean() - done[k == 0].mean()) * 100
    q = exercise("sludge.completion")
    assert q.check(round(diff, 2))
    r = q.check(-diff)
    assert not r and "sign" in r.hint
    r = q.check(diff / 100)
    assert not r and "percentage points" in r.hint
    slope = np.sum((k - k.mean()) * (ces - ces.mean())) / np.sum((k - k.mean()) ** 2)  # least squares by hand
    q = exercise("sludge.effort")
    assert q.check(round(slope, 3))
    assert not q.check(slope + 0.1)
    q = exercise("sludge.why")
    assert q.check("Their losses multiply, step after step")
    r = q.check("They do not matter individually")
    assert not r and "three steps" in r.hint


def test_the_mis_shows_where_the_sludge_is() -> None:
    from cxwidgets.teaching.data import SIGNUP_STEPS, sludge_steps

    r = sludge_steps(2_000, seed=16).responses  # the lesson's data, as sludge_model() binds it
    for name, friction in SIGNUP_STEPS:
        ces = r.filter(pl.col("moment") == name)["score"].to_numpy()
        # amber ends at CES 3.5, green at 2.5 (lower is better): friction is past amber, the core inside green
        assert (ces.mean() > 3.5) if friction else (ces.mean() < 2.5)
    q = exercise("sludge.where")
    assert q.check("The friction steps")
    r_ = q.check("Some of each")
    assert not r_ and "status column" in r_.hint


LESSON_NAMES = ["significance", "loss_aversion", "hygiene", "peak_end", "perception", "sludge"]


@pytest.mark.parametrize("lesson", LESSON_NAMES)
def test_every_lesson_has_three_to_six_exercises_and_each_is_answered_here(lesson: str) -> None:
    ids = [e.id for e in exercises(lesson)]
    assert 3 <= len(ids) <= 6
    source = open(__file__, encoding="utf-8").read()
    assert all(f'"{i}"' in source for i in ids), "answer every exercise in this file"


def test_a_number_is_never_right_by_accident() -> None:
    for e in (e for lesson in LESSON_NAMES for e in exercises(lesson)):
        if isinstance(e, NumberExercise):
            assert not e.check(e.reference() + 10 * max(1.0, abs(e.reference())))
            assert not e.check(float("nan"))
            assert not e.check("12")
