"""Readers of the vendored CDNOW files (tests/data/cdnow, from the MIT-licensed Lifetimes package)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

DATA = Path(__file__).resolve().parents[1] / "data" / "cdnow"


def summary() -> pl.DataFrame:
    """The published 39-week calibration summary, renamed to the package's column names."""
    return pl.read_csv(DATA / "cdnow_customers_summary_with_transactions.csv").rename(
        {"ID": "account_id", "x": "frequency", "t_x": "recency", "zbar": "monetary_value"}
    )


def transactions() -> pl.DataFrame:
    """The transaction log, read with plain Python (sample id, date, dollar value)."""
    ids, ats, amounts = [], [], []
    with open(DATA / "CDNOW_sample.txt", encoding="ascii") as fh:
        for line in fh:
            _, sample_id, day, _, value = line.split()
            ids.append(str(int(sample_id)))
            ats.append(dt.datetime.strptime(day, "%Y%m%d").replace(tzinfo=dt.UTC))
            amounts.append(float(value))
    return pl.DataFrame({"account_id": ids, "at": ats, "amount": amounts})
