"""The accounting voucher (regnskapsbilag) of a month's payment file, as CSV for the municipality's ERP, built
without a database (docs/payments.md, «Betalingsfil og bilag»).

One expense line per paid payee and payment kind on the kind's account string, then one contra line on the
municipality's balance account with −CtrlSum, so the voucher sums to 0."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from grants.exports import safe_text, to_csv

COLUMNS = ["bilagsdato", "art", "ansvar", "funksjon", "prosjekt", "belop", "tekst", "mottaker_navn",
           "organisasjonsnummer", "hpr_nummer"]


@dataclass(frozen=True)
class Expense:
    """One payee's amount of one kind, with the account string (art, ansvar, funksjon, prosjekt) it is booked on."""

    account: dict
    amount: Decimal
    text: str
    payee_name: str
    organisasjonsnummer: str
    hpr_nummer: str


def rows(*, voucher_date: date, expenses: list[Expense], balance_account: str, contra_text: str) -> list[list]:
    """The expense lines and the contra line (belop = −the expense lines' sum, tekst beginning "Motpost")."""
    day = voucher_date.isoformat()
    table = [[day, safe_text(e.account.get("art", "")), safe_text(e.account.get("ansvar", "")),
              safe_text(e.account.get("funksjon", "")), safe_text(e.account.get("prosjekt", "")), f"{e.amount:.2f}",
              safe_text(e.text), safe_text(e.payee_name), e.organisasjonsnummer, e.hpr_nummer] for e in expenses]
    total = sum((e.amount for e in expenses), Decimal("0"))
    assert contra_text.startswith("Motpost"), contra_text
    table.append([day, safe_text(balance_account), "", "", "", f"{-total:.2f}", contra_text, "", "", ""])
    return table


def build(**kwargs) -> bytes:
    """`;`, UTF-8 with BOM, LF, a decimal point (grants.exports.to_csv)."""
    return to_csv(COLUMNS, rows(**kwargs))
