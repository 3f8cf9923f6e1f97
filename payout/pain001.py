"""The bank's payment file: ISO 20022 pain.001.001.03 (credit transfer, NOK), built and read without a database
(docs/payments.md, «Betalingsfil og bilag»).

One group header, one payment information block from the municipality's account, one transaction per payee. The
bytes depend only on the arguments, so a file is reproducible; the service keeps the first one made."""

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"
MAX_ID = 35  # Max35Text: MsgId, PmtInfId, EndToEndId
MAX_NAME = 70  # the schema allows 140; Norwegian banks' guides (CGI-MP) cut names at 70
MAX_USTRD = 140
# Characters XML 1.0 cannot hold (and that a bank would refuse): control characters except tab, LF, CR.
NOT_IN_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
KIND_WORDS = {"basis": "basis", "basis_under": "basis", "basis_over": "basis", "grunntilskudd": "grunntilskudd",
              "introduksjon": "introduksjon", "alis": "ALIS", "korreksjon": "korreksjon", "utjamning": "utjamning"}


@dataclass(frozen=True)
class Debtor:
    """The municipality: its name, kontonummer (11 digits), organisasjonsnummer and BIC (both may be empty)."""

    name: str
    kontonummer: str
    organisasjonsnummer: str = ""
    bic: str = ""


@dataclass(frozen=True)
class Transfer:
    """One payee's month: the amount (Decimal kr, > 0), the name and kontonummer, an id and a text."""

    end_to_end_id: str
    amount: Decimal
    name: str
    kontonummer: str
    remittance: str
    organisasjonsnummer: str = ""


def message_id(kommunenummer: str, month: date, created_at: datetime) -> str:
    """Unique per file: the municipality, the month and the second it was made ("FL0301202206T20220701093000")."""
    return f"FL{kommunenummer}{month:%Y%m}T{created_at:%Y%m%d%H%M%S}"


def end_to_end_id(kommunenummer: str, month: date, hpr_nummer: str) -> str:
    """Unique per payee and month, and the same every time: "FL0301-202206-1234567" (a doctor has one payee per
    municipality and month)."""
    return f"FL{kommunenummer}-{month:%Y%m}-{hpr_nummer}"[:MAX_ID]


def remittance(month_label: str, lists: list[str], kinds: list[str]) -> str:
    """RmtInf/Ustrd, at most 140 characters: "Fastlegetilskudd juni 2022, liste 100, 101: basis, grunntilskudd".
    Many lists become "12 lister"; what still does not fit is cut with "…"."""
    words = list(dict.fromkeys(KIND_WORDS.get(kind, kind) for kind in kinds))
    head = f"Fastlegetilskudd {month_label}"
    for list_part in (_lists(lists), f"{len(lists)} lister" if len(lists) > 1 else _lists(lists)):
        text = f"{head}, {list_part}: {', '.join(words)}" if list_part else f"{head}: {', '.join(words)}"
        if len(text) <= MAX_USTRD:
            return text
    return text[:MAX_USTRD - 1] + "…"


def _lists(lists: list[str]) -> str:
    return "liste " + ", ".join(lists) if lists else ""


def clean(text: str, limit: int) -> str:
    """Text a bank accepts: no control characters, runs of space made one, at most `limit` characters."""
    return re.sub(r"\s+", " ", NOT_IN_XML.sub("", text or "")).strip()[:limit]


def amount_text(amount: Decimal) -> str:
    return f"{amount:.2f}"


def _add(parent, tag: str, text: str | None = None, **attributes):
    element = ET.SubElement(parent, tag, attributes)
    if text is not None:
        element.text = text
    return element


def _account(parent, tag: str, kontonummer: str, currency: bool = False):
    """A Norwegian account as BBAN: <tag><Id><Othr><Id>…</Id><SchmeNm><Cd>BBAN</Cd></SchmeNm></Othr></Id></tag>."""
    account = _add(parent, tag)
    other = _add(_add(account, "Id"), "Othr")
    _add(other, "Id", kontonummer)
    _add(_add(other, "SchmeNm"), "Cd", "BBAN")
    if currency:
        _add(account, "Ccy", "NOK")


