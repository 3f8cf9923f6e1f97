"""The one write path for payees, the municipality's account and its account strings (docs/payments.md,
«Utbetalingsmottakere»): the pages, the API and the commands all come here.

Every write checks the role in the object's own municipality (the stored row, locked) and that every object the
input names lies there: a payee is only for a doctor with a list, a case or an agreement in the municipality. A new
or changed kontonummer (or organisasjonsnummer) is pending until a caseworker of the municipality other than the
one who entered it confirms it; the history records who did what and why."""

import re
from dataclasses import dataclass
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history
from stdnum.no import orgnr as stdnum_orgnr

from core.workflow import Forbidden, ServiceError
from grants.models import PaymentLine
from payout import importing, rules
from payout.models import AccountString, MunicipalityAccount, Payee
from payout.permissions import can_confirm_payee, can_enter_payees
from practices.importing import FileImport, FileRejected, RowError
from practices.models import Doctor, Municipality, Role
from practices.permissions import can_casework
from practices.selectors import doctor_municipalities, municipalities_for
from practices.services.list_import import import_context

NAME_MAX_LENGTH = 200
REASON_CREATED = "Registrert – venter på bekreftelse"
REASON_ACCOUNT_CHANGED = "Kontonummer endret – venter på bekreftelse"
REASON_CHANGED = "Endret"
REASON_CONFIRMED = "Kontonummer bekreftet"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_BIC = re.compile(r"[A-Z]{6}[A-Z0-9]{2}(?:[A-Z0-9]{3})?")
_ACCOUNT_PART = re.compile(r"[0-9A-Za-z]{1,10}")


def _require(result) -> None:
    allowed, reason = result
    if not allowed:
        raise Forbidden(reason)


def _doctor_error(doctor: Doctor, municipality: Municipality) -> str:
    """Why `doctor` cannot have a payee in `municipality` (no list, case or agreement there), or ""."""
    if municipality.pk in doctor_municipalities([doctor.pk])[doctor.pk]:
        return ""
    return _("Legen med HPR-nummer %(hpr)s har ingen liste, sak eller avtale i %(kommune)s. En utbetalingsmottaker "
             "registreres bare for kommunens egne leger.") % {"hpr": doctor.hpr_nummer, "kommune": municipality}


def _clean_fields(*, name: str, organisasjonsnummer: str, kontonummer: str, valid_from) -> dict:
    """The payee's own fields, cleaned; a ServiceError naming every wrong field."""
    errors = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = _("Fyll inn mottakerens navn: legens navn, eller selskapets når utbetalingen går dit.")
    elif _CONTROL.search(name) or len(name) > NAME_MAX_LENGTH:
        errors["name"] = _("Navnet kan ha høyst %(max)s tegn og ingen kontrolltegn.") % {"max": NAME_MAX_LENGTH}
    orgnr = re.sub(r"\s", "", organisasjonsnummer or "")
    if orgnr and not stdnum_orgnr.is_valid(orgnr):
        errors["organisasjonsnummer"] = _("Organisasjonsnummeret %(value)s er ugyldig: det må ha ni sifre med riktig "
                                          "kontrollsiffer (det siste sifferet).") % {"value": orgnr}
    account_error = rules.kontonummer_error(kontonummer or "")
    if account_error:
        errors["kontonummer"] = account_error
    if valid_from is not None and not importing.YEARS[0] <= valid_from.year <= importing.YEARS[1]:
        errors["valid_from"] = _("Gyldig fra må være mellom 01.01.2000 og 31.12.2099.")
    if errors:
        raise ServiceError(errors=errors)
    return {"name": name, "organisasjonsnummer": orgnr, "kontonummer": rules.clean_kontonummer(kontonummer),
            "valid_from": valid_from}


