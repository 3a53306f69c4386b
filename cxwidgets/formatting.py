"""Readable summaries: a summary frame shown as a formatted table, the frame kept at full precision.

Every summary (``nps_summary``, ``csat_summary``, ``churn_summary``, ``ttv_summary``,
``MISModel.score()`` ...) returns numbers at full precision: NPS ``21.858864``, shares ``0.767128``.
:func:`readable` shows such a frame as a great_tables table that reads as a report does: NPS in
points to one decimal with a sign (``+21.9``), shares as percentages (``76.7%``), each
``x_low`` / ``x_high`` pair as one "95% interval" range (``18.2 to 24.9``), counts with
thousands separators (``12,345``), durations and means to one or two decimals and a missing
value as an em dash. The frame itself is left as it is, to compute with.

How a column reads is decided in one place, :data:`ROLES`, by the column names the summaries
produce; a column it does not know (one a user added) still reads sanely: an unknown decimal
column to two decimals (three significant digits when all its values are below 1), an unknown
whole-number column as it is (it may be a year or an id, so without separators), text, dates and
booleans as they are.

great_tables is imported on first use of :func:`readable` (``import cxwidgets`` does not load it).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any, Literal

import polars as pl

from cxwidgets.frames import to_polars

if TYPE_CHECKING:
    from great_tables import GT

__all__ = ["ROLES", "readable", "role_of"]

Role = Literal["signed", "points", "margin", "share", "count", "duration", "mean"]

#: The one table: a summary column -> how it reads. ``signed``: points to one decimal with a
#: sign (+21.9); ``points``: a 0-100 score to one decimal; ``margin``: ±4.1; ``share``: a 0-1
#: share as a percentage (76.7%); ``count``: a whole number with separators (12,345);
#: ``duration``: one decimal; ``mean``: two decimals. A pair (role, column, other) reads as
#: ``other`` when the frame also has ``column`` (one name, two summaries: csat is a share with
#: ``method="top2box"`` and a mean, with an ``sd`` column, with ``method="mean"``). Keys with
#: ``*`` are patterns, tried after the exact names (a user's ``rate_summary(name="renewal_rate")``).
#: ``x_low`` / ``x_high`` read as ``x`` does and show as one interval column.
ROLES: dict[str, Role | tuple[Role, str, Role]] = {
    # nps_summary: points -100..100; MISModel.contributions(): the points a signal adds
    "nps": "signed",
    "contribution": "signed",
    "margin": "margin",  # nps_summary: half the interval's width, in points
    # MISModel.score() / gates() / alerts() / contributions(): 0-100 scores and thresholds
    "mis": "points",
    "green": "points",
    "amber": "points",
    "score": "points",
    # shares 0-1: nps_summary, csat/psat (top2box), top_box, the rate summaries, attainment, coverage
    "promoters": "share",
    "passives": "share",
    "detractors": "share",
    "csat": ("share", "sd", "mean"),
    "psat": ("share", "sd", "mean"),
    "top_box": "share",
    "rate": "share",
    "churn_rate": "share",
    "retention_rate": "share",
    "response_rate": "share",
    "referral_rate": "share",
    "repeat_purchase_rate": "share",
    "promoter_activation": "share",
    "goal_attainment": "share",
    "sla_attainment": "share",
    "target_attainment": "share",
    "coverage": "share",
    # counts: every summary's n, n_missing, ...; rate summaries; ticket SLA and ttv target counts
    "n": "count",
    "successes": "count",
    "lost": "count",
    "retained": "count",
    "responded": "count",
    "sla_met": "count",
    "sla_breached": "count",
    "sla_pending": "count",
    "target_met": "count",
    "target_breached": "count",
    "target_pending": "count",
    # durations (first_response / resolution / ttv summaries, in their unit)
    "median": "duration",
    "p90": "duration",
    "median_business": "duration",
    "p90_business": "duration",
    "mean_business": "duration",
    "ttv": "duration",
    "first_response_time": "duration",
    "resolution_time": "duration",
    # means: csat's mean score, mean_summary, ces_summary, sd; "mean" of a time summary is a duration
    "mean": ("mean", "median", "duration"),
    "sd": "mean",
    "ces": "mean",
    "weight": "mean",  # MISModel: a relative weight (they need not sum to 1)
    # patterns, for names a summary builds from an argument
    "n_*": "count",
    "*_rate": "share",
    "*_attainment": "share",
    "*_share": "share",
}

#: Decimals of each role (a ``count`` has none).
_DECIMALS: dict[Role, int] = {
    "signed": 1,
    "points": 1,
    "margin": 1,
    "share": 1,
    "count": 0,
    "duration": 1,
    "mean": 2,
}

_DASH = "\u2014"  # a missing value
_MINUS = "\u2212"  # great_tables writes negative numbers with the minus sign; the ranges do too


def role_of(name: str, columns: list[str] | tuple[str, ...] = ()) -> Role | None:
    """How column ``name`` reads (see :data:`ROLES`), in a frame with ``columns``; None: unknown.

    >>> role_of("nps"), role_of("nps_low"), role_of("n_closed"), role_of("renewal_rate"), role_of("tenure_months")
    ('signed', 'signed', 'count', 'share', None)
    >>> role_of("csat", ["n", "csat", "mean"]), role_of("csat", ["n", "csat", "sd"])
    ('share', 'mean')
    """
    entry = _entry(name)
    if entry is None and name.endswith(("_low", "_high")):
        entry = _entry(name.rsplit("_", 1)[0])  # an interval's bound reads as its estimate
    if isinstance(entry, tuple):
        role, marker, other = entry
        return other if marker in columns else role
    return entry


def _entry(name: str) -> Role | tuple[Role, str, Role] | None:
    entry = ROLES.get(name)
    if entry is None:
        entry = next((v for k, v in ROLES.items() if "*" in k and fnmatchcase(name, k)), None)
    return entry


def readable(
    frame: Any,
    *,
    title: str | None = None,
    decimals: int | Mapping[str, int] | None = None,
    interval_label: str = "95% interval",
    table_id: str | None = None,
) -> GT:
    """``frame`` (a summary) as a formatted great_tables table; ``frame`` itself is not changed.

    Args:
        frame: a polars or pandas frame, or anything :func:`cxwidgets.frames.to_polars` accepts.
        title: a heading above the table (shown as text, never as HTML).
        decimals: the decimals of every non-count number (an int), or of the named columns
            (``{"nps": 0}``; an interval follows its estimate's name).
        interval_label: the heading of the interval column (a summary run with
            ``confidence=0.9`` reads better as "90% interval").
        table_id: the HTML id of the table; by default one derived from the frame and the
            options, so the same table renders to the same HTML (stored notebook outputs stay equal).

    Returns:
        a ``great_tables.GT``: shown as a table in a notebook, ``.as_raw_html()`` for the HTML.
        Its HTML loads nothing from the network and shows text in cells as text.

    NPS of 10, 9, 7, 3: n 4, none missing, the three shares, NPS +25 with its adjusted-Wald
    interval (the ``nps_low`` / ``nps_high`` columns, hidden) and its margin:

    >>> import re
    >>> import cxwidgets as cx
    >>> out = cx.metrics.nps_summary(pl.DataFrame({"score": [10, 9, 7, 3]}))
    >>> html = cx.readable(out, title="NPS").as_raw_html()
    >>> re.findall(r"<td[^>]*>([^<]*)</td>", html.split("<tbody")[1])  # the row's cells
    ['4', '0', '50.0%', '25.0%', '25.0%', '+25.0', '−44.2 to 72.7', '±58.4']
    >>> out["nps"].to_list()  # the frame keeps full precision
    [25.0]
    """
    data = to_polars(frame, table="frame")
    columns = list(data.columns)
    shown, intervals = _with_intervals(data, decimals)
    floats = [c for c, t in shown.schema.items() if t.is_float()]
    shown = shown.with_columns(pl.col(floats).fill_nan(None)) if floats else shown
    table = shown.style.with_id(table_id or _table_id(data, title, decimals, interval_label))  # great_tables
    for column in columns:
        values, role = shown.get_column(column), role_of(column, columns)
        dec = _decimals(decimals, column)
        if not isinstance(decimals, Mapping) and values.dtype.is_integer() and role != "share":
            dec = None  # one number for all decimals leaves whole-number columns whole
        table = _format(table, values, role, dec)
    if intervals:
        table = _show_intervals(table, intervals, interval_label)
    table = table.sub_missing(missing_text=_DASH)
    return table.tab_header(title=title) if title is not None else table


# ---- the steps ---------------------------------------------------------------------------


def _decimals(decimals: int | Mapping[str, int] | None, column: str) -> int | None:
    """The decimals asked for ``column`` (None: its role's)."""
    if isinstance(decimals, Mapping):
        value = decimals.get(column)
        if value is None and column.endswith(("_low", "_high")):
            value = decimals.get(column.rsplit("_", 1)[0])
    else:
        value = decimals
    return value


def _check_decimals(decimals: int | Mapping[str, int] | None, columns: list[str]) -> None:
    values = decimals.values() if isinstance(decimals, Mapping) else [] if decimals is None else [decimals]
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 12:
            raise ValueError(f"decimals must be a whole number 0-12 (or a dict of them), got {value!r}")
    if isinstance(decimals, Mapping):
        unknown = [k for k in decimals if k not in columns]
        if unknown:
            raise ValueError(f"decimals names columns the frame does not have: {unknown}; it has {columns}")


def _pairs(columns: list[str]) -> list[str]:
    """The bases ``x`` of each ``x_low`` / ``x_high`` pair, in column order."""
    return [c[: -len("_low")] for c in columns if c.endswith("_low") and c[: -len("_low")] + "_high" in columns]


def _with_intervals(
    data: pl.DataFrame, decimals: int | Mapping[str, int] | None
) -> tuple[pl.DataFrame, dict[str, str]]:
    """``data`` with an ``x_interval`` text column after each ``x_low`` (interval column -> x)."""
    columns = list(data.columns)
    _check_decimals(decimals, columns)
    intervals: dict[str, str] = {}
    for base in _pairs(columns):
        name = f"{base}_interval"
        while name in columns or name in intervals:
            name += "_"
        role = role_of(base, columns)
        dec = _decimals(decimals, base)
        low, high = data.get_column(f"{base}_low"), data.get_column(f"{base}_high")
        text = [_range(lo, hi, role, dec, low.dtype) for lo, hi in zip(low.to_list(), high.to_list())]
        data = data.with_columns(pl.Series(name, text, pl.String))
        intervals[name] = base
    order: list[str] = []
    for c in columns:
        order.append(c)
        order += [i for i, base in intervals.items() if c == f"{base}_low"]
    return data.select(order), intervals


def _show_intervals(table: GT, intervals: dict[str, str], interval_label: str) -> GT:
    """The interval columns labelled and aligned as numbers, the ``x_low`` / ``x_high`` they show hidden."""
    one = len(intervals) == 1
    label: dict[str, Any] = {c: interval_label if one else f"{base} {interval_label}" for c, base in intervals.items()}
    hidden = [f"{base}{end}" for base in intervals.values() for end in ("_low", "_high")]
    return table.cols_label(**label).cols_align("right", columns=list(intervals)).cols_hide(columns=hidden)


def _range(low: Any, high: Any, role: Role | None, dec: int | None, dtype: pl.DataType) -> str | None:
    """One interval as text: ``18.2 to 24.9``, ``41.0% to 47.3%``; None when a bound is missing."""
    if low is None or high is None or _nan(low) or _nan(high):
        return None
    return f"{_number(low, role, dec, dtype)} to {_number(high, role, dec, dtype)}"


def _nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _number(value: float, role: Role | None, dec: int | None, dtype: pl.DataType) -> str:
    """One bound as great_tables writes the estimate, without its sign: 24.9, 47.3%, −3.0."""
    if role == "share":
        value, suffix = value * 100, "%"
    else:
        suffix = ""
    if dec is None:
        dec = _DECIMALS[role] if role is not None else (0 if dtype.is_integer() else 2)
    if round(value, dec) == 0:
        value = 0.0  # no "−0.0"
    text = f"{value:,.{dec}f}"
    return text.replace("-", _MINUS) + suffix


def _format(table: GT, values: pl.Series, role: Role | None, dec: int | None) -> GT:
    """``table`` with the column of ``values`` formatted as its role (unknown: by its values)."""
    column, dtype = values.name, values.dtype
    if not dtype.is_numeric():
        return table  # text, dates, booleans: as they are
    if role == "share":
        return table.fmt_percent(column, decimals=_DECIMALS["share"] if dec is None else dec)
    if role is None:
        return _format_unknown(table, values, dec)
    if role == "count" or (dtype.is_integer() and dec is None):
        return table.fmt_integer(column, use_seps=True, force_sign=role == "signed")
    dec = _DECIMALS[role] if dec is None else dec
    if role == "margin":
        return table.fmt_number(column, decimals=dec, pattern="\u00b1{x}")
    return table.fmt_number(column, decimals=dec, force_sign=role == "signed")


def _format_unknown(table: GT, values: pl.Series, dec: int | None) -> GT:
    """A column :data:`ROLES` does not know: whole numbers as they are, decimals to 2 places
    (3 significant digits when every value is below 1 in size)."""
    column = values.name
    if dec is not None:
        return table.fmt_number(column, decimals=dec)
    if values.dtype.is_integer():
        return table.fmt_integer(column, use_seps=False)
    finite = values.fill_nan(None).drop_nulls().abs()
    top = finite.max() if finite.len() else None
    if top is not None and 0 < float(top) < 1:  # type: ignore[arg-type]  # max() of floats is a float
        return table.fmt_number(column, n_sigfig=3)
    return table.fmt_number(column, decimals=2)


def _table_id(data: pl.DataFrame, title: str | None, decimals: object, interval_label: str) -> str:
    """An HTML id from the frame's contents and the options: the same table, the same id."""
    digest = hashlib.sha1(usedforsecurity=False)
    digest.update(repr((data.schema, title, decimals, interval_label)).encode())
    digest.update(data.write_csv().encode())
    return f"cx-{digest.hexdigest()[:12]}"
