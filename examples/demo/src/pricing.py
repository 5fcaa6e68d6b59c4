"""Prices and taxes for the demo shop."""

TAX_RATE = 0.2


def unit_price(item):
    """The price of one unit of an item, before tax."""
    return item["price"]


def with_tax(amount):
    """An amount with the tax added."""
    return amount * (1 + TAX_RATE)
