"""The month's payment file: made once for an authorised month and kept (docs/payments.md, «Betalingsfil og bilag»;
docs/payments.md «Betalingsfil og bilag»). The browser and `export_payout` call `create_payment_file`."""

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.months import format_month, month_label
from core.workflow import Forbidden, ServiceError
from grants.models import PaymentLine, PaymentMonth
from payout import pain001
from payout.models import MunicipalityAccount, PaymentFile
from payout.selectors import PayeeMonth, month_payout
from practices.permissions import can_casework

logger = logging.getLogger(__name__)
KIND_ORDER = list(PaymentLine.Kind.values)  # the remittance text and the voucher name the kinds in this order


class PayeesToFix(ServiceError):
    """Doctors the month pays whose payee is missing or whose kontonummer is pending: one line each in `payees`."""

    def __init__(self, rows: list[PayeeMonth]):
        self.payees = rows
        self.lines = [payee_to_fix_line(row) for row in rows]
        super().__init__(_("Betalingsfilen kan ikke lages før disse mottakerne er i orden: %(list)s") % {
            "list": " ".join(self.lines)})


def payee_to_fix_line(row: PayeeMonth) -> str:
    """"Lege Legesen (HPR 1234567): mangler utbetalingsmottaker – registrer mottaker og kontonummer."""
    fix = (_("registrer mottaker og kontonummer.") if row.payee is None
           else _("en annen saksbehandler må bekrefte kontonummeret."))
    return _("%(name)s (HPR %(hpr)s): %(problem)s – %(fix)s") % {
        "name": row.doctor.name, "hpr": row.doctor.hpr_nummer, "problem": row.problem, "fix": fix}


@dataclass
class Outcome:
    """What asking for the file gave: the kept file (None when nobody is to be paid), whether it was made now, a
    warning (another execution date than the kept file's) and the payees owing the municipality."""

    payment_file: PaymentFile | None
    created: bool = False
    warning: str = ""
    owing: list[PayeeMonth] = field(default_factory=list)


def easter_sunday(year: int) -> date:
    """The Gregorian Easter Sunday (the anonymous algorithm, Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    weekday = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * weekday) // 451
    month, day = divmod(h + weekday - 7 * m + 114, 31)
    return date(year, month, day + 1)


def bank_holidays(year: int) -> set[date]:
    """Norwegian public holidays, when banks do not pay (helligdagsloven, 1. og 17. mai)."""
    easter = easter_sunday(year)
    moving = {easter + timedelta(days=offset) for offset in (-3, -2, 0, 1, 39, 49, 50)}
    return moving | {date(year, 1, 1), date(year, 5, 1), date(year, 5, 17), date(year, 12, 25), date(year, 12, 26)}


def next_bank_day(today: date) -> date:
    """The first day after `today` that is neither a weekend nor a Norwegian public holiday: the default
    execution date."""
    day = today + timedelta(days=1)
    while day.weekday() >= 5 or day in bank_holidays(day.year):
        day += timedelta(days=1)
    return day


def check_execution_date(execution_date: date, today: date | None = None) -> None:
    today = today or timezone.localdate()
    if execution_date < today:
        raise ServiceError(_("Betalingsdatoen %(date)s er passert. Velg i dag eller en senere dato.") % {
            "date": execution_date.strftime("%d.%m.%Y")}, field="execution_date")


def create_payment_file(*, user, payment_month: PaymentMonth, execution_date: date,
                        today: date | None = None) -> Outcome:
    """The pain.001.001.03 file of an authorised month, made once: a caseworker of the month's municipality (None:
    the system, `export_payout`); the month closed (anvist); the execution date today or later; every doctor the
    month pays with a confirmed payee valid on the month's first day. A payee whose month sums to 0 or less is not
    paid (listed as owing). Asking again gives the kept file (a warning when the date differs). The month row is
    locked, so two clicks make one file."""
    if user is not None:
        allowed, reason = can_casework(user, payment_month.municipality)
        if not allowed:
            raise Forbidden(reason)
    with transaction.atomic():
        locked = PaymentMonth.objects.select_for_update().select_related("municipality").get(pk=payment_month.pk)
        kept = PaymentFile.objects.filter(payment_month=locked).first()
        if kept is not None:
            warning = "" if kept.execution_date == execution_date else _(
                "Betalingsfilen ble laget %(created)s med betalingsdato %(date)s og gjelder fortsatt; den nye datoen "
                "er ikke brukt.") % {"created": timezone.localtime(kept.created_at).strftime("%d.%m.%Y %H:%M"),
                                     "date": kept.execution_date.strftime("%d.%m.%Y")}
            return Outcome(kept, warning=warning)
        if locked.status != PaymentMonth.Status.CLOSED:
            raise ServiceError(_("Måneden er ikke anvist. Betalingsfilen kan lages når måneden er attestert og "
                                 "anvist."))
        check_execution_date(execution_date, today)
        municipality = locked.municipality
        account = MunicipalityAccount.objects.filter(municipality=municipality).first()
        if account is None:
            raise ServiceError(_("Kommunens eget kontonummer mangler. Registrer det under kommunens innstillinger "
                                 "for utbetaling."))
        payout = month_payout(municipality, locked.month)
        if payout.to_fix:
            raise PayeesToFix(payout.to_fix)
        if not payout.to_pay:
            return Outcome(None, owing=payout.owing)
        now = timezone.now()
        message_id = pain001.message_id(municipality.kommunenummer, locked.month, timezone.localtime(now))
        content = pain001.build(
            message_id=message_id, created_at=timezone.localtime(now), execution_date=execution_date,
            debtor=pain001.Debtor(name=municipality.name, kontonummer=account.kontonummer,
                                  organisasjonsnummer=account.organisasjonsnummer, bic=account.bic),
            transfers=transfers(municipality.kommunenummer, locked.month, payout.to_pay))
        payment_file = PaymentFile(payment_month=locked, execution_date=execution_date, message_id=message_id,
                                   content=content, sha256=hashlib.sha256(content).hexdigest(),
                                   transactions=len(payout.to_pay), control_sum=payout.control_sum,
                                   created_by=user)
        payment_file.full_clean(exclude=["payment_month"])
        payment_file.save()
    logger.info("payment file %s: %s transactions, %s", message_id, payment_file.transactions,
                payment_file.control_sum)
    return Outcome(payment_file, created=True, owing=payout.owing)


def transfers(kommunenummer: str, month: date, rows: list[PayeeMonth]) -> list[pain001.Transfer]:
    """One transfer per payee: the sum of the doctor's paid lines, the text naming the month, lists and kinds (in
    Bokmål whatever language the caseworker uses: the doctor reads it in the bank)."""
    with translation.override("nb"):
        label = month_label(month)
    return [pain001.Transfer(
        end_to_end_id=pain001.end_to_end_id(kommunenummer, month, row.doctor.hpr_nummer or f"D{row.doctor.pk}"),
        amount=row.total, name=row.payee.name, kontonummer=row.payee.kontonummer,
        organisasjonsnummer=row.payee.organisasjonsnummer,
        remittance=pain001.remittance(label, row.lists, [kind for kind in KIND_ORDER if row.kinds.get(kind)]),
    ) for row in rows]


def file_name(payment_file: PaymentFile) -> str:
    month = payment_file.payment_month
    return f"betalingsfil-{month.municipality.kommunenummer}-{format_month(month.month)}.xml"
