"""The one place that parses and formats months (a month is a date on the 1st, docs/architecture.md)."""

import re
from datetime import date

from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

MONTH_NAMES = (
    gettext_lazy("januar"), gettext_lazy("februar"), gettext_lazy("mars"), gettext_lazy("april"),
    gettext_lazy("mai"), gettext_lazy("juni"), gettext_lazy("juli"), gettext_lazy("august"),
    gettext_lazy("september"), gettext_lazy("oktober"), gettext_lazy("november"), gettext_lazy("desember"),
)  # fmt: skip
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(value: str) -> date:
    """`2020-05` → date(2020, 5, 1); ValueError with a Norwegian message otherwise."""
    match = _MONTH.match((value or "").strip())
    if not match or not 1 <= int(match[2]) <= 12:
        raise ValueError(_("Måned må skrives som ÅÅÅÅ-MM, for eksempel 2020-05."))
    return date(int(match[1]), int(match[2]), 1)


def format_month(month: date) -> str:
    """date(2020, 5, 1) → `2020-05` (the wire format)."""
    return f"{month.year:04d}-{month.month:02d}"


def month_label(month: date) -> str:
    """date(2020, 5, 1) → `mai 2020` (what a caseworker reads), in the active language: `May 2020` in English."""
    return f"{MONTH_NAMES[month.month - 1]} {month.year}"


# for a text read later (a stored check is rendered in each language, core.i18n)
month_label_lazy = lazy(month_label, str)


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def effective_end(end_date: date, terminated_on: date | None) -> date:
    """The last day a case or agreement covers: its planned end, or the termination date if earlier."""
    return min(end_date, terminated_on) if terminated_on else end_date


def first_of_month(day: date) -> date:
    return day.replace(day=1)
