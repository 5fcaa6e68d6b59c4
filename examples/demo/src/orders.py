"""Orders for the demo shop."""
from pricing import unit_price, with_tax


def order_total(order):
    """The total of an order, tax included."""
    subtotal = sum(unit_price(item) * item["quantity"] for item in order["items"])
    # Add the tax to the subtotal.
    return 
