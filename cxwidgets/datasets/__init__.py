"""Seeded synthetic datasets with known ground truth.

Example:
    >>> import cxwidgets as cx
    >>> data = cx.datasets.saas(n_accounts=300, seed=0)
    >>> data.truth.ranked_drivers()[0]
    'Support Case Resolution'
"""

from cxwidgets.datasets.before_after import BeforeAfterData, ProgrammeEffects, saas_before_after
from cxwidgets.datasets.book import Book, open_book, write_book
from cxwidgets.datasets.saas import MAX_OPEN_AGE, MOMENTS, ObservedSignal, SaasData, Truth, saas

__all__ = [
    "MAX_OPEN_AGE",
    "MOMENTS",
    "ObservedSignal",
    "SaasData",
    "Truth",
    "saas",
    "BeforeAfterData",
    "ProgrammeEffects",
    "saas_before_after",
    "Book",
    "open_book",
    "write_book",
]
