"""Prices per region, read from `costs/prices/<region>.json`: one entry per price, each with its source and date."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PRICES_DIR = Path(__file__).resolve().parent / "prices"
HOURS_PER_MONTH = 730


class MissingPriceError(LookupError):
    """A price the estimate needs is not in the region's price file (or the region has no price file at all)."""

    def __init__(self, region: str, key: str, reason: str) -> None:
        self.region = region
        self.key = key
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class Price:
    key: str
    price: float
    unit: str
    source: str
    taken: str


@dataclass(frozen=True)
class PriceBook:
    """The prices of one region. `get` raises `MissingPriceError` rather than ever answering zero for an unknown key."""

    region: str
    taken: str
    prices: dict[str, Price]
    path: Path | None = None

    def get(self, key: str) -> Price:
        if self.path is None:
            raise MissingPriceError(
                self.region,
                key,
                f"no price file for region {self.region} (create it with `python -m costs refresh --region "
                f"{self.region}`)",
            )
        found = self.prices.get(key)
        if found is None:
            raise MissingPriceError(self.region, key, f"no price {key!r} in {self.path.name}")
        return found

    @property
    def available(self) -> bool:
        return self.path is not None


def price_file(region: str, directory: Path = PRICES_DIR) -> Path:
    return directory / f"{region}.json"


def parse_prices(document: dict[str, Any], path: Path | None = None) -> PriceBook:
    prices = {
        key: Price(key, float(e["price"]), str(e["unit"]), str(e["source"]), str(e["taken"]))
        for key, e in document["prices"].items()
    }
    return PriceBook(region=document["region"], taken=document["taken"], prices=prices, path=path)


def load_prices(region: str, directory: Path = PRICES_DIR) -> PriceBook:
    """The region's price book; an empty one (every lookup reports the missing region) if no file exists."""
    path = price_file(region, directory)
    if not path.exists():
        return PriceBook(region=region, taken="", prices={}, path=None)
    return parse_prices(json.loads(path.read_text()), path)
