"""The journey spec: stages -> moments -> signals, with owners, hypotheses and thresholds.

A :class:`Journey` is a set of frozen pydantic models that saves to and loads from YAML and
JSON without loss (``Journey.load(p) == journey`` after ``journey.save(p)``), carries a schema
version, and refuses bad input with messages that name the stage, moment, signal and field and
say how to fix it.

- :class:`Source` says where a signal is observed: a table of ``docs/tables.md`` and a metric
  (``responses``/``csat``, ``tickets``/``resolution_time`` ...), an optional row filter, how
  one account's observations become one value (``aggregate``), the unit and the declared scale.
- :class:`Signal` adds a category, a floor (scores 0) and a target (scores 100), a weight, and
  green/amber thresholds on the signal's raw scale. A floor above the target means lower is
  better (first response: floor 120 min, target 10 min).
- :class:`Moment` holds the hypothesis, owner, owner SLA, signals and MIS gates (0-100).
- :class:`Stage` groups moments and carries the stage gate.
- :class:`MISSettings` is the tunable part of the Moment Impact Score (category weights,
  role and segment multipliers, per-segment weight overrides, missing-data policy), kept in the
  journey file so a tuned model round-trips.

Models are immutable: the editing helpers (``add_moment``, ``rename_moment``, ``move_stage``,
``update_signal``, ``with_mis`` ...) return a new, validated journey.

Example:
    >>> from cxwidgets.journey import Journey
    >>> j = Journey.template("saas")
    >>> j.moment_names()[:2]
    ['First Response To Inquiry', 'Demo Or Trial Setup']
    >>> j.moment("Demo Or Trial Setup").signals[0].lower_is_better
    True
    >>> j2 = j.rename_moment("Demo Or Trial Setup", "Demo")
    >>> j2.stage_of("Demo").name
    'Acquire'
    >>> Journey.from_yaml(j2.to_yaml()) == j2
    True

The package, one concept a file:

- ``rules.py``: the value rules, each defined once: names, numbers, weights, the ``Number`` field
  type, categories, MIS gates and emotions, and the signal key.
- the source catalogue and duration units live below this package, in :mod:`cxwidgets.catalog` and
  :mod:`cxwidgets.durations` (re-exported here), so plugins and bind use them without the models.
- ``errors.py``: ``JourneyError`` and ``JourneyKeyError``.
- ``models.py``: ``Source``, ``Signal``, ``Moment``, ``Stage`` and their validators.
- ``settings.py``: ``MISSettings``.
- ``problems.py``: a pydantic validation error as a ``JourneyError`` naming where each problem is.
- ``editing.py``: the editing methods of ``Journey`` (``JourneyEditing``).
- ``io.py``: YAML/JSON reading with its limits, writing and atomic saving (``JourneyFiles``).
- ``spec.py``: ``Journey`` itself: cross-stage validation, construction, lookups, the signal table.
"""

# the registries' dicts and rules.Number are re-exported (`X as X`) for code written against the
# former single module cxwidgets/journey.py (tests/conftest.py and test_catalog.py read them here)
from cxwidgets.catalog import _AGGREGATES as _AGGREGATES
from cxwidgets.catalog import _SOURCES as _SOURCES
from cxwidgets.catalog import (
    AGGREGATES,
    SourceInfo,
    known_aggregates,
    known_sources,
    register_aggregate,
    register_source,
    source_info,
)
from cxwidgets.durations import DURATION_UNITS, format_duration, parse_duration
from cxwidgets.journey.errors import JourneyError, JourneyKeyError
from cxwidgets.journey.io import (
    CURRENT_SCHEMA_VERSION,
    MAX_ALIAS_VALUES,
    MAX_ALIASES,
    MAX_DEPTH,
    MAX_FILE_BYTES,
)
from cxwidgets.journey.models import Moment, Signal, Source, Stage
from cxwidgets.journey.rules import (
    CATEGORIES,
    MAX_VALUE,
    MAX_WEIGHT,
    MIN_WEIGHT,
    check_number,
    check_weight,
    clean_name,
    signal_key,
    split_signal_key,
)
from cxwidgets.journey.rules import Number as Number
from cxwidgets.journey.settings import MISSettings
from cxwidgets.journey.spec import Journey, SignalRow
from cxwidgets.journey.workshop import MAX_PERSONAS, SCORE_RANGE, Opportunity, OpportunityRow

__all__ = [
    "AGGREGATES",
    "CATEGORIES",
    "CURRENT_SCHEMA_VERSION",
    "DURATION_UNITS",
    "Journey",
    "JourneyError",
    "JourneyKeyError",
    "MAX_ALIASES",
    "MAX_ALIAS_VALUES",
    "MAX_DEPTH",
    "MAX_PERSONAS",
    "MAX_FILE_BYTES",
    "MAX_VALUE",
    "MAX_WEIGHT",
    "MIN_WEIGHT",
    "MISSettings",
    "Moment",
    "Opportunity",
    "OpportunityRow",
    "Signal",
    "SCORE_RANGE",
    "SignalRow",
    "Source",
    "SourceInfo",
    "Stage",
    "check_number",
    "check_weight",
    "clean_name",
    "format_duration",
    "known_aggregates",
    "known_sources",
    "parse_duration",
    "register_aggregate",
    "register_source",
    "signal_key",
    "split_signal_key",
    "source_info",
]
