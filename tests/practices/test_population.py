"""Populations per municipality and year (docs/import.md «Innbyggertall»): `import_population` under the file rules
of docs/import.md, the superuser page, the admin, history, and the recompute a change starts."""

from datetime import date

import pytest
from django.urls import reverse

from grants.models import PaymentMonth
from practices.models import Municipality, Population
from tests import factories
from tests.helpers import run_command

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]
HEADER = "kommunenummer;aar;innbyggere"


run = run_command  # (exit code, stdout, stderr)


def write(tmp_path, *rows, header=HEADER, encoding="utf-8", newline="\r\n"):
    path = tmp_path / "innbyggere.csv"
    path.write_bytes((newline.join([header, *rows]) + newline).encode(encoding))
    return str(path)


@pytest.fixture
def root():
    return factories.UserFactory(username="root", is_superuser=True, is_staff=True)


def test_import_creates_changes_and_counts(tmp_path, root):
    path = write(tmp_path, "1811;2023;1412", "1812;2023;2 001", "301;2024;717710", "1815;2023;1\u00a0161",
                 encoding="utf-8")
    code, out, err = run("import_population", path, "--user", "root")
    assert code == 0, err
    assert out.splitlines()[-1] == "opprettet 4, endret 0, uendret 0"
    assert "Advarsel: Rad 4:" in out  # 301 padded to 0301
    assert Population.objects.get(municipality__kommunenummer="1812", year=2023).inhabitants == 2001
    record = Population.objects.get(municipality__kommunenummer="1811").history.first()
    assert record.history_user == root and record.history_change_reason == "Importert"
    # Windows-1252, tab-separated, a change and an unchanged row; run as the system
    path = write(tmp_path, "1811\t2023\t1413", "1812\t2023\t2001", header=" Kommunenummer\tÅr\tInnbyggere ",
                 encoding="cp1252", newline="\n")
    code, out, _ = run("import_population", path)
    assert code == 0 and out.splitlines()[-1] == "opprettet 0, endret 1, uendret 1"
    assert Population.objects.get(municipality__kommunenummer="1811").history.count() == 2
    code, out, _ = run("import_population", path, "--dry-run")
    assert code == 0 and out.splitlines()[-1] == "opprettet 0, endret 0, uendret 2"


def test_one_bad_row_writes_nothing(tmp_path):
    path = write(tmp_path, "1811;2023;1412", "9999;2023;100", "1812;23;100", "1815;2023;-5", "1816;2023;",
                 "1811;2023;1500", "1818;2023")
    code, out, err = run("import_population", path)
    assert code == 1 and out == ""
    lines = err.splitlines()
    assert lines[0].startswith("Rad 3, kolonne kommunenummer: ")
    assert lines[1].startswith("Rad 4, kolonne aar: År må være et årstall fra 2000 til 2099, ikke «23».")
    assert lines[2] == "Rad 5, kolonne innbyggere: Innbyggere må være et helt tall uten desimaler, ikke «-5»."
    assert lines[3].startswith("Rad 6, kolonne innbyggere: Innbyggere mangler verdi.")
    assert lines[4] == "Rad 7: Kommune 1811 og år 2023 står allerede i rad 2. Fjern en av radene."
    assert lines[5].startswith("Rad 8: Raden har 2 felt, overskriften har 3.")
    assert len(lines) == 6 and not Population.objects.exists()


def test_whole_file_refusals_users_and_missing_files(tmp_path, oslo):
    empty = tmp_path / "tom.csv"
    empty.write_bytes(b"")
    code, _, err = run("import_population", str(empty))
    assert code == 1 and "Filen er tom" in err
    assert run("import_population", str(tmp_path / "finnes-ikke.csv"))[0] == 1
    path = write(tmp_path, "1811;2023;1412")
    assert run("import_population", path, "--user", "ukjent")[0] == 1
    administrator = factories.member(oslo, "administrator")
    code, _, err = run("import_population", path, "--user", administrator.username)
    assert code == 1 and "Bare superbrukere" in err
    assert not Population.objects.exists()


def test_the_page_is_for_superusers_and_starts_a_recompute(client, root, oslo, django_capture_on_commit_callbacks):
    bindal = Municipality.objects.get(kommunenummer="1811")
    PaymentMonth.objects.create(municipality=bindal, month=date(2023, 8, 1))
    administrator = factories.member(oslo, "administrator")
    client.force_login(administrator)
    assert client.get(reverse("practices:population")).status_code == 403
    assert client.post(reverse("practices:population"), {"municipality": bindal.pk, "year": 2023,
                                                         "inhabitants": 1}).status_code == 403
    client.force_login(root)
    assert client.get(reverse("practices:population")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("practices:population"), {"municipality": bindal.pk, "year": 2023,
                                                                 "inhabitants": 1412})
    assert response.status_code == 302
    assert Population.objects.get().inhabitants == 1412
    assert PaymentMonth.objects.get(month=date(2023, 8, 1)).utjamning["status"] == "ingen_leger"
    page = client.get(reverse("practices:population")).content.decode()
    assert "1\xa0412" in page and "Bindal" in page
    response = client.post(reverse("practices:population"), {"municipality": bindal.pk, "year": 1999,
                                                              "inhabitants": 1412})
    assert response.status_code == 200 and Population.objects.count() == 1


def test_the_admin_saves_through_the_service(client, root, django_capture_on_commit_callbacks):
    bindal = Municipality.objects.get(kommunenummer="1811")
    client.force_login(root)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:practices_population_add"), {
            "municipality": bindal.pk, "year": 2024, "inhabitants": 1400})
    assert response.status_code == 302
    population = Population.objects.get()
    assert population.history.first().history_change_reason == "Registrert"
    assert client.get(reverse("admin:grants_utjamningparameter_changelist")).status_code == 200
