"""Rebuild a region's price file from the AWS Price List API (`pricing` client, `get_products`).

Each entry of the price file that carries a `query` is asked again for the region; an entry whose query matches no
product, or products with different prices, keeps its old price and is reported, so a change in the catalogue never
turns into a wrong or zero price silently. Entries without a query (Lightsail bundles, for instance) are kept and
listed for checking by hand.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any

PRICE_LIST_REGION = "us-east-1"  # the Price List API answers from us-east-1 for every region


@dataclass
class RefreshReport:
    updated: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    by_hand: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"{len(self.updated)} prices refreshed from the Price List API"]
        out += [f"  changed: {c}" for c in self.changed]
        out += [f"  NOT refreshed: {p}" for p in self.problems]
        if self.by_hand:
            out.append(f"{len(self.by_hand)} prices have no Price List query; check them by hand against their source:")
            out += [f"  {k}" for k in self.by_hand]
        return out


def _filters(region: str, query: dict[str, Any]) -> list[dict[str, str]]:
    filters = [{"Type": "TERM_MATCH", "Field": "regionCode", "Value": region}]
    filters += [{"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in query.get("filters", {}).items()]
    return filters


def _usagetype_matches(usagetype: str, wanted: str | None) -> bool:
    # us-east-1 usage types carry no region prefix (`NatGateway-Hours`); other regions do (`EUW1-NatGateway-Hours`).
    return wanted is None or usagetype == wanted or usagetype.endswith(f"-{wanted}")


def on_demand_price(product: dict[str, Any], unit: str | None) -> tuple[float, str] | None:
    """The first paid tier of a product's on-demand terms: (USD per unit, its description)."""
    tiers = []
    for term in product.get("terms", {}).get("OnDemand", {}).values():
        for dimension in term.get("priceDimensions", {}).values():
            if unit is not None and dimension.get("unit") != unit:
                continue
            usd = float(dimension.get("pricePerUnit", {}).get("USD", "0"))
            if usd > 0:
                tiers.append((float(dimension.get("beginRange", "0")), usd, str(dimension.get("description", ""))))
    if not tiers:
        return None
    _, usd, description = min(tiers)
    return usd, description


def query_price(client: Any, region: str, query: dict[str, Any]) -> list[tuple[str, float, str]]:
    """Every matching product's (sku, price, description), over all pages."""
    found = []
    paginator = client.get_paginator("get_products")
    pages = paginator.paginate(
        ServiceCode=query["serviceCode"], Filters=_filters(region, query), FormatVersion="aws_v1", MaxResults=100
    )
    for page in pages:
        for raw in page.get("PriceList", []):
            product = json.loads(raw)
            usagetype = product.get("product", {}).get("attributes", {}).get("usagetype", "")
            if not _usagetype_matches(usagetype, query.get("usagetype")):
                continue
            price = on_demand_price(product, query.get("unit"))
            if price is not None:
                found.append((product["product"]["sku"], price[0], price[1]))
    return found


def refresh(client: Any, template: dict[str, Any], region: str, today: str) -> tuple[dict[str, Any], RefreshReport]:
    """A new price document for `region`, built from `template`'s queries; the template is not modified."""
    document = copy.deepcopy(template)
    same_region = template.get("region") == region
    document["region"] = region
    document["taken"] = today
    report = RefreshReport()
    prices: dict[str, Any] = document["prices"]
    for key in list(prices):
        entry = prices[key]
        query = entry.get("query")
        if not query:
            if same_region:
                report.by_hand.append(f"{key} (taken {entry['taken']}: {entry['source']})")
            else:
                # A hand-copied price belongs to its own region; another region must not inherit it.
                del prices[key]
                report.problems.append(f"{key}: no Price List query and no price for {region}; add it by hand")
            continue
        found = query_price(client, region, query)
        distinct = sorted({price for _, price, _ in found})
        if len(distinct) != 1:
            what = "no product matched" if not found else f"{len(found)} products with prices {distinct}"
            report.problems.append(f"{key}: {what}" + ("; old price kept" if same_region else "; left out"))
            if not same_region:
                del prices[key]
            continue
        sku, price, description = found[0]
        if price != entry["price"]:
            report.changed.append(f"{key}: {entry['price']} -> {price}")
        entry.pop("checked", None)  # it vouched for the old price
        entry.update(
            price=price,
            taken=today,
            source=f"AWS Price List API, {query['serviceCode']} sku {sku}: {description}".rstrip(": "),
        )
        report.updated.append(key)
    return document, report
