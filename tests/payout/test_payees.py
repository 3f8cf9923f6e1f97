"""Payees (docs/payments.md, «Utbetalingsmottakere»): a new or changed account is pending until a second
person confirms it; scope by the payee's own municipality and the doctor's; the commands, pages and API."""


import pytest
from django.urls import reverse

from core.workflow import Forbidden, ServiceError
from payout.models import AccountString, MunicipalityAccount, Payee
from payout.services import payees as services
from tests import factories
from tests.factories_payout import PayeeFactory, valid_kontonummer
from tests.helpers import run_command

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]
HEADER = "kommunenummer;hpr_nummer;mottaker_navn;organisasjonsnummer;kontonummer;gyldig_fra"
ACCOUNT, OTHER_ACCOUNT = valid_kontonummer(1), valid_kontonummer(2)


def wrong_check_digit(number: str) -> str:
    return number[:-1] + str((int(number[-1]) + 1) % 10)


@pytest.fixture
def oslo_doctor(oslo):
    return factories.ListHolderFactory(patient_list__practice__municipality=oslo, doctor__hpr_nummer="1111111",
                                       doctor__name="Kari Lege").doctor


@pytest.fixture
def bergen_doctor(bergen):
    return factories.ListHolderFactory(patient_list__practice__municipality=bergen, doctor__hpr_nummer="2222222",
                                       doctor__name="Bergen Lege").doctor


def enter(user, municipality, doctor, **changes):
    values = {"name": doctor.name, "organisasjonsnummer": "", "kontonummer": ACCOUNT, "valid_from": None,
              **changes}
    return services.save_payee(user=user, municipality=municipality, doctor=doctor, **values)


# --- the service ------------------------------------------------------------------------------------------


def test_a_new_payee_is_pending_and_a_second_caseworker_confirms_it(oslo, oslo_doctor, administrator, caseworker):
    payee = enter(administrator, oslo, oslo_doctor)
    assert payee.is_pending and payee.entered_by == administrator
    confirmed = services.confirm_payee(user=caseworker, payee=payee)
    assert not confirmed.is_pending and confirmed.confirmed_by == caseworker
    reasons = list(payee.history.order_by("history_date").values_list("history_change_reason", "history_user"))
    assert reasons == [(services.REASON_CREATED, administrator.pk), (services.REASON_CONFIRMED, caseworker.pk)]


def test_spaces_and_dots_are_removed_and_a_wrong_check_digit_refused(oslo, oslo_doctor, administrator):
    dotted = f"{ACCOUNT[:4]}.{ACCOUNT[4:6]} {ACCOUNT[6:]}"
    assert enter(administrator, oslo, oslo_doctor, kontonummer=dotted).kontonummer == ACCOUNT
    with pytest.raises(ServiceError) as error:
        enter(administrator, oslo, oslo_doctor, kontonummer=wrong_check_digit(ACCOUNT), payee=Payee.objects.get())
    assert "kontrollsiffer" in error.value.errors["kontonummer"]
    with pytest.raises(ServiceError) as error:
        enter(administrator, oslo, oslo_doctor, organisasjonsnummer="123456789", payee=Payee.objects.get())
    assert "organisasjonsnummer" in error.value.errors


def test_a_changed_account_is_pending_again_and_a_changed_name_keeps_the_confirmation(
        oslo, oslo_doctor, administrator, caseworker):
    payee = services.confirm_payee(user=caseworker, payee=enter(administrator, oslo, oslo_doctor))
    renamed = enter(administrator, oslo, oslo_doctor, name="Kari Lege AS", payee=payee)
    assert not renamed.is_pending
    changed = enter(administrator, oslo, oslo_doctor, kontonummer=OTHER_ACCOUNT, payee=payee)
    assert changed.is_pending and changed.confirmed_by is None
    company = services.confirm_payee(user=caseworker, payee=changed)
    company = enter(administrator, oslo, oslo_doctor, organisasjonsnummer=factories.valid_orgnr(10),
                    kontonummer=OTHER_ACCOUNT, payee=company)
    assert company.is_pending  # an account that now belongs to a company needs a second look too