@transaction.atomic
def save_payee(*, user, municipality: Municipality, doctor: Doctor, name: str, organisasjonsnummer: str = "",
               kontonummer: str, valid_from: date | None = None, payee: Payee | None = None) -> Payee:
    """Enter a payee (`payee=None`) or change one: an administrator of the payee's own municipality, for a doctor
    with a list, case or agreement there. A new payee, or a changed kontonummer or organisasjonsnummer, is pending
    (its confirmation cleared, `entered_by` the user); a change of the name or the date keeps the confirmation.
    A payee never moves to another municipality or doctor."""
    stored = Payee.objects.select_for_update().select_related("municipality").get(pk=payee.pk) if payee else None
    _require(can_enter_payees(user, stored.municipality if stored else municipality))
    if stored and (stored.municipality_id != municipality.pk or stored.doctor_id != doctor.pk):
        raise ServiceError(_("En utbetalingsmottaker kan ikke flyttes til en annen kommune eller lege. Registrer en "
                             "ny mottaker i stedet."))
    if not stored:
        error = _doctor_error(doctor, municipality)
        if error:
            raise ServiceError(error, field="hpr_nummer")
    values = _clean_fields(name=name, organisasjonsnummer=organisasjonsnummer, kontonummer=kontonummer,
                           valid_from=valid_from)
    target = stored or Payee(municipality=municipality, doctor=doctor)
    account_changed = stored is None or (stored.kontonummer, stored.organisasjonsnummer) != (
        values["kontonummer"], values["organisasjonsnummer"])
    if stored and not account_changed and all(getattr(stored, k) == v for k, v in values.items()):
        return stored  # nothing to record
    for key, value in values.items():
        setattr(target, key, value)
    if account_changed:
        target.entered_by, target.entered_at = user, timezone.now()
        target.confirmed_by = target.confirmed_at = None
    target._change_reason = (REASON_CREATED if stored is None else REASON_ACCOUNT_CHANGED if account_changed
                             else REASON_CHANGED)
    target._history_user = user
    if Payee.objects.filter(municipality=municipality, doctor=doctor, valid_from=values["valid_from"]).exclude(
            pk=target.pk).exists():
        raise ServiceError(_("Legen har allerede en utbetalingsmottaker i kommunen fra denne datoen. Endre den i "
                             "stedet."), field="valid_from")
    try:
        with transaction.atomic():
            target.save()
    except IntegrityError:  # the same (municipality, doctor, date) saved at the same moment
        raise ServiceError(_("Legen har allerede en utbetalingsmottaker i kommunen fra denne datoen. Endre den i "
                             "stedet."), field="valid_from") from None
    return target


@transaction.atomic
def confirm_payee(*, user, payee: Payee) -> Payee:
    """Confirm a pending kontonummer: a caseworker of the payee's municipality other than the one who entered or
    last changed it (four-eyes)."""
    stored = Payee.objects.select_for_update().select_related("municipality").get(pk=payee.pk)
    _require(can_confirm_payee(user, stored))
    stored.confirmed_by, stored.confirmed_at = user, timezone.now()
    stored._change_reason, stored._history_user = REASON_CONFIRMED, user
    stored.save(update_fields=["confirmed_by", "confirmed_at"])
    return stored


@transaction.atomic
def confirm_pending(*, user, municipality: Municipality) -> int:
    """Confirm every pending account of the municipality that another user entered (a caseworker there); the ones
    the user entered stay pending. Returns how many were confirmed."""
    _require(can_casework(user, municipality))
    pending = list(Payee.objects.select_for_update().filter(municipality=municipality, confirmed_at__isnull=True)
                   .exclude(entered_by=user))
    now = timezone.now()
    for payee in pending:
        payee.confirmed_by, payee.confirmed_at = user, now
    if pending:
        bulk_update_with_history(pending, Payee, ["confirmed_by", "confirmed_at"], default_user=user,
                                 default_change_reason=REASON_CONFIRMED)
    return len(pending)


def _may_set_account(user, municipality) -> None:
    """The municipality's administrators; superusers and the system (user None: the command) too
    (docs/architecture.md, roles)."""
    if user is None or user.is_superuser:
        return
    _require(can_enter_payees(user, municipality))


