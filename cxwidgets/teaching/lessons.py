"""The lessons' exercises, by id, with their data: ``exercise("significance.nps_wave_a")``.

Each lesson has one seeded dataset (``lesson_data(name)``, the same in the notebook, the
package and the tests) and 3-6 exercises. A numeric reference is computed here, by the package's
own tools, from that dataset when the exercise is first checked; a conceptual choice is stored
as a digest (see :mod:`cxwidgets.teaching.exercises` for why). The notebook names an exercise
and shows its task; the answers, written out, are in ``tests/teaching/``.

Example:
    >>> [e.id for e in exercises("loss_aversion")][:2]
    ['loss_aversion.bad_lift', 'loss_aversion.good_lift']
    >>> exercise("significance.halve").check("2x")
    Not yet: significance.halve. Hint: The width falls as 1 / sqrt(n): doubling n narrows it by sqrt(2) only.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl

from cxwidgets._util.text import did_you_mean
from cxwidgets.scales import is_promoter
from cxwidgets.teaching.data import (
    MOMENTS,
    SIGNUP_STEPS,
    hygiene_factors,
    journey_memory,
    moments_renewal,
    nps_waves,
    peak_end,
    sludge,
    sludge_steps,
    waits,
)
from cxwidgets.teaching.exercises import ChoiceExercise, CodeExercise, Exercise, NumberExercise

__all__ = ["LESSONS", "exercise", "exercises", "lesson_data", "sludge_model"]

#: Lesson name -> its seed (the notebook, the package and the tests draw the same data).
LESSONS: dict[str, int] = {
    "significance": 16,
    "loss_aversion": 16,
    "hygiene": 16,
    "peak_end": 16,
    "perception": 16,
    "sludge": 16,
}


@functools.cache
def lesson_data(name: str) -> Any:
    """The seeded dataset of lesson ``name`` (cached: every call returns the same object).

    Example:
        >>> lesson_data("significance").responses.height
        300
    """
    seed = LESSONS.get(name)
    if seed is None:
        raise KeyError(f"no lesson {name!r}{did_you_mean(name, list(LESSONS))}; lessons: {', '.join(LESSONS)}")
    if name == "significance":
        return nps_waves(150, nps=(20.0, 26.0), seed=seed)
    if name == "loss_aversion":
        return moments_renewal(4_000, seed=seed)
    if name == "peak_end":
        return journey_memory(2_000, seed=seed)
    if name == "perception":
        return waits(3_000, seed=seed)
    if name == "sludge":
        return sludge(4_000, seed=seed)
    return hygiene_factors(3_000, seed=seed)


def _near(target: Callable[[], float], tol: float) -> Callable[[float], bool]:
    return lambda a: abs(a - target()) <= tol


# --- significance -------------------------------------------------------------------------------


def _wave(name: str) -> pl.DataFrame:
    return lesson_data("significance").responses.filter(pl.col("wave") == name)


def _nps_a() -> float:
    from cxwidgets.metrics import nps

    return float(_wave("A").select(nps("score")).item())


def _margin_a() -> float:
    from cxwidgets.metrics import nps_summary

    out = nps_summary(lesson_data("significance").responses, by="wave").filter(pl.col("wave") == "A")
    return float(out["margin"].item())


def _wave_lift() -> dict[str, Any]:
    from cxwidgets.analysis.lift import lift

    out = lift(lesson_data("significance").responses, "score", stat="nps", group="wave", baseline="A", comparison="B")
    return out.row(0, named=True)


#: The change the lesson asks a sample to detect: the true change between the waves, in points.
TRUE_CHANGE = 6.0


def _n_for_change() -> float:
    from cxwidgets.analysis.evidence import n_needed

    r = _wave_lift()
    half = (r["ci_high"] - r["ci_low"]) / 2
    need = n_needed(int(r["n_baseline"]), half, TRUE_CHANGE)
    return float("nan") if need is None else float(need)


def _is_real() -> str:
    r = _wave_lift()
    return "Yes: the interval of the difference excludes 0" if r["ci_low"] > 0 or r["ci_high"] < 0 else (
        "Not shown: the interval of the difference includes 0"
    )


def _n_ratio() -> float:
    r = _wave_lift()
    return (r["ci_high"] - r["ci_low"]) / 2 / TRUE_CHANGE


def _significance() -> list[Exercise]:
    promoters = lambda: float(np.mean(is_promoter(_wave("A")["score"].to_numpy()))) * 100  # noqa: E731
    return [
        NumberExercise(
            "significance.nps_wave_a",
            "What is the NPS of wave A, in points (-100 to 100)? Compute it from the answers.",
            expected=_nps_a, abs_tol=0.05,
            hints=[
                (_near(promoters, 0.05), "That is the promoter share: NPS subtracts the detractors (0-6) from it."),
                (_near(lambda: _nps_a() / 100, 0.0005), "NPS is given in points, -100 to 100, not as a fraction."),
            ],
            hint="Promoters answer 9-10, detractors 0-6; NPS = % promoters - % detractors.",
        ),
        NumberExercise(
            "significance.margin_a",
            "With cx.metrics.nps_summary, what is the margin of error (half the 95% interval) of wave A, in points?",
            expected=_margin_a, abs_tol=0.05,
            hints=[(_near(lambda: 2 * _margin_a(), 0.1), "That is the whole width: the margin is half of it.")],
            hint="nps_summary(responses, by='wave') has nps_low, nps_high and margin columns.",
        ),
        ChoiceExercise(
            "significance.is_real",
            "Compare wave B with wave A using the package's lift (stat='nps', group='wave'). Is the change real?",
            choices=["Yes: the interval of the difference excludes 0",
                     "Not shown: the interval of the difference includes 0"],
            right=_is_real,
            hint="Read ci_low and ci_high of the lift row: does the interval contain 0?",
        ),
        NumberExercise(
            "significance.n_needed",
            f"The true change is {TRUE_CHANGE:g} points. Assuming the half-width of the difference's interval falls "
            "as 1/sqrt(n), how many answers per wave make it equal to that change? (Round up.)",
            expected=_n_for_change, abs_tol=1.0,
            hints=[
                (lambda a: abs(a - 150 * _n_ratio()) <= 2,
                 "The half-width falls as 1/sqrt(n): the ratio of half-width to change must be squared."),
                (lambda a: a <= 150, "At 150 per wave the interval is wider than the change: you need more answers."),
            ],
            hint="n' = n x (half-width / change)^2, with n = 150 and the half-width from the lift's ci_low/ci_high.",
        ),
        ChoiceExercise(
            "significance.halve",
            "To halve the width of an NPS interval, you need about ... the number of answers.",
            choices=["2x", "4x", "10x"],
            digest="03a3ba700b7b439d",
            hints={"2x": "The width falls as 1 / sqrt(n): doubling n narrows it by sqrt(2) only.",
                   "10x": "Too many: sqrt(10) = 3.2, so 10x would cut the width to a third."},
        ),
    ]


# --- loss aversion ------------------------------------------------------------------------------


def _moment_lift(column: str) -> float:
    from cxwidgets.analysis.lift import lift

    out = lift(lesson_data("loss_aversion").accounts, "renewed", stat="share", group=column)
    return float(out["diff"].item()) * 100


def _gap_test(f: Any) -> str | None:
    check = moments_renewal(500, seed=99).accounts
    got = f(check)
    bad = check.filter(pl.col("bad_moment"))["renewed"].to_numpy()
    rest = check.filter(~pl.col("bad_moment"))["renewed"].to_numpy()
    want = float(np.mean(rest) - np.mean(bad))
    if got is None:
        return "renewal_gap returned None: finish the function so that it returns a number."
    if not isinstance(got, (int, float)) or isinstance(got, bool):
        return f"renewal_gap should return a number (a share difference), got {type(got).__name__}"
    if math.isclose(got, -want, abs_tol=1e-9):
        return "Right size, wrong sign: the gap is renewal without a bad moment minus renewal with one."
    if math.isclose(got, want * 100, abs_tol=1e-7):
        return "Return a share difference (0.2), not percentage points (20)."
    if not math.isclose(got, want, abs_tol=1e-9):
        return "Compare the mean of renewed among accounts with bad_moment True and False (filter, then mean)."
    return None


def _loss_aversion() -> list[Exercise]:
    bad = lambda: _moment_lift("bad_moment")  # noqa: E731
    good = lambda: _moment_lift("good_moment")  # noqa: E731
    return [
        NumberExercise(
            "loss_aversion.bad_lift",
            "With the package's lift (stat='share', group='bad_moment'), by how many percentage points does a "
            "detractor moment change renewal? (Negative if it lowers it.)",
            expected=bad, abs_tol=0.05,
            hints=[(_near(lambda: -bad(), 0.05), "Check the sign: a bad moment lowers renewal."),
                   (_near(lambda: bad() / 100, 0.0005), "Give percentage points (diff x 100), not a fraction.")],
            hint="lift(...)['diff'] is comparison (True) minus baseline (False), as a fraction.",
        ),
        NumberExercise(
            "loss_aversion.good_lift",
            "Same for a promoter moment (group='good_moment'): the change in renewal, in percentage points.",
            expected=good, abs_tol=0.05,
            hints=[(_near(lambda: -good(), 0.05), "Check the sign: a good moment raises renewal."),
                   (_near(lambda: good() / 100, 0.0005), "Give percentage points (diff x 100), not a fraction.")],
        ),
        NumberExercise(
            "loss_aversion.ratio",
            "How many times more renewal does a detractor moment cost than a promoter moment earns? "
            "(|bad lift| / good lift)",
            expected=lambda: abs(bad()) / good(), abs_tol=0.02,
            hints=[(_near(lambda: good() / abs(bad()), 0.02), "You divided the other way round: loss over gain.")],
        ),
        ChoiceExercise(
            "loss_aversion.first",
            "With the budget to change one moment for every account, which raises renewal more?",
            choices=["Remove the detractor moment", "Add a promoter moment", "Both the same"],
            right=lambda: "Remove the detractor moment" if abs(bad()) > good() else "Add a promoter moment",
            hints={"Both the same": "Compare the two lifts you measured: are they the same size?"},
            hint="Compare the sizes of the two lifts, not their signs.",
        ),
        CodeExercise(
            "loss_aversion.gap_code",
            "Write renewal_gap(accounts) -> float: the renewal rate of accounts without a bad moment minus the rate "
            "of accounts with one (a share difference). It is checked on fresh data it has not seen.",
            test=_gap_test,
        ),
    ]


# --- hygiene factors ----------------------------------------------------------------------------


def _drivers() -> pl.DataFrame:
    from cxwidgets.analysis.drivers import drivers

    return drivers(lesson_data("hygiene").accounts, "csat", ["uptime_ok", "extras"])


def _missing_cost() -> float:
    from cxwidgets.analysis.lift import lift

    out = lift(lesson_data("hygiene").accounts, "csat", group="uptime_ok")
    return float(out["diff"].item())


def _extras_slope() -> float:
    acc = lesson_data("hygiene").accounts.filter(pl.col("uptime_ok"))
    x, y = acc["extras"].to_numpy(), acc["csat"].to_numpy()
    return float(np.polyfit(x, y, 1)[0])


def _hygiene() -> list[Exercise]:
    return [
        ChoiceExercise(
            "hygiene.top_driver",
            "Rank the drivers of CSAT with cx.drivers (relative weight). Which does the linear model rank first?",
            choices=["uptime_ok", "extras"],
            right=lambda: str(_drivers()["driver"][0]),
            hint="Read the rank column of cx.drivers(accounts, 'csat', ['uptime_ok', 'extras']).",
        ),
        NumberExercise(
            "hygiene.missing_cost",
            "With lift (group='uptime_ok', stat='mean'), how many CSAT points does an account lose when uptime is "
            "missing? (A positive number: the cost.)",
            expected=lambda: abs(_missing_cost()), abs_tol=0.01,
            hints=[(_near(lambda: -abs(_missing_cost()), 0.01), "Give the cost as a positive number of points.")],
            hint="lift's diff is the mean CSAT with uptime (True) minus without (False).",
        ),
        NumberExercise(
            "hygiene.equivalent",
            "Among accounts with uptime, fit CSAT on extras (numpy.polyfit, degree 1). How many points of extras "
            "would make up for missing uptime? (cost / slope)",
            expected=lambda: abs(_missing_cost()) / _extras_slope(), rel_tol=0.01,
            hints=[(_near(lambda: _extras_slope() / abs(_missing_cost()), 0.01), "Cost over slope, not the reverse.")],
        ),
        ChoiceExercise(
            "hygiene.reading",
            "A must-have ranks low in a driver analysis. What does that tell you?",
            choices=["It does not matter to customers", "It is rarely missing, so it explains little variance",
                     "The survey measured it wrongly"],
            digest="54344a49ff00abe2",
            hints={"It does not matter to customers": "Look at the cost of missing it: a low rank is not a low cost.",
                   "The survey measured it wrongly": "The data are exact here; the model reads variance, not cost."},
        ),
    ]


# --- peak-end -----------------------------------------------------------------------------------

#: The journey exercise 2 asks the student to score by the peak-end rule (moment scores, 0-10).
EXAMPLE_JOURNEY: tuple[float, ...] = (6.0, 3.0, 9.5, 5.0, 7.0)


def _design_lift(value: str) -> dict[str, Any]:
    from cxwidgets.analysis.lift import lift

    out = lift(lesson_data("peak_end").accounts, value, group="design", baseline="steady", comparison="peak_end")
    return out.row(0, named=True)


def _moment_drivers() -> pl.DataFrame:
    from cxwidgets.analysis.drivers import drivers

    return drivers(lesson_data("peak_end").accounts, "remembered", list(MOMENTS))


def _peak_end() -> list[Exercise]:
    same = "The same, within noise: the interval of the difference includes 0"
    differ = "Different: the interval of the difference excludes 0"
    return [
        ChoiceExercise(
            "peak_end.same_average",
            "Compare the designs' average moment score with lift (value 'average', group='design'). Do the two "
            "designs give a different average experience?",
            choices=[same, differ],
            right=lambda: same if _design_lift("average")["ci_low"] <= 0 <= _design_lift("average")["ci_high"]
            else differ,
            hint="Read ci_low and ci_high of the lift on 'average': does the interval contain 0?",
        ),
        NumberExercise(
            "peak_end.score",
            f"A journey's moments score {', '.join(f'{v:g}' for v in EXAMPLE_JOURNEY)} (0-10, midpoint 5). "
            "What is its peak-end score (the mean of the most intense moment and the last one)?",
            expected=lambda: peak_end(EXAMPLE_JOURNEY), abs_tol=1e-6,
            hints=[
                (lambda a: abs(a - float(np.mean(EXAMPLE_JOURNEY))) < 1e-6,
                 "That is the average of all moments: the rule keeps only the peak and the end."),
                (lambda a: abs(a - (max(EXAMPLE_JOURNEY) + min(EXAMPLE_JOURNEY)) / 2) < 1e-6,
                 "That averages the best and the worst moment: the rule averages the most intense one and the last."),
            ],
            hint="The peak is the moment farthest from the midpoint 5; the end is the last moment.",
        ),
        NumberExercise(
            "peak_end.remembered_gap",
            "With lift (value 'remembered', group='design', baseline='steady', comparison='peak_end'), how much "
            "better is the peak-end design remembered, in rating points?",
            expected=lambda: float(_design_lift("remembered")["diff"]), abs_tol=0.01,
            hints=[(_near(lambda: -float(_design_lift("remembered")["diff"]), 0.01),
                    "Check the sign: comparison (peak_end) minus baseline (steady).")],
        ),
        ChoiceExercise(
            "peak_end.weight",
            "Rank the moments as drivers of the remembered rating (cx.drivers on the five moment columns). "
            "Which moment deserves the most weight in a MIS that should track what customers remember?",
            choices=list(MOMENTS),
            right=lambda: str(_moment_drivers()["driver"][0]),
            hint="Read the rank column of cx.drivers(accounts, 'remembered', [the five moments]).",
        ),
    ]


# --- perception vs reality ----------------------------------------------------------------------

#: The wait target (minutes) of the operational dashboard in the perception lesson.
WAIT_TARGET = 30.0


def _wait_fit() -> np.ndarray:
    t = lesson_data("perception").tickets
    X = np.column_stack([np.ones(t.height), t["wait_minutes"].to_numpy(), t["kept_informed"].to_numpy()])
    return np.linalg.lstsq(X, t["ces"].to_numpy(), rcond=None)[0]


def _informed_lift() -> float:
    from cxwidgets.analysis.lift import lift

    return float(lift(lesson_data("perception").tickets, "ces", group="kept_informed")["diff"].item())


def _hidden_share() -> float:
    t = lesson_data("perception").tickets.filter(pl.col("wait_minutes") <= WAIT_TARGET)
    return float(np.mean(t["ces"].to_numpy() >= 5.0)) * 100


def _perception() -> list[Exercise]:
    return [
        NumberExercise(
            "perception.informed",
            "With lift (value 'ces', group='kept_informed'), how much does being kept informed change perceived "
            "effort (CES points; negative means less effort)?",
            expected=_informed_lift, abs_tol=0.01,
            hints=[(_near(lambda: -_informed_lift(), 0.01), "Check the sign: informed (True) minus not (False).")],
        ),
        NumberExercise(
            "perception.minutes",
            "Fit CES on wait_minutes and kept_informed together (numpy.linalg.lstsq with an intercept). Being kept "
            "informed is worth how many minutes of waiting? (|informed coefficient| / minute coefficient)",
            expected=lambda: abs(float(_wait_fit()[2])) / float(_wait_fit()[1]), rel_tol=0.01,
            hints=[(_near(lambda: float(_wait_fit()[1]) / abs(float(_wait_fit()[2])), 0.01),
                    "The other way round: the informed effect divided by the effect of one minute.")],
        ),
        NumberExercise(
            "perception.hidden",
            f"Of the tickets that met the wait target ({WAIT_TARGET:g} minutes or less), what percentage still felt "
            "like high effort (CES 5 or more)?",
            expected=_hidden_share, abs_tol=0.05,
            hints=[(lambda a: a < 1 and abs(a * 100 - _hidden_share()) < 0.05, "Give a percentage, not a fraction."),
                   (_near(lambda: float(np.mean(lesson_data("perception").tickets["ces"].to_numpy() >= 5.0)) * 100,
                          0.05),
                    "That is the share of all tickets: keep only those within the wait target first.")],
        ),
        ChoiceExercise(
            "perception.both",
            "The operational dashboard shows every wait within target. What does a moment still need?",
            choices=["Nothing: the wait is the experience", "A perception signal too (CES or CSAT)",
                     "A shorter target"],
            digest="d71e5f7ff9972ccd",
            hints={"Nothing: the wait is the experience": "Perceived effort also depends on being kept informed.",
                   "A shorter target": "A target on the real wait still cannot see how the wait felt."},
        ),
    ]


# --- sludge -------------------------------------------------------------------------------------


def _sludge_lift() -> float:
    from cxwidgets.analysis.lift import lift

    s = lesson_data("sludge").signups.filter(pl.col("extra_steps").is_in([0, 3]))
    return float(lift(s, "completed", stat="share", group="extra_steps", baseline=0, comparison=3)["diff"].item()) * 100


def _ces_slope() -> float:
    s = lesson_data("sludge").signups
    return float(np.polyfit(s["extra_steps"].to_numpy(), s["ces"].to_numpy(), 1)[0])


@functools.cache
def sludge_model() -> Any:
    """The MIS of the sludge lesson's sign-up flow (:func:`~cxwidgets.teaching.data.sludge_steps`, seeded).

    Example:
        >>> sludge_model().score("moment")["moment"].to_list()[:2]
        ['Create Account', 'Verify Identity']
    """
    from cxwidgets.journey import Journey
    from cxwidgets.mis import MISModel

    steps = sludge_steps(2_000, seed=LESSONS["sludge"])
    return MISModel(Journey.from_yaml(steps.journey_yaml), {"responses": steps.responses})


def _red_kind() -> str:
    scored = sludge_model().score("moment")
    red = set(scored.filter(pl.col("status") == "red")["moment"].to_list())
    friction = {name for name, is_friction in SIGNUP_STEPS if is_friction}
    if not red:
        return "None of them"
    return "The friction steps" if red == friction else "The core steps" if not red & friction else "Some of each"


def _sludge() -> list[Exercise]:
    return [
        NumberExercise(
            "sludge.completion",
            "With lift (stat='share', group='extra_steps', baseline=0, comparison=3, on the sign-ups with 0 or 3 "
            "extra steps), by how many percentage points do three friction steps change completion?",
            expected=_sludge_lift, abs_tol=0.05,
            hints=[(_near(lambda: -_sludge_lift(), 0.05), "Check the sign: friction lowers completion."),
                   (_near(lambda: _sludge_lift() / 100, 0.0005), "Give percentage points, not a fraction.")],
        ),
        NumberExercise(
            "sludge.effort",
            "Fit CES on extra_steps (numpy.polyfit, degree 1). By how much does each friction step raise effort?",
            expected=_ces_slope, abs_tol=0.005,
        ),
        ChoiceExercise(
            "sludge.why",
            "Each friction step loses only a few sign-ups. Why remove them anyway?",
            choices=["Their losses multiply, step after step", "They do not matter individually",
                     "Customers get used to them"],
            digest="986bf7af1d31a127",
            hints={"They do not matter individually": "Look at completion with three steps against none.",
                   "Customers get used to them": "Each step adds effort in the data: CES rises with every step."},
        ),
        ChoiceExercise(
            "sludge.where",
            "Score the sign-up flow's steps with the MIS (cx.teaching.lessons.sludge_model().score('moment')). "
            "Which steps does it show red?",
            choices=["The friction steps", "The core steps", "Some of each", "None of them"],
            right=_red_kind,
            hint="Read the status column of the moment scores, and compare with which steps are friction.",
        ),
    ]


_BUILDERS: dict[str, Callable[[], list[Exercise]]] = {
    "significance": _significance,
    "loss_aversion": _loss_aversion,
    "hygiene": _hygiene,
    "peak_end": _peak_end,
    "perception": _perception,
    "sludge": _sludge,
}


@functools.cache
def _all() -> dict[str, Exercise]:
    return {e.id: e for build in _BUILDERS.values() for e in build()}


def exercises(lesson: str) -> list[Exercise]:
    """The exercises of ``lesson``, in the order the notebook asks them.

    Example:
        >>> len(exercises("significance"))
        5
    """
    if lesson not in _BUILDERS:
        raise KeyError(f"no lesson {lesson!r}{did_you_mean(lesson, list(_BUILDERS))}; lessons: {', '.join(_BUILDERS)}")
    return [e for e in _all().values() if e.id.split(".")[0] == lesson]


def exercise(exercise_id: str) -> Exercise:
    """The exercise named ``exercise_id`` (``"lesson.name"``); the notebook shows it and checks with it.

    Example:
        >>> q = exercise("significance.nps_wave_a")
        >>> q.check("twenty")
        Not yet: significance.nps_wave_a. Hint: Give a number (int or float), not str.
    """
    found = _all().get(exercise_id)
    if found is None:
        raise KeyError(f"no exercise {exercise_id!r}{did_you_mean(exercise_id, list(_all()))}")
    return found
