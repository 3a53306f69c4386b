"""Declared survey scales: the one rule for what counts as an answer.

An answer enters a share or a mean only when it is *in scale*: a finite number between the
scale's low and high ends and, on a whole-point scale (NPS 0-10, CSAT 1-5, ...), a whole
number. Everything else (a 0 coded for "not applicable" on a 1-5 item, an 11 on NPS, a 6.5
where only 6 or 7 can be answered, NaN) is *out of scale*. Nulls are missing answers: skipped
and counted, never out of scale.

Three places read the rule, all through this module:

- the expressions (``cx.nps``, ``cx.csat``, ``pl.col(...).cx.top_box()``, ...) cannot raise inside
  ``group_by().agg()``: they return **null for a group that holds any out-of-scale answer**
  (:func:`guard`);
- the summaries (``cx.metrics.nps_summary`` ...), :func:`cxwidgets.validate` and
  :func:`cxwidgets.bind` raise a :class:`~cxwidgets.errors.CXDataError` naming the table, the
  column, a few rows (all of them counted) and the fix (:func:`scale_error`).

Example:
    >>> import polars as pl
    >>> pl.DataFrame({"score": [10.0, 11, 6.5, None]}).select(
    ...     out_of_scale(pl.col("score"), NPS_SCALE, integer=True)).to_series().to_list()
    [False, True, True, False]
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import polars as pl

from cxwidgets._util.text import plural
from cxwidgets.errors import CXDataError

__all__ = [
    "DEFAULT_SCALES",
    "DETRACTOR_MAX",
    "NPS_SCALE",
    "PROMOTER_MIN",
    "WHOLE_POINT_METRICS",
    "Scale",
    "ScaleProblem",
    "check_scale",
    "guard",
    "in_top_box",
    "is_detractor",
    "is_promoter",
    "nps_points",
    "out_of_scale",
    "scale_error",
    "scale_problem",
    "top_threshold",
]

Scale = tuple[float, float]

#: The NPS question: 0-10, whole points, always.
NPS_SCALE: Scale = (0.0, 10.0)

#: The NPS categories, the one definition: promoters answer 9-10, passives 7-8, detractors 0-6.
PROMOTER_MIN: int = 9
DETRACTOR_MAX: int = 6

#: Declared scales (low, high) of the standard survey metrics; ``scales=`` overrides or extends them.
DEFAULT_SCALES: Mapping[str, Scale] = MappingProxyType(
    {"nps": NPS_SCALE, "csat": (1.0, 5.0), "psat": (1.0, 5.0), "ces": (1.0, 7.0)}
)

#: Metrics answered in whole points unless declared continuous (NPS cannot be).
WHOLE_POINT_METRICS: frozenset[str] = frozenset(DEFAULT_SCALES)


def check_scale(scale: Any, what: str) -> Scale:
    """``scale`` as a (low, high) pair of finite floats with low < high, else ValueError.

    >>> check_scale((1, 5), "csat")
    (1.0, 5.0)
    """
    try:
        lo, hi = float(scale[0]), float(scale[1])
        if len(scale) != 2:
            raise ValueError
    except (TypeError, ValueError, IndexError) as exc:
        raise ValueError(f"{what}: scale must be a pair (low, high), got {scale!r}") from exc
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        raise ValueError(f"{what}: scale must be (low, high) with low < high, got {scale!r}")
    return lo, hi


def top_threshold(scale: Any, top: int, what: str) -> float:
    """The lowest answer in the top ``top`` boxes of a whole-point ``scale``.

    >>> top_threshold((1, 5), 2, "csat")
    4.0
    """
    lo, hi = check_scale(scale, what)
    if top < 1:
        raise ValueError(f"{what}: top must be at least 1, got {top}")
    if not (lo.is_integer() and hi.is_integer()) or hi - lo + 1 <= top:
        raise ValueError(
            f"{what}: a top-{top}-box share needs an integer scale with more than {top} points, "
            f"got {scale!r}; use method='mean' for continuous scales"
        )
    return hi - (top - 1)


def is_promoter(x: Any) -> Any:
    """True where an NPS answer is a promoter's (9-10): on a polars expression or series, a
    numpy array or a number alike (nulls stay null, NaN is False).

    >>> import numpy as np
    >>> is_promoter(np.array([10, 9, 8, 6])).tolist()
    [True, True, False, False]
    """
    return x >= PROMOTER_MIN


def is_detractor(x: Any) -> Any:
    """True where an NPS answer is a detractor's (0-6); same types as :func:`is_promoter`.

    >>> import polars as pl
    >>> pl.select(is_detractor(pl.Series([7, 6, 0, None]))).to_series().to_list()
    [False, True, True, None]
    """
    return x <= DETRACTOR_MAX


def nps_points(x: Any) -> Any:
    """Each NPS answer as its contribution to the NPS: +100 (promoter), 0 (passive), -100
    (detractor), so a mean of them is the NPS in points (a null answer gives 0). ``x`` is a polars
    expression, or a narwhals one (the same rule on a lazy table of any engine).

    >>> import polars as pl
    >>> pl.DataFrame({"x": [10, 8, 3]}).select(nps_points(pl.col("x"))).to_series().to_list()
    [100.0, 0.0, -100.0]
    """
    ns: Any = pl
    if not isinstance(x, pl.Expr):
        import narwhals as ns  # a narwhals expression: its own when/then
    # nested, not chained: narwhals before 2.29 had no when().then().when()
    return ns.when(is_promoter(x)).then(100.0).otherwise(ns.when(is_detractor(x)).then(-100.0).otherwise(0.0))


def in_top_box(x: Any, scale: Any, top: int, what: str) -> Any:
    """True where an answer is in the top ``top`` boxes of ``scale`` (see :func:`top_threshold`).

    >>> import numpy as np
    >>> in_top_box(np.array([5, 4, 3]), (1, 5), 2, "csat").tolist()
    [True, True, False]
    """
    return x >= top_threshold(scale, top, what)


def out_of_scale(value: pl.Expr, scale: Scale | None, *, integer: bool) -> pl.Expr:
    """True where a non-null answer is not on ``scale``: NaN, infinite, outside it, or (when
    ``integer``) with a fraction; False where it is on the scale or null.

    ``scale=None`` checks finiteness (and whole points) only.
    """
    x = value.cast(pl.Float64)
    bad = x.is_nan() | x.is_infinite()
    if scale is not None:
        bad = bad | (x < scale[0]) | (x > scale[1])
    if integer:
        bad = bad | (x.round(0) != x)
    return bad.fill_null(False)


def guard(metric: pl.Expr, value: pl.Expr, scale: Scale | None, *, integer: bool) -> pl.Expr:
    """``metric``, or null for a group holding any answer :func:`out_of_scale` refuses.

    >>> import polars as pl
    >>> df = pl.DataFrame({"g": ["a", "a", "b"], "x": [1, 2, 9]})
    >>> df.group_by("g", maintain_order=True).agg(
    ...     guard(pl.col("x").mean(), pl.col("x"), (1, 5), integer=True)).rows()
    [('a', 1.5), ('b', None)]
    """
    return pl.when(out_of_scale(value, scale, integer=integer).any()).then(None).otherwise(metric)


def _fmt(value: Any) -> str:
    return value if isinstance(value, str) else repr(value)


@dataclass(frozen=True)
class ScaleProblem:
    """What :func:`scale_problem` found: the message, a few rows, the fix and the total count."""

    message: str
    rows: list[str]
    fix: str
    n: int
    short: str


def scale_problem(
    frame: pl.DataFrame | pl.LazyFrame,
    column: str,
    scale: Scale | None,
    *,
    integer: bool,
    label: str,
    where: pl.Expr | None = None,
    row_label: str | None = None,
    fix: str | None = None,
) -> ScaleProblem | None:
    """The answers in ``column`` that are out of scale, counted and worded, or None.

    ``where`` limits the check to some rows (e.g. one metric); ``row_label`` names an id
    column to show instead of the row position; ``fix`` replaces the default advice.
    """
    lf = frame.lazy().with_row_index("_row")
    if where is not None:
        lf = lf.filter(where)
    classes = scale_classes(pl.col(column), scale, integer=integer)
    counts = lf.select(*(flag.sum().alias(kind) for kind, flag in classes.items())).collect().row(0, named=True)
    if not sum(int(v or 0) for v in counts.values()):
        return None
    show = row_label or "_row"
    bad = lf.filter(out_of_scale(pl.col(column), scale, integer=integer)).select(show, column).head(5).collect()
    return describe_scale_problem(counts, bad.rows(), scale, label=label, row_label=row_label or "row", fix=fix)


def scale_classes(value: Any, scale: Scale | None, *, integer: bool) -> dict[str, Any]:
    """The answers :func:`out_of_scale` refuses, by kind: ``{"nonfinite": .., "outside": ..,
    "fraction": ..}``, each a Boolean expression (null answers False) of the kinds that apply
    (``outside`` needs a scale, ``fraction`` a whole-point one). ``value`` is a polars expression
    or a narwhals one (the same rule counted on a lazy table of any engine, e.g. per group).

    >>> import polars as pl
    >>> f = pl.DataFrame({"x": [10.0, 11, 6.5, None, float("nan")]})
    >>> f.select(**scale_classes(pl.col("x"), NPS_SCALE, integer=True)).sum().row(0)
    (1, 1, 1)
    """
    ns: Any = pl
    if not isinstance(value, pl.Expr):
        import narwhals as ns  # a narwhals expression (its backend has no is_infinite: abs == inf)
    x = value.cast(ns.Float64)
    nonfinite = x.is_nan() | (x.abs() == math.inf)
    classes = {"nonfinite": nonfinite}
    if scale is not None:
        classes["outside"] = ~nonfinite & ((x < scale[0]) | (x > scale[1]))
    if integer:
        fraction = ~nonfinite & (x.round(0) != x)
        classes["fraction"] = fraction & ~classes["outside"] if scale is not None else fraction
    return {kind: flag.fill_null(False) for kind, flag in classes.items()}


def describe_scale_problem(
    counts: Mapping[str, Any],
    bad: Any,
    scale: Scale | None,
    *,
    label: str,
    row_label: str | None = "row",
    fix: str | None = None,
) -> ScaleProblem | None:
    """:func:`scale_problem`'s wording from answers already counted by kind (``counts``, the sums
    of :func:`scale_classes`; a kind left out is 0) and a few offending ``(id, value)`` rows
    (``row_label`` names the id; None shows the values alone): how a summary words what it
    counted on an engine. None when nothing is off the scale.

    >>> describe_scale_problem({"outside": 2}, [("A1", 11.0)], NPS_SCALE, label="NPS", row_label="account_id").message
    '2 NPS answers are outside the declared NPS scale 0-10'
    """
    counts = {kind: int(counts.get(kind) or 0) for kind in ("nonfinite", "outside", "fraction")}
    n = sum(counts.values())
    if n == 0:
        return None
    rows = [f"{row_label} {_fmt(r)}: {_fmt(v)}" if row_label is not None else _fmt(v) for r, v in bad]
    span = f"{scale[0]:g}-{scale[1]:g}" if scale is not None else None
    parts = []
    if counts["outside"]:
        parts.append(f"{counts['outside']:,} outside it")
    if counts["fraction"]:
        parts.append(f"{counts['fraction']:,} with a fraction on a whole-point scale")
    if counts["nonfinite"]:
        parts.append(f"{counts['nonfinite']:,} NaN or infinite")
    verb = "is" if n == 1 else "are"
    answers = plural(n, f"{label} answer")
    if len(parts) == 1 and counts["nonfinite"]:
        message, brief = f"{answers} {verb} NaN or infinite", plural(n, "NaN/inf value")
    elif len(parts) == 1 and counts["outside"]:
        message = f"{answers} {verb} outside the declared {label} scale {span}"
        brief = f"{plural(n, 'value')} outside the {label} scale {span}"
    elif len(parts) == 1:
        message = f"{answers} {verb} fractional, but the {label} scale {span} has whole points only"
        brief = f"{plural(n, 'fractional value')} on the {label} scale {span}"
    else:
        message = f"{answers} {verb} not on the declared {label} scale {span} ({', '.join(parts)})"
        brief = f"{plural(n, 'value')} not on the {label} scale {span}"
    if fix is None:
        if counts["nonfinite"] and not (counts["outside"] or counts["fraction"]):
            fix = "replace them with real answers or null (a missing answer is null, not NaN)"
        else:
            fix = (
                "declare the scale the survey used (scale=(low, high)), map 'not applicable' codes "
                "(such as 0 or 99) to null, or correct the rows"
            )
    if counts["fraction"]:
        fix += (
            "; NPS answers are whole points 0-10"
            if label.lower() == "nps"
            else "; round fractional answers, or declare the metric continuous (continuous=True) "
            "if its answers need not be whole points"
        )
    return ScaleProblem(message, rows, fix, n, brief)


def scale_error(
    frame: pl.DataFrame | pl.LazyFrame,
    column: str,
    scale: Scale | None,
    *,
    integer: bool,
    table: str,
    label: str,
    where: pl.Expr | None = None,
    row_label: str | None = None,
    fix: str | None = None,
) -> CXDataError | None:
    """The :class:`CXDataError` for the answers in ``column`` that are out of scale, or None
    (the arguments are those of :func:`scale_problem`).

    >>> import polars as pl
    >>> err = scale_error(pl.DataFrame({"score": [11.0] * 9596 + [6.5]}), "score", NPS_SCALE,
    ...                   integer=True, table="responses", label="NPS")
    >>> print(err)  # doctest: +NORMALIZE_WHITESPACE
    table 'responses' column 'score': 9,597 NPS answers are not on the declared NPS scale 0-10
    (9,596 outside it, 1 with a fraction on a whole-point scale)
      offending rows: row 0: 11.0, row 1: 11.0, row 2: 11.0, row 3: 11.0, row 4: 11.0 (and 9,592 more)
      fix: declare the scale the survey used (scale=(low, high)), map 'not applicable' codes
      (such as 0 or 99) to null, or correct the rows; NPS answers are whole points 0-10
    """
    p = scale_problem(frame, column, scale, integer=integer, label=label, where=where, row_label=row_label, fix=fix)
    if p is None:
        return None
    return CXDataError(p.message, table=table, column=column, rows=p.rows, fix=p.fix, n_rows=p.n)
