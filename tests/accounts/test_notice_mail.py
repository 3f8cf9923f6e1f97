"""E-mail notices (issue 21, docs/operations.md «E-postvarsler») through a real SMTP server on loopback (aiosmtpd):
each kind reaches the right people once, with the subject and a link to the in-app notice, in text and HTML;
a kind switched off on the «Varsler» page sends nothing; the «Varsler» page and the notice link."""

import email
import socket
from datetime import date

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.urls import reverse

from accounts.models import NoticeMail, NoticePreference
from accounts.notices import send_notice_mail
from grants.models import GrunntilskuddApplication
from grants.services import cases, ledger
from practices.models import ImportJob, Notice
from tests import factories

pytestmark = pytest.mark.django_db
SITE = "https://fastlege.kommune.example"


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        message = email.message_from_bytes(envelope.content)
        subject = str(email.header.make_header(email.header.decode_header(message["Subject"])))
        self.messages.append({"to": envelope.rcpt_tos, "subject": subject.replace("\r\n", "").replace("\n", ""),
                              "message": message})
        return "250 OK"

    def parts(self, index):
        message = self.messages[index]["message"]
        return {part.get_content_type(): part.get_payload(decode=True).decode() for part in message.walk()
                if not part.is_multipart()}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(settings):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.SITE_URL = SITE
    yield inbox
    controller.stop()


def with_email(user, address):
    user.email = address
    user.save()
    return user


@pytest.fixture
def granted(oslo, administrator, caseworker, django_capture_on_commit_callbacks):
    with_email(administrator, "admin@oslo.kommune.no")
    with_email(caseworker, "saksbehandler@oslo.kommune.no")
    holder = factories.ListHolderFactory(patient_list__practice__municipality=oslo, patient_list__listetak=1000,
                                         from_month=date(2020, 1, 1), doctor__name="Dr. Hemmelig Navn")
    factories.ListCountFactory(patient_list=holder.patient_list, month=date(2020, 6, 1), antall_pasienter=300,
                               listetak=1000)
    case = cases.create_case(case=GrunntilskuddApplication(
        municipality=oslo, patient_list=holder.patient_list, doctor=holder.doctor, avtale_fra=date(2020, 6, 15),
        saksnummer="20/123"), user=administrator)
    case = cases.transition(case, action="submit", user=administrator)
    with django_capture_on_commit_callbacks(execute=True):
        case = cases.transition(case, action="approve", user=caseworker, override_reason="Test.")
    return case


def link_of(notice):
    return f"{SITE}/varsler/{notice.pk}/"


def test_a_decision_reaches_the_administrator_who_submitted_it_once(smtp, granted, administrator, caseworker):
    assert [m["to"] for m in smtp.messages] == [["admin@oslo.kommune.no"]]
    notice = Notice.objects.get(user=administrator, key__startswith="vedtak-")
    subject = smtp.messages[0]["subject"]
    assert subject == "Fastlegefinansiering: Søknad om grunntilskudd (sak 20/123) for Dr. Hemmelig Navn er innvilget."
    parts = smtp.parts(0)
    assert link_of(notice) in parts["text/plain"] and f'href="{link_of(notice)}"' in parts["text/html"]
    assert f"{SITE}/konto/varsler/" in parts["text/plain"]
    assert notice.url == f"/grunntilskudd/{granted.pk}/" and not Notice.objects.filter(user=caseworker).exists()
    assert send_notice_mail(notice_id=notice.pk) is False and len(smtp.messages) == 1  # a second delivery: nothing


def test_the_daily_job_notifies_of_an_ending_case_once_per_run_twice(smtp, granted, administrator, caseworker2,
                                                                     django_capture_on_commit_callbacks):
    smtp.messages.clear()
    with_email(caseworker2, "saksbehandler2@oslo.kommune.no")
    for _ in range(2):  # the command twice: one mail
        with django_capture_on_commit_callbacks(execute=True):
            call_command("expire_eligibility", "--today", "2022-04-15", stdout=open("/dev/null", "w"))  # noqa: SIM115
    expiry = [m for m in smtp.messages if "slutter" in m["subject"]]
    assert len(expiry) == 1 and expiry[0]["to"] == ["admin@oslo.kommune.no"]
    assert expiry[0]["subject"].endswith("Grunntilskuddet for liste " f"{granted.patient_list.listenummer} "
                                         "(Dr. Hemmelig Navn) slutter 31.05.2022.")
    notice = Notice.objects.get(user=administrator, key__startswith="grunntilskudd-slutt-")
    assert link_of(notice) in smtp.parts(smtp.messages.index(expiry[0]))["text/plain"]
    # the months the decision computed have ended and wait for attestation: the caseworkers hear of it once
    months = [m for m in smtp.messages if "venter på attestering" in m["subject"]]
    assert months and all(m["to"][0].startswith("saksbehandler") for m in months)
    assert len(months) == len({(m["to"][0], m["subject"]) for m in months})


