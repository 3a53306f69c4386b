"""The input tables, as pandera models, and the one place that turns bad input into a clear error.

Five long, tidy tables feed cxwidgets (``docs/tables.md`` is the contract): ``responses``,
``tickets``, ``events``, ``accounts`` and ``signals``. :func:`validate` accepts any of them as a
polars DataFrame or LazyFrame, a pandas DataFrame or a dict of columns, converts it once to
polars with the documented dtypes, and either returns it or raises a
:class:`~cxwidgets.errors.CXDataError` naming the table, the column, up to five offending rows
(0-based row position and value) and what to do.

How a column is read (nothing is guessed, nothing is silently dropped):

- ids and labels become ``String``: text is kept as is (``"00123"`` keeps its zeros); integers
  become their digits; floats that are whole numbers (``1.0``, typical of a pandas integer
  column with a missing value) become ``"1"``; floats with a fraction (``1.5``) are an error;
- ``score``, ``value``, ``arr`` and ``csat`` become ``Float64``: integers are widened, numeric
  text (``"7"``) is parsed, other text (``"very good"``) is an error; NaN and +/-inf are errors
  (in pandas input NaN means missing and is read as null);
- ``churned``, ``expanded`` and ``renewed`` become ``Boolean`` (0/1 and "true"/"false"/"yes"/"no" are read);
- timestamps become ``Datetime("us", zone)`` in the table's one zone, ``naive_tz`` (default UTC;
  see :mod:`cxwidgets.timestamps`): aware input keeps its instants and is given in that zone; when
  every timestamp column of the table is naive it is read in that zone and a note says so; the
  zone travels with the table (the dtype), so later periods follow it; naive and aware mixed, within a column or
  across the columns of one table, is an error;
- nulls in optional columns are kept and counted (:class:`ValidationReport`);
- columns beyond the documented ones are kept unchanged, in their place.

Structural checks (required columns, dtypes, nullability, uniqueness, finite floats, ``arr >= 0``)
are pandera's, run lazily so every failure is gathered; the checks that depend on arguments
(metric scales, known moments) or on two columns (ticket times) are polars expressions.
The first problem is raised, with a count and a one-line summary of the others.

Example:
    >>> import polars as pl
    >>> from cxwidgets.schemas import validate
    >>> df = validate({"account_id": [101, 102], "moment": ["Onboarding Kickoff"] * 2,
    ...                "metric": ["nps", "csat"], "score": ["9", 4]}, table="responses")
    >>> df.schema["account_id"], df.schema["score"]
    (String, Float64)

The package, one job a module: :mod:`~cxwidgets.schemas.models` (the pandera models and the
conversion rule of each column), :mod:`~cxwidgets.schemas.arguments` (scales, continuous
metrics, moments, ``naive_tz``), :mod:`~cxwidgets.schemas.inputs` (any input as one polars
frame, required columns), :mod:`~cxwidgets.schemas.columns` (reading each column),
:mod:`~cxwidgets.schemas.timezones` (naive and aware timestamps),
:mod:`~cxwidgets.schemas.failure_cases` (pandera's failures as problems),
:mod:`~cxwidgets.schemas.checks` (the checks pandera cannot express),
:mod:`~cxwidgets.schemas.problems` (a problem, its rows, the one error raised) and
:mod:`~cxwidgets.schemas.validation` (:func:`validate`, :func:`validate_report`).
"""

from __future__ import annotations

from cxwidgets.scales import DEFAULT_SCALES
from cxwidgets.schemas.arguments import HasMomentNames
from cxwidgets.schemas.models import (
    MODELS,
    TABLES,
    AccountsModel,
    EventsModel,
    ResponsesModel,
    SignalsModel,
    TicketsModel,
    table_columns,
)
from cxwidgets.schemas.models import Kind as Kind  # importable from here as before (not in __all__)
from cxwidgets.schemas.models import UTCDatetime as UTCDatetime
from cxwidgets.schemas.validation import ValidationReport, validate, validate_report

__all__ = [
    "DEFAULT_SCALES",
    "MODELS",
    "TABLES",
    "AccountsModel",
    "EventsModel",
    "ResponsesModel",
    "SignalsModel",
    "HasMomentNames",
    "TicketsModel",
    "ValidationReport",
    "table_columns",
    "validate",
    "validate_report",
]