def test_four_eyes_the_one_who_entered_the_account_cannot_confirm_it(oslo, oslo_doctor, caseworker):
    both = factories.member(oslo, "administrator", username=caseworker.username)  # administrator and caseworker
    payee = enter(both, oslo, oslo_doctor)
    with pytest.raises(Forbidden, match="fireøyneprinsippet"):
        services.confirm_payee(user=both, payee=payee)
    assert Payee.objects.get().is_pending


def test_roles_are_judged_in_the_payees_own_municipality(oslo, bergen, oslo_doctor, administrator, caseworker,
                                                         auditor, outsider):
    with pytest.raises(Forbidden):
        enter(caseworker, oslo, oslo_doctor)
    with pytest.raises(Forbidden):
        enter(auditor, oslo, oslo_doctor)
    with pytest.raises(Forbidden):
        enter(outsider, oslo, oslo_doctor)  # Bergen's administrator, for Oslo
    payee = enter(administrator, oslo, oslo_doctor)
    with pytest.raises(Forbidden):
        services.confirm_payee(user=administrator, payee=payee)  # not a caseworker
    bergen_caseworker = factories.member(bergen, "caseworker")
    with pytest.raises(Forbidden):
        services.confirm_payee(user=bergen_caseworker, payee=payee)
    with pytest.raises(Forbidden):  # an Oslo payee edited by Bergen's administrator, claiming Bergen
        enter(outsider, bergen, oslo_doctor, payee=payee)
    assert Payee.objects.get().is_pending


def test_another_municipalitys_doctor_is_refused_and_a_payee_never_moves(oslo, bergen, oslo_doctor, bergen_doctor,
                                                                        administrator):
    with pytest.raises(ServiceError, match="ingen liste, sak eller avtale"):
        enter(administrator, oslo, bergen_doctor)
    payee = enter(administrator, oslo, oslo_doctor)
    other = factories.ListHolderFactory(patient_list__practice__municipality=oslo).doctor
    with pytest.raises(ServiceError, match="flyttes"):
        enter(administrator, oslo, other, payee=payee)
    assert list(Payee.objects.values_list("doctor__hpr_nummer", flat=True)) == ["1111111"]


def test_confirm_pending_skips_the_users_own(oslo, oslo_doctor, administrator, caseworker, caseworker2):
    enter(administrator, oslo, oslo_doctor)
    second = factories.ListHolderFactory(patient_list__practice__municipality=oslo).doctor
    both = factories.member(oslo, "administrator", username=caseworker.username)
    enter(both, oslo, second)
    assert services.confirm_pending(user=caseworker, municipality=oslo) == 1
    assert services.confirm_pending(user=caseworker2, municipality=oslo) == 1
    assert not Payee.objects.filter(confirmed_at__isnull=True).exists()
    with pytest.raises(Forbidden):
        services.confirm_pending(user=administrator, municipality=oslo)


def test_the_municipalitys_account_and_account_strings(oslo, administrator, caseworker):
    with pytest.raises(Forbidden):
        services.set_municipality_account(user=caseworker, municipality=oslo, kontonummer=ACCOUNT)
    account = services.set_municipality_account(user=administrator, municipality=oslo, kontonummer=ACCOUNT,
                                                bic="dnbanokkxxx")
    assert (account.kontonummer, account.bic, account.balance_account) == (ACCOUNT, "DNBANOKKXXX", "2190")
    with pytest.raises(ServiceError) as error:
        services.set_municipality_account(user=administrator, municipality=oslo, kontonummer="123", bic="X")
    assert set(error.value.errors) == {"kontonummer", "bic"}
    assert services.save_account_string(user=administrator, municipality=oslo, kind="basis", art="370",
                                        funksjon="241") is None  # the default needs no row
    services.save_account_string(user=administrator, municipality=oslo, kind="basis", art="370", funksjon="241",
                                 ansvar="4100")
    assert AccountString.objects.get().ansvar == "4100"


# --- commands ---------------------------------------------------------------------------------------------


run = run_command  # (exit code, stdout, stderr)


