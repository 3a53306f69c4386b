"""The Moment Impact Score engine: normalise, weight, multiply, roll up, decompose, gate.

:class:`MISModel` scores a :class:`~cxwidgets.journey.Journey` on a
:class:`~cxwidgets.signals.SignalTable` (one value per account x moment x signal, with per-role
sums). The definitions, in the order of DESIGN.md ("Moment Impact Score"):

1. **Values.** ``value = sum_r m_r total_r / sum_r m_r n_r`` over the respondent roles ``r`` of
   an account x moment x signal, ``m_r`` the role multiplier (1.0 when not listed or when the
   observation has no role). A value that is not finite (every multiplier 0) is missing.
2. **Scores.** ``score = 100 * clip((x - floor) / (target - floor), 0, 1)`` (the ``linear``
   normaliser of :mod:`cxwidgets.normalise`; one formula for both directions).
3. **Moment MIS of an account** = sum_j w_j s_j / den, with ``w_j = category weight x signal
   weight`` (for accounts of a segment listed in ``segment_weights`` the override replaces the
   signal weight) and, by missing-data policy:

   - ``renormalise`` (default): sum over the signals present, ``den`` = their weight;
   - ``floor``: a missing signal scores 0 with its full weight, ``den`` = the moment's weight;
   - ``impute``: a missing signal takes the plain (unweighted) mean score of that signal over
     all accounts that have it; a signal nobody has stays missing (renormalised over).

   An account with **no signal at all** at a moment has no MIS there under every policy: it has
   not been observed at that moment (it may not have reached it), so ``floor`` and ``impute``
   fill gaps only for accounts that were observed. Such accounts do not count in the
   moment's roll-up. ``coverage`` = weight of the signals present / the moment's weight.
4. **Roll-ups** weigh account ``i`` by ``v_i = segment multiplier x a_i`` with ``a_i = ARR``
   when ``arr_weighting`` (an account with null ARR then weighs 0: it is left out and counted
   in ``model.notes``; negative ARR is an error) and ``a_i = 1`` otherwise.

   - moment: ``sum_i v_i MIS_im / sum_i v_i`` over the accounts with a MIS there;
   - stage: the weighted mean of its moments' roll-ups, weight = the moment's total signal
     weight ``W_m = sum_j w_j`` (with segment overrides, the average of the segments'
     ``W_m`` weighted by each segment's total roll-up weight); moments without a MIS are left
     out. Moments are combined *after* rolling up accounts, so each moment counts with the
     weight its signals give it, however many accounts reached it;
   - journey: the same weighted mean over all moments of the journey (equivalently, over the
     stages with weight = the sum of their moments' weights);
   - segment: the journey MIS of the accounts of one segment. A single segment's roll-ups do
     not depend on its own segment multiplier (multipliers weigh segments against each
     other), so ``score("moment", by="segment")`` rows are weighted by ``a_i`` only.

   - a slice (``by=`` any accounts columns, :attr:`MISModel.dimensions`): each roll-up over
     the accounts of one group (one combination of the columns' values; null is a group of its
     own), weighted ``v_i`` as above; when the slice includes the segment column each group is
     one segment and ``a_i`` alone weighs (the multiplier cancels, as for ``by="segment"``).
     The segment is ``accounts.segment`` or the column ``MISSettings.segment_column`` names.

   For one account (``level="account"``) the stage and journey MIS are the same weighted means
   over its own moments (weights ``W_m`` of its segment). ``coverage`` of any roll-up is the
   observed signal weight over the total signal weight, summed over the accounts (weighted
   ``v_i``) and moments in scope; ``n_accounts`` counts the accounts with at least one signal
   observed in scope and a roll-up weight above 0. Every MIS is clipped to [0, 100].
5. **Contributions**: the points of each signal, summing to the MIS of the roll-up.
6. **Status**: green when ``mis >= green``, amber when ``mis >= amber``, else red (thresholds
   of the moment or stage; the journey, segments and accounts use the journey's own ``green`` / ``amber``, by
   default :data:`JOURNEY_GREEN` / :data:`JOURNEY_AMBER`); ``null`` when there is no MIS.

**The fast path.** Scores are computed once into an account x signal matrix (float64, NaN =
missing). Per moment, accounts are grouped by (segment, presence pattern of the moment's
signals) and the engine keeps ``score_sum[g, p, j] = sum a_i score_ij`` and
``account_weight_sum[g, p] = sum a_i``; with a slice, the segment ``g`` becomes a cell (one
segment within one group of the slice), built once per slice (one pass over the accounts) and
cached.
Within one pattern, a moment's MIS is linear in the scores, so every roll-up and contribution
after a change of category, signal or segment weights, segment multipliers or missing policy
is computed from these small arrays without touching accounts (well under a millisecond of
arithmetic at any number of accounts). A change of role multipliers recomputes the affected
values (one pass over account x signal x role), re-normalises and rebuilds the sums. The
account level is computed only when asked (``level="account"``, e.g. ``top=20``).
:func:`score_reference` is the straightforward full recompute in polars (tests and benchmarks
check that both agree to 1e-9).

**The package** (each file one job; every name is importable from ``cxwidgets.mis``):

- ``gates.py``: the green/amber gates (defaults 75 / 50), :func:`status_of` and the status rule,
  the RAG palette re-exported: the one home of "gate";
- ``checks.py``: what the engine accepts (levels, missing policies, the signal table, settings,
  weights, dates), shared by the model and the reference;
- ``arrays.py``: the fast path's dense arrays (the journey as index arrays, the account x signal
  scores), with a table naming each array's shape and meaning;
- ``groups.py``: the per (moment, cell, presence pattern) group sums every roll-up reads (a cell:
  a segment within a group of a ``by`` slice);
- ``rollups.py``: the fast path's roll-ups and contributions from those sums, in named steps, and
  the account level;
- ``settings.py``: the checks and the applying of the settings the model is tuned with;
- ``slices.py``: the private steps of ``by=`` slicing (dimensions, each account's group);
- ``model.py``: :class:`MISModel`, the settings users tune and the public views;
- ``frames.py``: the result tables (score, contributions, account rows) built from the arrays;
- ``reference.py``: the slow, obvious recompute in polars (:func:`score_reference`,
  :func:`contributions_reference`, :func:`reference_rollups`) the tests check the fast path against;
  ``recompute.py`` holds it (``_Reference``), its contributions in ``recompute_contributions.py``.

Example:
    >>> import polars as pl
    >>> from cxwidgets.journey import Journey
    >>> from cxwidgets.signals import SignalTable
    >>> from cxwidgets.mis import MISModel
    >>> j = (Journey.empty("Demo").add_stage("Onboard")
    ...      .add_moment("Onboard", "Kickoff", signals=[{"name": "CSAT", "category": "experience",
    ...          "source": {"table": "responses", "metric": "csat"}, "floor": 3, "target": 5}]))
    >>> table = SignalTable(
    ...     observations=pl.DataFrame({"account_id": ["a", "b"], "moment": ["Kickoff"] * 2,
    ...         "signal": ["CSAT"] * 2, "role": [None, None], "total": [4.0, 5.0], "n": [1, 1]}),
    ...     accounts=pl.DataFrame({"account_id": ["a", "b"], "segment": ["smb", "smb"], "arr": [1.0, 2.0]}))
    >>> model = MISModel(j, table)
    >>> model.score("moment")["mis"].to_list()
    [75.0]
    >>> model.arr_weighting = True
    >>> round(model.score("journey")["mis"][0], 4)
    83.3333
"""

