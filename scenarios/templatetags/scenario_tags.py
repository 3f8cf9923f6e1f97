"""Template filters of the scenario pages: a difference with its sign, and a share in percent."""

from decimal import Decimal

from django import template

from core import money

register = template.Library()


@register.filter
def signed_kr(value):
    """Decimal → `+1 234,50 kr` / `-1 234,50 kr` / `0,00 kr`: a difference reads as one."""
    if value is None or value == "":
        return ""
    value = Decimal(value)
    return ("+" if value > 0 else "") + money.format_kr(value)


@register.filter
def change_percent(difference, base):
    """The difference as a percentage of `base`, with one decimal and a sign: `+3,4 %`; empty for base 0."""
    if difference is None or not base:
        return ""
    share = Decimal(difference) * 100 / Decimal(base)
    return ("+" if share > 0 else "") + money.format_number_nb(share, 1) + "\xa0%"
