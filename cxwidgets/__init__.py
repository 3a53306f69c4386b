"""cxwidgets: customer-experience measurement in Jupyter (placeholder, filled in below)."""
from cxwidgets.errors import CXDataError

__all__ = ["CXDataError"]