@transaction.atomic
def set_municipality_account(*, user, municipality: Municipality, kontonummer: str, organisasjonsnummer: str = "",
                             bic: str = "", balance_account: str | None = None) -> MunicipalityAccount:
    """Set the municipality's own account (the debtor of the payment file): its administrators, superusers and the
    command. `balance_account` None keeps the stored one (default 2190)."""
    _may_set_account(user, municipality)
    account = MunicipalityAccount.objects.select_for_update().filter(municipality=municipality).first() or \
        MunicipalityAccount(municipality=municipality)
    errors = {}
    if rules.kontonummer_error(kontonummer or ""):
        errors["kontonummer"] = rules.kontonummer_error(kontonummer or "")
    orgnr = re.sub(r"\s", "", organisasjonsnummer or "")
    if orgnr and not stdnum_orgnr.is_valid(orgnr):
        errors["organisasjonsnummer"] = _("Organisasjonsnummeret %(value)s er ugyldig: det må ha ni sifre med riktig "
                                          "kontrollsiffer (det siste sifferet).") % {"value": orgnr}
    bic = re.sub(r"\s", "", bic or "").upper()
    if bic and not _BIC.fullmatch(bic):
        errors["bic"] = _("BIC må ha 8 eller 11 tegn, for eksempel DNBANOKKXXX.")
    if balance_account is not None:
        balance_account = balance_account.strip()
        if not _ACCOUNT_PART.fullmatch(balance_account):
            errors["balance_account"] = _("Balansekontoen må ha 1–10 bokstaver eller sifre, for eksempel 2190.")
    if errors:
        raise ServiceError(errors=errors)
    changed = account.pk is None or (account.kontonummer, account.organisasjonsnummer, account.bic) != (
        rules.clean_kontonummer(kontonummer), orgnr, bic) or (
        balance_account is not None and balance_account != account.balance_account)
    if not changed:
        return account
    account.kontonummer, account.organisasjonsnummer, account.bic = rules.clean_kontonummer(kontonummer), orgnr, bic
    if balance_account is not None:
        account.balance_account = balance_account
    account._change_reason = "Registrert" if account.pk is None else "Endret"
    account._history_user = user
    account.save()
    return account


def _account_string(*, art: str, ansvar: str = "", funksjon: str, prosjekt: str = "") -> dict:
    """The parts cleaned; a ServiceError naming the wrong ones."""
    values = {"art": (art or "").strip(), "ansvar": (ansvar or "").strip(), "funksjon": (funksjon or "").strip(),
              "prosjekt": (prosjekt or "").strip()}
    errors = {key: _("Bruk 1–10 bokstaver eller sifre.") for key, value in values.items()
              if (value or key in ("art", "funksjon")) and not _ACCOUNT_PART.fullmatch(value)}
    if errors:
        raise ServiceError(errors=errors)
    return values


@transaction.atomic
def save_account_string(*, user, municipality: Municipality, kind: str, art: str, ansvar: str = "", funksjon: str,
                        prosjekt: str = "") -> AccountString | None:
    """Set the account string a payment kind is booked on (administrators): art and funksjon required (KOSTRA:
    art 370, funksjon 241), ansvar and prosjekt optional. The defaults are kept without a row (None returned)."""
    _may_set_account(user, municipality)
    if kind not in PaymentLine.Kind.values:
        raise ServiceError(_("Ukjent utbetalingstype."), field="kind")
    values = _account_string(art=art, ansvar=ansvar, funksjon=funksjon, prosjekt=prosjekt)
    stored = AccountString.objects.select_for_update().filter(municipality=municipality, kind=kind).first()
    if stored is None and values == rules.DEFAULT_ACCOUNT_STRING:
        return None
    if stored is not None and all(getattr(stored, key) == value for key, value in values.items()):
        return stored
    target = stored or AccountString(municipality=municipality, kind=kind)
    for key, value in values.items():
        setattr(target, key, value)
    target._change_reason = "Registrert" if stored is None else "Endret"
    target._history_user = user
    target.save()
    return target


@transaction.atomic
def save_settings(*, user, municipality: Municipality, account: dict, strings: dict[str, dict]) -> None:
    """The settings page in one go: the municipality's account and the account string of every kind; all or
    nothing, every part checked before anything is written (a ServiceError's fields are prefixed with the kind)."""
    _may_set_account(user, municipality)
    errors = {}
    for kind, values in strings.items():
        try:
            _account_string(**values)
        except ServiceError as error:
            errors.update({f"{kind}-{key}": message for key, message in error.errors.items()})
    if errors:
        raise ServiceError(errors=errors)
    set_municipality_account(user=user, municipality=municipality, **account)
    for kind, values in strings.items():
        save_account_string(user=user, municipality=municipality, kind=kind, **values)


# --- the import (import_payees) -----------------------------------------------------------------------------


@dataclass
class PayeeImport(FileImport):
    """A payee import; its last line also counts the payees awaiting confirmation."""

    pending: int = 0  # rows whose payee awaits confirmation after the import (new, changed or still pending)

    @property
    def summary(self) -> str:
        return f"{super().summary}, venter på bekreftelse {self.pending}"


