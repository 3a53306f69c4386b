"""The checks pandera cannot express: metric scales, metric names, ticket times, known moments.

They depend on the arguments of :func:`~cxwidgets.schemas.validate` (scales, whole-point
metrics, moments) or on two columns (a ticket answered before it was created), and are polars
expressions run on the columns that were converted.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from cxwidgets._util.text import LIKELY_TYPO, choices, did_you_mean, likely_typo, plural, short
from cxwidgets.frames import metric_expr
from cxwidgets.scales import scale_problem
from cxwidgets.schemas.arguments import _Arguments
from cxwidgets.schemas.models import _spec
from cxwidgets.schemas.problems import _MAX_ROWS_SHOWN, _fmt, _Problem, _series_rows


def _range_problem(
    frame: pl.DataFrame, column: str, where: pl.Expr, scale: tuple[float, float], key: str, integer: bool
) -> _Problem | None:
    declare = f"validate(..., scales={{'{key}': (low, high)}})"
    if integer and key != "nps":
        declare += f", or continuous=['{key}'] if its answers need not be whole points"
    p = scale_problem(
        frame, column, scale, integer=integer, label=key, where=where,
        fix="correct those rows or map 'not applicable' codes (such as 0 or 99) to null; if this metric "
        f"uses another scale, declare it: {declare}" + ("; NPS answers are whole points 0-10" if key == "nps" else ""),
    )
    if p is None:
        return None
    return _Problem(column, p.message, p.fix, p.short, p.rows, n=p.n)


def _scale_problems(
    frame: pl.DataFrame, table: str, scales: dict[str, tuple[float, float]], whole: set[str],
    present: list[str] | None = None,
) -> list[_Problem]:
    """The answers outside their metric's scale; ``present``: the metric names of the rows, in
    order of first appearance, when known already (:func:`_normalise_metrics`)."""
    out: list[_Problem] = []
    if table == "tickets" and "csat" in frame.columns and "csat" in scales:
        p = _range_problem(frame, "csat", pl.lit(True), scales["csat"], "csat", "csat" in whole)
        if p:
            out.append(p)
    if table != "responses":
        return out
    if present is None:
        present = frame.get_column("metric").drop_nulls().unique(maintain_order=True).to_list()
    for key in present:
        if key in scales:
            p = _range_problem(frame, "score", pl.col("metric") == key, scales[key], key, key in whole)
            if p:
                out.append(p)
    return out


def _normalise_metrics(frame: pl.DataFrame, known: Iterable[str], notes: list[str]) -> tuple[pl.DataFrame, list[str]]:
    """``metric`` stored once, normalised (``" NPS "`` -> ``"nps"``), so every consumer reads one name;
    and the names present (normalised, in order of first appearance). The rule reads one value at a
    time, so it is applied to the distinct names (a handful) and to the rows only if one changes."""
    names = frame.group_by("metric", maintain_order=True).len().with_columns(metric_expr().alias("_normal"))
    changed = names.filter((pl.col("metric") != pl.col("_normal")).fill_null(False))
    if changed.height:
        pairs = changed.select("metric", "_normal").head(5).iter_rows()
        shown = ", ".join(f"{short(a)} -> {short(b)}" for a, b in pairs)
        notes.append(
            f"metric: {plural(int(changed['len'].sum()), 'name')} stored in lower case without surrounding spaces "
            f"({shown})"
        )
        frame = frame.with_columns(metric_expr())
    normal = names.get_column("_normal").drop_nulls()
    known = list(known)
    for name in normal.unique().sort().to_list():
        if name not in known:
            hint = did_you_mean(name, known)
            if hint:
                notes.append(f"metric {short(name)} has no declared scale and is not a standard metric{hint}")
    return frame, normal.unique(maintain_order=True).to_list()


def ticket_order_words(n: int, later: str) -> tuple[str, str]:
    """The message and fix for ``n`` tickets whose ``later`` time comes before created_at (one wording
    for a table in hand and one checked on its engine, :mod:`cxwidgets.binding.lazy_inputs`)."""
    return (
        f"{plural(n, 'ticket')} {'has' if n == 1 else 'have'} {later} earlier than created_at",
        "fix those rows; if whole columns are hours apart, check the time zones "
        "(a naive column read in the wrong zone shifts it; see naive_tz=)",
    )


def _order_problems(frame: pl.DataFrame, ok: set[str]) -> list[_Problem]:
    out: list[_Problem] = []
    for later in ("first_response_at", "resolved_at"):
        if later not in ok or "created_at" not in ok:
            continue
        hits = frame.select(
            pl.int_range(pl.len()).filter(pl.col(later) < pl.col("created_at")).alias("row")
        ).get_column("row")
        if hits.len() == 0:
            continue
        pos = hits.head(_MAX_ROWS_SHOWN).to_list()
        a = frame.get_column(later).gather(pos).to_list()
        b = frame.get_column("created_at").gather(pos).to_list()
        rows = [f"row {i}: {later}={_fmt(x)} < created_at={_fmt(y)}" for i, x, y in zip(pos, a, b)]
        message, fix = ticket_order_words(hits.len(), later)
        out.append(_Problem(
            later,
            message,
            fix,
            f"{plural(hits.len(), 'ticket')} with {later} < created_at",
            rows,
            n=hits.len(),
        ))
    return out


#: How alike (difflib's ratio, ignoring case) a moment name must be to a journey moment to count
#: as a likely typo of it ("Onboarding Kickof" for "Onboarding Kickoff": 0.97).
NEAR_MISS = LIKELY_TYPO  # the one rule: cxwidgets._util.text.likely_typo


def near_misses(names: Iterable[str], known: Iterable[str]) -> dict[str, str]:
    """The names that are likely typos of a known moment: {name: the moment it resembles}.

    The same name but for case, spaces and underscores, or alike by at least :data:`NEAR_MISS`
    (:func:`cxwidgets._util.text.likely_typo`, the rule tables share):

    >>> near_misses(["Onboarding kickoff ", "Wifi", "Renewl"], ["Onboarding Kickoff", "Renewal"])
    {'Onboarding kickoff ': 'Onboarding Kickoff', 'Renewl': 'Renewal'}
    """
    known = list(known)
    out: dict[str, str] = {}
    for name in names:
        hit = likely_typo(name, known, cutoff=NEAR_MISS)
        if hit is not None:
            out[name] = hit
    return out


def _moment_problem(frame: pl.DataFrame, known: list[str], *, near_only: bool = False) -> _Problem | None:
    """Rows naming a moment the journey does not have; with ``near_only`` only likely typos of one."""
    # the names are read once, distinct (a handful; is_in over millions of text rows is slow), and
    # the rows are searched only when a name is refused
    known_set = set(known)
    outside = [m for m in frame.get_column("moment").drop_nulls().unique().to_list() if m not in known_set]
    refused = list(near_misses(outside, known)) if near_only else outside
    if not refused:
        return None
    bad = pl.col("moment").is_in(refused)
    hits = frame.select(pl.int_range(pl.len()).filter(bad).alias("row")).get_column("row")
    if hits.len() == 0:
        return None
    s = frame.get_column("moment")
    unknown = s.gather(hits).unique(maintain_order=True)
    named = []
    lower = {k.lower(): k for k in known}
    near = near_misses(unknown.head(_MAX_ROWS_SHOWN).to_list(), known)
    for name in unknown.head(_MAX_ROWS_SHOWN).to_list():
        # a slip of case suggests the moment itself (before any other close name)
        hint = did_you_mean(near[name], [near[name]]) if name in near else ""  # the moment it resembles
        hint = hint or did_you_mean(lower.get(name.lower(), name), known, cutoff=0.5)
        named.append(short(name) + hint)
    if unknown.len() > _MAX_ROWS_SHOWN:
        named.append(f"... ({unknown.len() - _MAX_ROWS_SHOWN:,} more)")
    shown = choices(known) if known else ""
    return _Problem(
        "moment",
        f"{plural(hits.len(), 'row')} name {plural(unknown.len(), 'moment')} the journey does not have: "
        + ", ".join(named),
        f"rename them to the journey's moments ({shown or 'the journey has no moments'}) "
        + (
            "(each looks like a typo of one; rows of moments unlike any of the journey's are left out)"
            if near_only
            else "or add them to the journey"
        ),
        f"{plural(unknown.len(), 'unknown moment')}",
        _series_rows(s, hits),
        n=hits.len(),
    )


def _argument_checks(
    frame: pl.DataFrame, table: str, ok: set[str], args: _Arguments, problems: list[_Problem], notes: list[str]
) -> pl.DataFrame:
    """The checks of this module on the converted columns ``ok``; metric names normalised in ``responses``."""
    present: list[str] | None = None
    if table == "responses" and "metric" in ok:
        frame, present = _normalise_metrics(frame, args.scales, notes)
    if (table == "responses" and {"score", "metric"} <= ok) or (table == "tickets" and "csat" in ok):
        problems.extend(_scale_problems(frame, table, args.scales, args.whole, present))
    if table == "tickets":
        problems.extend(_order_problems(frame, ok))
    if args.known is not None:
        if "moment" in _spec(table):
            if "moment" in ok:
                p = _moment_problem(frame, args.known, near_only=args.other_moments == "keep")
                if p:
                    problems.append(p)
        else:
            notes.append(f"moments were given but table '{table}' has no moment column; not checked")
    return frame