def test_an_attested_month_reaches_the_other_caseworkers(smtp, oslo, caseworker, caseworker2,
                                                         django_capture_on_commit_callbacks):
    with_email(caseworker, "saksbehandler@oslo.kommune.no")
    with_email(caseworker2, "saksbehandler2@oslo.kommune.no")
    factories.member(oslo, "auditor", username="revisor.oslo").__class__.objects.filter(
        username="revisor.oslo").update(email="revisor@oslo.kommune.no")  # an auditor: not asked to attest
    ledger.recompute_month(municipality_id=oslo.pk, month=date(2020, 6, 1))
    smtp.messages.clear()
    payment_month = oslo.payment_months.get(month=date(2020, 6, 1))
    with django_capture_on_commit_callbacks(execute=True):
        ledger.attest_month(payment_month=payment_month, user=caseworker)
    assert [(m["to"], m["subject"]) for m in smtp.messages] == [
        (["saksbehandler2@oslo.kommune.no"], "Fastlegefinansiering: Utbetalingsmåneden juni 2020 for 0301 Oslo - "
                                             "Oslove er attestert og venter på anvisning av en annen saksbehandler.")]
    assert "/utbetalinger/0301/2020-06/" == Notice.objects.get(user=caseworker2, key__contains="anvisning").url


def test_a_failed_import_reaches_the_uploader_and_a_refused_upload_does_not(smtp, administrator,
                                                                             django_capture_on_commit_callbacks):
    with_email(administrator, "admin@oslo.kommune.no")
    with django_capture_on_commit_callbacks(execute=True):
        refused = ImportJob.objects.create(user=administrator, filename="feil.csv")
        refused.status = ImportJob.Status.FAILED  # refused at upload: she sees it on the page
        refused.save()
        job = ImportJob.objects.create(user=administrator, filename="lister.csv", status=ImportJob.Status.QUEUED)
        job = ImportJob.objects.get(pk=job.pk)
        job.status = ImportJob.Status.FAILED
        job.save()
        job.save()
    assert [(m["to"], m["subject"]) for m in smtp.messages] == [
        (["admin@oslo.kommune.no"], "Fastlegefinansiering: Importen av lister.csv (listetall) feilet. Ingenting er "
                                    "lagret; se feilene og prøv igjen.")]
    assert Notice.objects.get(user=administrator).url == f"/import/{job.pk}/"


def test_a_kind_switched_off_sends_no_mail_but_keeps_the_notice(smtp, client, oslo, administrator, caseworker,
                                                                django_capture_on_commit_callbacks):
    client.force_login(administrator)
    page = client.get(reverse("accounts:notice_settings"))
    assert page.status_code == 200 and "Vedtak i saker jeg har sendt inn" in page.content.decode()
    response = client.post(reverse("accounts:notice_settings"),
                           {"email_expiry": "on", "email_month": "on", "email_import": "on"})
    assert response.status_code == 302
    assert NoticePreference.objects.get(user=administrator).email_decision is False
    with_email(administrator, "admin@oslo.kommune.no")
    holder = factories.ListHolderFactory(patient_list__practice__municipality=oslo, patient_list__listetak=1000,
                                         from_month=date(2020, 1, 1))
    case = cases.create_case(case=GrunntilskuddApplication(
        municipality=oslo, patient_list=holder.patient_list, doctor=holder.doctor, avtale_fra=date(2020, 6, 15)),
        user=administrator)
    case = cases.transition(case, action="submit", user=administrator)
    with django_capture_on_commit_callbacks(execute=True):
        cases.transition(case, action="approve", user=caseworker, override_reason="test")
    assert smtp.messages == [] and not NoticeMail.objects.exists()
    assert Notice.objects.filter(user=administrator, key__startswith="vedtak-").count() == 1


def test_the_notice_link_marks_it_read_and_opens_it_for_its_owner_only(client, oslo, administrator, outsider):
    notice = Notice.objects.create(user=administrator, municipality=oslo, key="k", text="t", url="/grunntilskudd/")
    client.force_login(outsider)
    assert client.get(reverse("accounts:notice_open", args=[notice.pk])).status_code == 404
    client.force_login(administrator)
    response = client.get(reverse("accounts:notice_open", args=[notice.pk]))
    assert response.status_code == 302 and response["Location"] == "/grunntilskudd/"
    notice.refresh_from_db()
    assert notice.read_at is not None
    Notice.objects.filter(pk=notice.pk).update(url="https://evil.example/")
    assert client.get(reverse("accounts:notice_open", args=[notice.pk]))["Location"] == "/"


def test_smtp_down_leaves_the_mail_unsent_to_try_again(settings, granted, administrator):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    notice = Notice.objects.get(user=administrator, key__startswith="vedtak-")
    NoticeMail.objects.filter(notice=notice).update(sent_at=None)
    assert send_notice_mail(notice_id=notice.pk) is False
    row = NoticeMail.objects.get(notice=notice)
    assert row.sent_at is None and "Error" in row.error