def import_payees(*, user, data: bytes, filename: str = "") -> PayeeImport:
    """Import a payee file (docs/payments.md «Utbetalingsmottakere»): the file rules of docs/import.md, all or nothing.
    Without a user (the command without --user) as the system, for every municipality; a user imports only where she is
    administrator. An unknown HPR, another municipality's doctor or a wrong check digit is a row error, and nothing is
    written. Upserts by (municipality, doctor, gyldig_fra); a new payee or a changed account is pending (`save_payee`'s
    rule)."""
    result = PayeeImport()
    if user is not None and not municipalities_for(user, roles=[Role.ADMINISTRATOR]).exists():
        result.message = _("Bare kommuneadministratorer kan importere utbetalingsmottakere.")
        return result
    context = import_context(user)
    try:
        parsed = importing.parse_payee_file(data, context)
    except FileRejected as error:
        result.message = str(error)
        return result
    result.warnings = parsed.warnings
    rows = parsed.rows
    municipalities = {m.kommunenummer: m for m in Municipality.objects.filter(
        kommunenummer__in={row.kommunenummer for row in rows})}
    doctors = {d.hpr_nummer: d for d in Doctor.objects.filter(hpr_nummer__in={row.hpr_nummer for row in rows})}
    places = doctor_municipalities([d.pk for d in doctors.values()])
    errors = list(parsed.errors)
    valid = []
    for row in rows:
        doctor, municipality = doctors.get(row.hpr_nummer), municipalities[row.kommunenummer]
        if doctor is None:
            errors.append(RowError(row.row, "hpr_nummer", (
                f"Finner ingen lege med HPR-nummer {row.hpr_nummer}. Kontroller nummeret, eller registrer legen "
                "først (listeimporten eller legesiden)."), kommunenummer=row.kommunenummer))
        elif municipality.pk not in places[doctor.pk]:
            errors.append(RowError(row.row, "hpr_nummer", (
                f"Legen med HPR-nummer {row.hpr_nummer} har ingen liste, sak eller avtale i kommune "
                f"{municipality.kommunenummer} {municipality.name}. En utbetalingsmottaker registreres bare for "
                "kommunens egne leger."), kommunenummer=row.kommunenummer))
        else:
            valid.append((row, municipality, doctor))
    if errors:
        result.errors = sorted(errors, key=lambda error: (error.row, importing.COLUMNS.index(error.column)
                                                          if error.column in importing.COLUMNS else -1))
        return result
    _apply_import(result, valid, user, filename)
    return result


@transaction.atomic
def _apply_import(result: PayeeImport, valid, user, filename: str) -> None:
    """Diff against the stored payees (one query) and write in bulk, with history (who, and why)."""
    stored = {(p.municipality_id, p.doctor_id, p.valid_from): p for p in Payee.objects.select_for_update().filter(
        municipality__in={m.pk for _, m, _ in valid}, doctor__in={d.pk for _, _, d in valid})}
    now = timezone.now()
    new, account_changed, name_changed = [], [], []
    for row, municipality, doctor in valid:
        payee = stored.get((municipality.pk, doctor.pk, row.valid_from))
        if payee is None:
            new.append(Payee(municipality=municipality, doctor=doctor, valid_from=row.valid_from, name=row.name,
                             organisasjonsnummer=row.organisasjonsnummer, kontonummer=row.kontonummer,
                             entered_by=user, entered_at=now))
            result.created += 1
            result.pending += 1
            continue
        if (payee.kontonummer, payee.organisasjonsnummer) != (row.kontonummer, row.organisasjonsnummer):
            payee.kontonummer, payee.organisasjonsnummer = row.kontonummer, row.organisasjonsnummer
            payee.name = row.name
            payee.entered_by, payee.entered_at, payee.confirmed_by, payee.confirmed_at = user, now, None, None
            account_changed.append(payee)
            result.changed += 1
        elif payee.name != row.name:
            payee.name = row.name
            name_changed.append(payee)
            result.changed += 1
        else:
            result.unchanged += 1
        result.pending += payee.is_pending
    source = f" (fil {filename})"[:40] if filename else ""
    if new:
        bulk_create_with_history(new, Payee, default_user=user, default_change_reason=REASON_CREATED + source)
    if account_changed:
        bulk_update_with_history(account_changed, Payee, ["kontonummer", "organisasjonsnummer", "name", "entered_by",
                                                          "entered_at", "confirmed_by", "confirmed_at"],
                                 default_user=user, default_change_reason=REASON_ACCOUNT_CHANGED + source)
    if name_changed:
        bulk_update_with_history(name_changed, Payee, ["name"], default_user=user,
                                 default_change_reason=REASON_CHANGED + source)
