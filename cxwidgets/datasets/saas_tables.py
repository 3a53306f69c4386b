"""The tables of :func:`cxwidgets.datasets.saas`: the draws of :mod:`cxwidgets.datasets.saas_draws`
turned into the polars frames of ``docs/tables.md`` (ids, names, UTC timestamps, nulls).

The responses step also draws the last details of each answer (role, respondent, comment), after
every other draw, as the generator always has.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from cxwidgets.datasets.saas_draws import Accounts, JourneyEvents, Referrals, Tickets, _Block, _pick
from cxwidgets.datasets.saas_model import (
    _COMMENT_SHARE,
    _COMMENTS,
    _COMMENTS_BAD,
    _COMMENTS_GOOD,
    _COMMENTS_MID,
    _EV,
    _EVENTS,
    _METRICS,
    _PRIORITIES,
    _ROLE_NULL_SHARE,
    _ROLE_POOL_SIZE,
    _ROLE_POOL_START,
    _ROLES,
    _SEGMENTS,
    _TS,
    MOMENTS,
)


def _names(values: tuple[str, ...], codes: np.ndarray | pl.Series) -> pl.Series:
    return pl.Series(values, dtype=pl.String).gather(codes)


class AccountIds:
    """The account ids (``ACC-000001`` ...), their numbers as text and the accounts' segments."""

    def __init__(self, a: Accounts) -> None:
        n = a.n
        self.numbers = pl.int_range(1, n + 1, eager=True).cast(pl.String).str.zfill(max(6, len(str(n))))
        self.ids = ("ACC-" + self.numbers).alias("account_id")
        self.segments = _names(_SEGMENTS, a.seg)


def _response_codes(rng: np.random.Generator, blocks: list[_Block]) -> pl.DataFrame:
    """Every answer as codes (account, moment, metric, score, time, role, respondent, comment),
    sorted by account and time; draws each answer's role, respondent and comment."""
    sizes = [b.acc.shape[0] for b in blocks]
    r_acc = np.concatenate([b.acc for b in blocks])
    nr = r_acc.shape[0]
    r_role = np.concatenate([_pick(rng, k, b.roles) for k, b in zip(sizes, blocks, strict=True)])
    r_person = _ROLE_POOL_START[r_role] + (rng.random(nr) * _ROLE_POOL_SIZE[r_role]).astype(np.int64)
    r_pos = np.concatenate([b.pos for b in blocks])
    tone = np.where(r_pos >= 0.75, 0, np.where(r_pos <= 0.4, 1, 2))
    tone_start = np.array([0, len(_COMMENTS_GOOD), len(_COMMENTS_GOOD) + len(_COMMENTS_BAD)])
    tone_size = np.array([len(_COMMENTS_GOOD), len(_COMMENTS_BAD), len(_COMMENTS_MID)])
    comment = tone_start[tone] + (rng.random(nr) * tone_size[tone]).astype(np.int64)
    has_comment = rng.random(nr) < _COMMENT_SHARE
    role_null = rng.random(nr) < _ROLE_NULL_SHARE
    return pl.DataFrame(
        {
            "acc": r_acc,
            "moment": np.repeat(np.array([b.moment for b in blocks], dtype=np.int8), sizes),
            "metric": np.repeat(np.array([b.metric for b in blocks], dtype=np.int8), sizes),
            "score": np.concatenate([b.score for b in blocks]).astype(np.float64),
            "at": np.concatenate([b.at for b in blocks]),
            "role": np.where(role_null, -1, r_role).astype(np.int8),
            "person": r_person.astype(np.int8),
            "comment": np.where(has_comment, comment, -1).astype(np.int8),
        }
    ).sort(["acc", "at", "moment", "metric"], maintain_order=True)


def responses_table(rng: np.random.Generator, blocks: list[_Block], ids: AccountIds) -> pl.DataFrame:
    """The responses table: one row per answer of every survey block."""
    resp = _response_codes(rng, blocks)
    ra = resp.get_column("acc")
    role_codes = resp.get_column("role")
    comment_codes = resp.get_column("comment")
    return pl.DataFrame(
        [
            ids.ids.gather(ra),
            _names(MOMENTS, resp.get_column("moment")).alias("moment"),
            _names(_METRICS, resp.get_column("metric")).alias("metric"),
            resp.get_column("score"),
            resp.get_column("at").cast(_TS).alias("responded_at"),
            ("R-" + ids.numbers.gather(ra) + "-" + resp.get_column("person").cast(pl.String)).alias("respondent_id"),
            _names(_ROLES, role_codes.set(role_codes < 0, None)).alias("role"),
            ids.segments.gather(ra).alias("segment"),
            _names(_COMMENTS, comment_codes.set(comment_codes < 0, None)).alias("comment"),
        ]
    )