def write(tmp_path, *rows, header=HEADER, encoding="utf-8"):
    path = tmp_path / "mottakere.csv"
    path.write_bytes(("\r\n".join([header, *rows]) + "\r\n").encode(encoding))
    return str(path)


def test_import_payees_creates_updates_and_counts(tmp_path, oslo, oslo_doctor, administrator):
    second = factories.ListHolderFactory(patient_list__practice__municipality=oslo, doctor__hpr_nummer="3333333").doctor
    orgnr = factories.valid_orgnr(20)
    path = write(tmp_path, f"0301;1111111;Kari Lege;;{ACCOUNT[:4]}.{ACCOUNT[4:6]}.{ACCOUNT[6:]};",
                 f"301;3333333;Legetjenester Øst AS;{orgnr};{OTHER_ACCOUNT};2021-01-01", encoding="cp1252")
    code, out, err = run("import_payees", path, "--user", "admin.oslo")
    assert code == 0, err
    assert out.splitlines()[-1] == "opprettet 2, endret 0, uendret 0, venter på bekreftelse 2"
    assert "Advarsel:" in out  # the padded kommunenummer
    company = Payee.objects.get(doctor=second)
    assert (company.name, company.organisasjonsnummer, str(company.valid_from)) == (
        "Legetjenester Øst AS", orgnr, "2021-01-01")
    assert company.entered_by == administrator
    services.confirm_pending(user=factories.member(oslo, "caseworker"), municipality=oslo)
    path = write(tmp_path, f"0301;1111111;Kari Lege;;{ACCOUNT};",
                 f"0301;3333333;Nytt Navn AS;{orgnr};{ACCOUNT};2021-01-01")
    code, out, _ = run("import_payees", path)
    assert code == 0 and out.splitlines()[-1] == "opprettet 0, endret 1, uendret 1, venter på bekreftelse 1"
    assert Payee.objects.get(doctor=second).entered_by is None  # the system
    code, out, _ = run("import_payees", path)
    assert out.splitlines()[-1] == "opprettet 0, endret 0, uendret 2, venter på bekreftelse 1"


def test_import_payees_row_errors_write_nothing(tmp_path, oslo, oslo_doctor, bergen_doctor):
    path = write(tmp_path,
                 f"0301;1111111;Kari Lege;;{wrong_check_digit(ACCOUNT)};",
                 f"0301;9999999;Ukjent;;{ACCOUNT};",
                 f"0301;2222222;Bergen Lege;;{ACCOUNT};",
                 f"0301;1111111;Kari Lege;123456789;{ACCOUNT};2020-02-30")
    code, out, err = run("import_payees", path)
    assert code == 1 and out == ""
    lines = err.splitlines()
    assert lines[0].startswith("Rad 2, kolonne kontonummer: Kontonummeret ") and "kontrollsiffer" in lines[0]
    assert lines[1].startswith("Rad 3, kolonne hpr_nummer: Finner ingen lege med HPR-nummer 9999999")
    assert lines[2].startswith("Rad 4, kolonne hpr_nummer: Legen med HPR-nummer 2222222 har ingen liste, sak "
                               "eller avtale i kommune 0301")
    assert lines[3].startswith("Rad 5, kolonne organisasjonsnummer: ")
    assert lines[4].startswith("Rad 5, kolonne gyldig_fra: ")
    assert len(lines) == 5 and not Payee.objects.exists()


def test_import_payees_scope_files_and_users(tmp_path, oslo, bergen, oslo_doctor, bergen_doctor, outsider, caseworker):
    path = write(tmp_path, f"0301;1111111;Kari Lege;;{ACCOUNT};")
    code, _, err = run("import_payees", path, "--user", "admin.bergen")
    assert code == 1 and err.startswith("Rad 2, kolonne kommunenummer: Du har ikke tilgang")
    code, _, err = run("import_payees", path, "--user", caseworker.username)
    assert code == 1 and "Bare kommuneadministratorer" in err
    assert run("import_payees", path, "--user", "ukjent")[0] == 1
    assert run("import_payees", str(tmp_path / "finnes-ikke.csv"))[0] == 1
    empty = tmp_path / "tom.csv"
    empty.write_bytes(b"")
    code, _, err = run("import_payees", str(empty))
    assert code == 1 and "Filen er tom" in err
    code, _, err = run("import_payees", write(tmp_path, f"0301;1111111;{ACCOUNT}", header="kommunenummer;hpr_nummer;"
                                                                                            "kontonummer"))
    assert code == 1 and "Rad 1, kolonne mottaker_navn: Kolonnen mangler" in err
    assert not Payee.objects.exists()


