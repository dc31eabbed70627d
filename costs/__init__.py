"""Monthly cost of a stack, estimated offline from the program itself.

The program runs under the same mock engine as the tests (`plan.run_stack`); every resource it would create is
priced from a versioned price file per region (`costs/prices/<region>.json`), with usage-based services priced at
stated assumptions that the command line can change (`costs/assumptions.py`).
"""

from costs.assumptions import Assumptions, load_assumptions
from costs.estimate import estimate
from costs.model import Estimate, LineItem, Unpriced
from costs.prices import PriceBook, load_prices

__all__ = [
    "Assumptions",
    "Estimate",
    "LineItem",
    "PriceBook",
    "Unpriced",
    "estimate",
    "load_assumptions",
    "load_prices",
]