def build(*, message_id: str, created_at: datetime, execution_date: date, debtor: Debtor,
          transfers: list[Transfer]) -> bytes:
    """The pain.001.001.03 document as UTF-8 bytes. NbOfTxs and CtrlSum (exact Decimal sum) are given in both the
    group header and the payment information block."""
    if not transfers:
        raise ValueError("En betalingsfil må ha minst én transaksjon.")
    if any(t.amount <= 0 for t in transfers):
        raise ValueError("Bare positive beløp kan betales ut.")
    control_sum = amount_text(sum((t.amount for t in transfers), Decimal("0")))
    count = str(len(transfers))
    document = ET.Element("Document", {"xmlns": NAMESPACE})
    initiation = _add(document, "CstmrCdtTrfInitn")

    header = _add(initiation, "GrpHdr")
    _add(header, "MsgId", message_id)
    _add(header, "CreDtTm", created_at.strftime("%Y-%m-%dT%H:%M:%S"))
    _add(header, "NbOfTxs", count)
    _add(header, "CtrlSum", control_sum)
    party = _add(header, "InitgPty")
    _add(party, "Nm", clean(debtor.name, MAX_NAME))
    if debtor.organisasjonsnummer:
        _add(_add(_add(_add(party, "Id"), "OrgId"), "Othr"), "Id", debtor.organisasjonsnummer)

    info = _add(initiation, "PmtInf")
    _add(info, "PmtInfId", f"{message_id}-1"[:MAX_ID])
    _add(info, "PmtMtd", "TRF")
    _add(info, "NbOfTxs", count)
    _add(info, "CtrlSum", control_sum)
    _add(_add(info, "PmtTpInf"), "InstrPrty", "NORM")  # an ordinary (not urgent) domestic transfer
    _add(info, "ReqdExctnDt", execution_date.isoformat())
    _add(_add(info, "Dbtr"), "Nm", clean(debtor.name, MAX_NAME))
    _account(info, "DbtrAcct", debtor.kontonummer, currency=True)
    institution = _add(_add(info, "DbtrAgt"), "FinInstnId")
    if debtor.bic:
        _add(institution, "BIC", debtor.bic)
    else:  # the bank knows its own account numbers (CGI-MP: "NOTPROVIDED")
        _add(_add(institution, "Othr"), "Id", "NOTPROVIDED")

    for transfer in transfers:
        transaction = _add(info, "CdtTrfTxInf")
        _add(_add(transaction, "PmtId"), "EndToEndId", transfer.end_to_end_id)
        _add(_add(transaction, "Amt"), "InstdAmt", amount_text(transfer.amount), Ccy="NOK")
        creditor = _add(transaction, "Cdtr")
        _add(creditor, "Nm", clean(transfer.name, MAX_NAME))
        if transfer.organisasjonsnummer:  # paid to the doctor's company
            _add(_add(_add(_add(creditor, "Id"), "OrgId"), "Othr"), "Id", transfer.organisasjonsnummer)
        _account(transaction, "CdtrAcct", transfer.kontonummer)
        _add(_add(transaction, "RmtInf"), "Ustrd", clean(transfer.remittance, MAX_USTRD))

    ET.indent(document, space="  ")
    return ET.tostring(document, encoding="UTF-8", xml_declaration=True) + b"\n"


@dataclass(frozen=True)
class Summary:
    message_id: str
    execution_date: date
    transactions: int
    control_sum: Decimal
    transfers: list[Transfer]


def read(content: bytes) -> Summary:
    """What a file says: its id, date, counts and each transfer (what the voucher books and the tests check)."""
    ns = {"p": NAMESPACE}
    root = ET.fromstring(content)
    transfers = [Transfer(
        end_to_end_id=tx.findtext("p:PmtId/p:EndToEndId", namespaces=ns),
        amount=Decimal(tx.findtext("p:Amt/p:InstdAmt", namespaces=ns)),
        name=tx.findtext("p:Cdtr/p:Nm", namespaces=ns),
        kontonummer=tx.findtext("p:CdtrAcct/p:Id/p:Othr/p:Id", namespaces=ns),
        remittance=tx.findtext("p:RmtInf/p:Ustrd", namespaces=ns),
        organisasjonsnummer=tx.findtext("p:Cdtr/p:Id/p:OrgId/p:Othr/p:Id", default="", namespaces=ns),
    ) for tx in root.iterfind(".//p:CdtTrfTxInf", ns)]
    return Summary(
        message_id=root.findtext(".//p:GrpHdr/p:MsgId", namespaces=ns),
        execution_date=date.fromisoformat(root.findtext(".//p:PmtInf/p:ReqdExctnDt", namespaces=ns)),
        transactions=int(root.findtext(".//p:GrpHdr/p:NbOfTxs", namespaces=ns)),
        control_sum=Decimal(root.findtext(".//p:GrpHdr/p:CtrlSum", namespaces=ns)),
        transfers=transfers,
    )