def test_confirm_payees_command(oslo, oslo_doctor, administrator, caseworker):
    enter(administrator, oslo, oslo_doctor)
    code, _, err = run("confirm_payees", "--municipality", "0301", "--user", administrator.username)
    assert code == 1 and "saksbehandlere" in err
    assert run("confirm_payees", "--municipality", "9999", "--user", caseworker.username)[0] == 1
    code, out, _ = run("confirm_payees", "--municipality", "0301", "--user", caseworker.username)
    assert code == 0 and out.splitlines()[-1] == "bekreftet 1"
    assert run("confirm_payees", "--municipality", "0301", "--user", caseworker.username)[1].strip() == "bekreftet 0"


def test_municipality_account_command(oslo):
    code, out, _ = run("municipality_account", "0301", "--kontonummer", ACCOUNT, "--bic", "DNBANOKKXXX",
                       "--organisasjonsnummer", "974770482")
    assert code == 0 and MunicipalityAccount.objects.get().organisasjonsnummer == "974770482"
    code, _, err = run("municipality_account", "0301", "--kontonummer", wrong_check_digit(ACCOUNT))
    assert code == 1 and "kontrollsiffer" in err
    assert MunicipalityAccount.objects.get().kontonummer == ACCOUNT


# --- pages ------------------------------------------------------------------------------------------------


@pytest.fixture
def payee(oslo, oslo_doctor, administrator):
    payee = enter(administrator, oslo, oslo_doctor)
    return enter(administrator, oslo, oslo_doctor, kontonummer=OTHER_ACCOUNT, payee=payee)


@pytest.mark.parametrize("role, index, create, edit, confirm, settings_post", [
    ("administrator", 200, 200, 200, 403, 302),
    ("caseworker", 200, 403, 403, 302, 403),
    ("auditor", 200, 403, 403, 403, 403),
])
def test_pages_per_role(client, users, payee, role, index, create, edit, confirm, settings_post):
    client.force_login(users[role])
    assert client.get(reverse("payout:payee_index")).status_code == index
    assert client.get(reverse("payout:payee_create")).status_code == create
    assert client.get(reverse("payout:payee_edit", args=[payee.pk])).status_code == edit
    assert client.get(reverse("payout:payee_detail", args=[payee.pk])).status_code == 200
    assert client.get(reverse("payout:settings")).status_code == 200
    assert client.post(reverse("payout:payee_confirm", args=[payee.pk])).status_code == confirm
    response = client.post(reverse("payout:settings"), {"kontonummer": ACCOUNT, "balance_account": "2190", **{
        f"{kind}-{part}": value for kind in ("basis", "basis_under", "basis_over", "grunntilskudd", "introduksjon",
                                             "alis", "korreksjon", "utjamning")
        for part, value in (("art", "370"), ("funksjon", "241"), ("ansvar", ""), ("prosjekt", ""))}})
    assert response.status_code == settings_post


def test_another_municipalitys_payee_is_404(client, outsider, payee):
    client.force_login(outsider)
    for name in ("payout:payee_detail", "payout:payee_edit", "payout:payee_confirm"):
        assert client.post(reverse(name, args=[payee.pk])).status_code == 404
    assert Payee.objects.get().is_pending


