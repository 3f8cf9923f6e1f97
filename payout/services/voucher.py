"""The month's accounting voucher, from its kept payment file and the frozen ledger (docs/payments.md,
«Betalingsfil og bilag»). `export_voucher` and the month page call `voucher_for`."""

import logging
from dataclasses import dataclass
from decimal import Decimal

from django.utils import translation
from django.utils.translation import gettext as _

from core.months import format_month, month_label
from core.workflow import Forbidden, ServiceError
from grants.models import PaymentLine, PaymentMonth
from payout import pain001, rules, voucher
from payout.models import AccountString, MunicipalityAccount, PaymentFile
from payout.selectors import paid_by_doctor
from payout.services.payment_file import KIND_ORDER
from practices.models import Doctor
from practices.permissions import can_view

logger = logging.getLogger(__name__)


@dataclass
class Voucher:
    content: bytes
    filename: str
    expense_lines: int
    total: Decimal  # the expense lines' sum: the payment file's CtrlSum


def voucher_for(*, user, payment_month: PaymentMonth) -> Voucher:
    """The voucher of the month's payment file: one expense line per payee in the file and kind with a non-zero
    amount (a korreksjon is a kind of its own, booked on the account string set for `korreksjon`), on the
    municipality's account string for the kind (or art 370, funksjon 241); the payees are those the file pays,
    so the expense lines sum to its CtrlSum; dated the file's execution date. Anyone who may see the month (None:
    the system)."""
    municipality = payment_month.municipality
    if user is not None:
        allowed, reason = can_view(user, municipality)
        if not allowed:
            raise Forbidden(reason)
    payment_file = payment_month.pk and PaymentFile.objects.filter(payment_month=payment_month).first()
    if not payment_file:
        raise ServiceError(_("Lag betalingsfilen først: bilaget bygger på den."))
    summary = pain001.read(bytes(payment_file.content))
    month = payment_month.month
    paid = paid_by_doctor(municipality, month)
    doctors = Doctor.objects.in_bulk(list(paid))
    by_id = {pain001.end_to_end_id(municipality.kommunenummer, month, doctor.hpr_nummer or f"D{doctor.pk}"): doctor
             for doctor in doctors.values()}
    strings = {row.kind: {"art": row.art, "ansvar": row.ansvar, "funksjon": row.funksjon, "prosjekt": row.prosjekt}
               for row in AccountString.objects.filter(municipality=municipality)}
    account = MunicipalityAccount.objects.filter(municipality=municipality).first()
    with translation.override("nb"):
        label = month_label(month)
        kind_names = {kind: str(name) for kind, name in PaymentLine.Kind.choices}
    expenses = []
    for transfer in summary.transfers:
        doctor = by_id.get(transfer.end_to_end_id)
        kinds = paid[doctor.pk]["kinds"] if doctor else {}
        if doctor is None or sum(kinds.values()) != transfer.amount:  # the ledger of a month with a file is frozen
            logger.error("voucher %s: %s does not match the ledger", payment_file.message_id, transfer.end_to_end_id)
            raise ServiceError(_("Bilaget kan ikke lages: betalingsfilens beløp for %(name)s stemmer ikke med "
                                 "linjene. Kontakt brukerstøtte.") % {"name": transfer.name})
        expenses += [voucher.Expense(
            account=strings.get(kind, rules.DEFAULT_ACCOUNT_STRING), amount=kinds[kind],
            text=f"Fastlegetilskudd {label}: {kind_names.get(kind, kind)}", payee_name=transfer.name,
            organisasjonsnummer=transfer.organisasjonsnummer, hpr_nummer=doctor.hpr_nummer,
        ) for kind in KIND_ORDER if kinds.get(kind)]
    content = voucher.build(
        voucher_date=payment_file.execution_date, expenses=expenses,
        balance_account=account.balance_account if account else "2190",
        contra_text=f"Motpost fastlegetilskudd {label}, betalingsfil {payment_file.message_id}")
    return Voucher(content=content, expense_lines=len(expenses), total=sum((e.amount for e in expenses), Decimal(0)),
                   filename=f"regnskapsbilag-{municipality.kommunenummer}-{format_month(month)}.csv")
