"""Decision letters as PDF (docs/grants.md, «Vedtaksbrev som PDF»): one stored file per decision event, rendered
once from the same template as the printable page and never regenerated.

The abstract model is what every app's letter shares (the app adds the one-to-one link to its event row); the
engine (core.cases.CaseEngine) issues a letter right after a decision is saved. WeasyPrint renders offline: the
stylesheet is inlined and the URL fetcher refuses every URL, so a letter never fetches anything."""

import hashlib
import logging

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.files.base import ContentFile
from django.db import models, transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

LETTER_CSS = "css/letter.css"  # shared by the printable page (linked) and the PDF (inlined)
NORDIC = str.maketrans({"æ": "ae", "Æ": "Ae", "ø": "o", "Ø": "O", "å": "a", "Å": "A"})  # slugify drops them


class DecisionLetterBase(models.Model):
    """One decision's letter: the PDF as it was sent, its archive file name and checksum. Written once."""

    file = models.FileField(_("fil"), upload_to="vedtak/%Y/%m/")
    filename = models.CharField(_("filnavn"), max_length=200)  # the archive name the download gives
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")

    class Meta:
        abstract = True
        ordering = ["created_at", "pk"]

    def __str__(self):
        return self.filename


def archive_filename(*, saksnummer: str, kind: str, case_id: int, outcome: str) -> str:
    """vedtak-2022-77-grunntilskudd-123-innvilget.pdf: the saksnummer first (its "/" becomes "-"), then what and
    which case, slugified to ASCII so every archive and mail client keeps it."""
    parts = [saksnummer.replace("/", "-"), kind, str(case_id), outcome]
    return "vedtak-" + "-".join(slug for part in parts if (slug := slugify(part.translate(NORDIC)))) + ".pdf"


class OfflineFetcher:
    """A WeasyPrint url_fetcher that fetches nothing: a letter carries its stylesheet inline and has no images.
    Any URL (http, file, data of a stray template change) is refused and logged, never opened."""

    _fail_on_errors = False  # read by weasyprint.urls.fetch

    def __call__(self, url):
        logger.warning("Vedtaksbrev: %s ble ikke hentet (brevet henter ingenting over nettet)", url[:200])
        raise ValueError(f"refused: {url[:200]}")

    fetch = __call__


def letter_css() -> str:
    with open(finders.find(LETTER_CSS), encoding="utf-8") as handle:
        return handle.read()


def render_pdf(body_template: str, context: dict) -> bytes:
    """The letter as PDF bytes: `body_template` inside templates/letters/pdf.html, in Bokmål (a letter's
    language does not follow the caseworker's screen). The yearly statement uses it too (payout.statement_views);
    `context` gives `title` and `municipality` for the document's metadata."""
    from weasyprint import HTML  # a heavy import only the decision path pays for

    with translation.override("nb"):
        html = render_to_string("letters/pdf.html", {**context, "body_template": body_template,
                                                     "css": letter_css()})
    return HTML(string=html, base_url="about:blank", url_fetcher=OfflineFetcher()).write_pdf()


def issue(letter_model, *, event, filename: str, body_template: str, context: dict):
    """The event's letter: the stored one, or rendered and stored now. A failure is logged and returns None; it
    is undone in a savepoint of its own, so the decision it belongs to is kept (the letter can be made later
    while the case is still as the decision left it, see docs/grants.md)."""
    existing = letter_model.objects.filter(event=event).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            pdf = render_pdf(body_template, context)
            letter = letter_model(event=event, filename=filename, sha256=hashlib.sha256(pdf).hexdigest(),
                                  created_by=event.user)
            letter.file.save(filename, ContentFile(pdf), save=False)
            letter.save()
            return letter
    except Exception:
        logger.exception("Vedtaksbrev for hendelse %s (%s) ble ikke laget", event.pk, filename)
        return None