def test_the_detail_page_shows_the_history_and_the_four_eyes_reason(client, payee, administrator, caseworker):
    both = factories.member(payee.municipality, "caseworker", username=administrator.username)
    client.force_login(both)
    page = client.get(reverse("payout:payee_detail", args=[payee.pk])).content.decode()
    assert "fireøyneprinsippet" in page and "disabled" in page
    dotted = f"{ACCOUNT[:4]}.{ACCOUNT[4:6]}.{ACCOUNT[6:]}"
    other = f"{OTHER_ACCOUNT[:4]}.{OTHER_ACCOUNT[4:6]}.{OTHER_ACCOUNT[6:]}"
    assert f"{dotted}</span> → <span class=\"text-nowrap\">{other}" in page
    client.force_login(caseworker)
    response = client.post(reverse("payout:payee_confirm", args=[payee.pk]), follow=True)
    page = response.content.decode()
    assert "Kontonummer bekreftet" in page and "Bekreftet" in page


def test_the_list_filters_pending_and_searches(client, payee, caseworker, oslo):
    other = PayeeFactory(municipality=oslo, doctor=factories.ListHolderFactory(
        patient_list__practice__municipality=oslo, doctor__name="Per Bekreftet").doctor)
    client.force_login(caseworker)
    page = client.get(reverse("payout:payee_index") + "?status=venter").content.decode()
    assert "Kari Lege" in page and "Per Bekreftet" not in page
    page = client.get(reverse("payout:payee_index") + "?q=" + other.doctor.hpr_nummer).content.decode()
    assert "Per Bekreftet" in page and "Kari Lege" not in page
    assert client.get(reverse("payout:payee_index") + "?q=a%00b").status_code == 400  # config.middleware


def test_create_prefills_the_doctor_and_saves(client, administrator, oslo_doctor, bergen_doctor):
    client.force_login(administrator)
    page = client.get(reverse("payout:payee_create") + "?lege=1111111").content.decode()
    assert 'value="1111111"' in page and 'value="Kari Lege"' in page
    assert 'value="2222222"' not in client.get(reverse("payout:payee_create") + "?lege=2222222").content.decode()
    response = client.post(reverse("payout:payee_create"), {"hpr_nummer": "2222222", "name": "X",
                                                             "kontonummer": ACCOUNT})
    assert response.status_code == 200 and "ingen liste, sak eller avtale" in response.content.decode()
    response = client.post(reverse("payout:payee_create"), {"hpr_nummer": "1111111", "name": "Kari Lege AS",
                                                             "organisasjonsnummer": factories.valid_orgnr(30),
                                                             "kontonummer": ACCOUNT, "valid_from": "01.01.2021"})
    assert response.status_code == 302
    assert Payee.objects.get().is_pending


# --- API --------------------------------------------------------------------------------------------------


def test_api_read_write_and_confirm(api, users, oslo_doctor, bergen_doctor):
    url = "/api/v1/payees/"
    body = {"kommunenummer": "0301", "hpr_nummer": "1111111", "name": "Kari Lege", "kontonummer": ACCOUNT}
    assert api(users["caseworker"]).post(url, body, format="json").status_code == 403
    assert api(users["outsider"]).post(url, body, format="json").status_code == 403
    response = api(users["administrator"]).post(url, {**body, "hpr_nummer": "2222222"}, format="json")
    assert response.status_code == 400 and "hpr_nummer" in response.json()
    response = api(users["administrator"]).post(url, {**body, "kontonummer": wrong_check_digit(ACCOUNT)},
                                                format="json")
    assert response.status_code == 400 and "kontrollsiffer" in response.json()["kontonummer"][0]
    response = api(users["administrator"]).post(url, body, format="json")
    assert response.status_code == 201 and response.json()["status"] == "venter"
    pk = response.json()["id"]
    assert api(users["auditor"]).get(url + "?kommunenummer=0301").json()["count"] == 1
    assert api(users["outsider"]).get(url).json()["count"] == 0
    assert api(users["outsider"]).post(f"{url}{pk}/confirm/").status_code == 404
    assert api(users["administrator"]).post(f"{url}{pk}/confirm/").status_code == 403
    response = api(users["caseworker"]).post(f"{url}{pk}/confirm/")
    assert response.status_code == 200 and response.json()["status"] == "bekreftet"
    response = api(users["administrator"]).patch(f"{url}{pk}/", {"kontonummer": OTHER_ACCOUNT}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "venter"
    assert api(users["outsider"]).patch(f"{url}{pk}/", {"name": "Overtatt"}, format="json").status_code == 404