from __future__ import annotations

# the module-level private names of the former single module cxwidgets/mis.py, still importable
# from cxwidgets.mis (tests use _Reference; the rest for code written against the old module)
from cxwidgets.mis.arrays import _normaliser_of, _Rollup, _ScoreArrays, _Spec, _Sums  # noqa: F401
from cxwidgets.mis.checks import (  # noqa: F401  # noqa: F401
    LEVELS,
    MISSING_POLICIES,
    Level,
    _accounts_and_observations,
    _accounts_table,
    _as_utc,
    _check_by,
    _check_level,
    _is_number,
    _number,
    _signal_weight,
    _validated_settings,
)
from cxwidgets.mis.frames import (  # noqa: F401
    _TIE_DECIMALS,
    _account_frame,
    _contrib_frame_from_rollup,
    _frame_from_rollup,
    _pop_rows,
)
from cxwidgets.mis.gates import (  # noqa: F401  # noqa: F401
    _TOL,
    DEFAULT_AMBER,
    DEFAULT_GREEN,
    GATE_TOLERANCE,
    JOURNEY_AMBER,
    JOURNEY_GREEN,
    _status_array,
    _status_expr,
    _threshold_fields,
    status_of,
)
from cxwidgets.mis.model import (
    MISModel,
    _ro,  # noqa: F401
)
from cxwidgets.mis.reference import (
    _Reference,  # noqa: F401
    contributions_reference,
    reference_rollups,
    score_reference,
)
from cxwidgets.mis.rollups import _ALL, _FastRollups  # noqa: F401

__all__ = [
    "JOURNEY_AMBER",
    "JOURNEY_GREEN",
    "LEVELS",
    "MISModel",
    "MISSING_POLICIES",
    "contributions_reference",
    "reference_rollups",
    "score_reference",
    "status_of",
]