def tickets_table(t: Tickets, ids: AccountIds) -> pl.DataFrame:
    """The tickets table, in order of creation (``T-0000001`` ...); open times are null."""
    t_order = np.lexsort((t.acc, t.created))
    tk = pl.DataFrame(
        {
            "acc": t.acc[t_order],
            "created_at": t.created[t_order],
            "first_response_at": np.where(t.no_response, 0, t.first_resp)[t_order],
            "resolved_at": np.where(t.unresolved, 0, t.resolved)[t_order],
            "no_response": t.no_response[t_order],
            "unresolved": t.unresolved[t_order],
            "priority": t.prio[t_order],
            "csat": t.csat[t_order],
        }
    )
    m = t.acc.shape[0]
    tk_num = pl.int_range(1, m + 1, eager=True).cast(pl.String).str.zfill(max(7, len(str(m))))
    return pl.DataFrame(
        [
            ("T-" + tk_num).alias("ticket_id"),
            ids.ids.gather(tk.get_column("acc")),
            tk.get_column("created_at").cast(_TS),
            tk.get_column("first_response_at").set(tk.get_column("no_response"), None).cast(_TS),
            tk.get_column("resolved_at").set(tk.get_column("unresolved"), None).cast(_TS),
            _names(_PRIORITIES, tk.get_column("priority")).alias("priority"),
            pl.Series("csat", tk.get_column("csat").to_numpy(), dtype=pl.Float64, nan_to_null=True),
        ]
    )


def events_table(a: Accounts, ev: JourneyEvents, ref: Referrals, ids: AccountIds) -> pl.DataFrame:
    """The events table: inquiry, first touch, first value, logins and referrals, by account and time."""
    all_acc = np.arange(a.n)
    value_acc = all_acc[ev.has_value]
    asked_acc, made_acc = ref.promoters[ref.asked_keep], ref.promoters[ref.made_keep]
    ev_parts = [
        (all_acc, _EV["inquiry_received"], ev.inquiry),
        (all_acc, _EV["first_touch"], ev.first_touch),
        (value_acc, _EV["first_value"], ev.first_value[ev.has_value]),
        (ev.login_acc, _EV["login"], ev.login_at),
        (asked_acc, _EV["referral_asked"], ref.asked_at[ref.asked_keep]),
        (made_acc, _EV["referral_made"], ref.made_at[ref.made_keep]),
    ]
    frame = pl.DataFrame(
        {
            "acc": np.concatenate([p[0] for p in ev_parts]),
            "event": np.repeat(np.array([p[1] for p in ev_parts], dtype=np.int8), [p[0].shape[0] for p in ev_parts]),
            "at": np.concatenate([p[2] for p in ev_parts]),
        }
    ).sort(["acc", "at", "event"], maintain_order=True)
    return pl.DataFrame(
        [
            ids.ids.gather(frame.get_column("acc")),
            _names(_EVENTS, frame.get_column("event")).alias("event"),
            frame.get_column("at").cast(_TS),
        ]
    )


def accounts_table(a: Accounts, ids: AccountIds) -> pl.DataFrame:
    """The accounts table: segment, ARR, start, renewal and the three outcomes."""
    return pl.DataFrame(
        [
            ids.ids,
            ids.segments.alias("segment"),
            pl.Series("arr", a.arr, dtype=pl.Float64),
            pl.Series("started_at", a.started).cast(_TS),
            pl.Series("renewal_at", a.renewal).cast(_TS),
            pl.Series("churned", a.churned, dtype=pl.Boolean),
            pl.Series("expanded", a.expanded, dtype=pl.Boolean),
            pl.Series("renewed", ~a.churned, dtype=pl.Boolean),
        ]
    )


def latents_table(a: Accounts, ids: AccountIds) -> pl.DataFrame:
    """One row per account: health, each moment's latent and the churn probability."""
    return pl.DataFrame(
        [ids.ids, pl.Series("health", a.health, dtype=pl.Float64)]
        + [pl.Series(name, a.z[:, i], dtype=pl.Float64) for i, name in enumerate(MOMENTS)]
        + [pl.Series("p_churn", a.p_churn, dtype=pl.Float64)]
    )
