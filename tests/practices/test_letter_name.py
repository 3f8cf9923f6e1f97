"""How a letter names a municipality (practices.models.Municipality.letter_name, docs/grants.md): the Norwegian name
+ " kommune", whatever order SSB gives the Sami or Kven names in (practices/data/kommuner.csv)."""

import pytest

from practices.models import Municipality

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("kommunenummer", "expected"), [
    ("0301", "Oslo kommune"),  # Oslo - Oslove
    ("4601", "Bergen kommune"),
    ("5001", "Trondheim kommune"),  # Trondheim - Tråante
    ("1826", "Hattfjelldal kommune"),  # Aarborte - Hattfjelldal
    ("1875", "Hamarøy kommune"),  # Hábmer - Hamarøy
    ("5041", "Snåsa kommune"),  # Snåase - Snåsa
    ("5536", "Lyngen kommune"),  # Lyngen - Ivgu - Yykeä
    ("5540", "Kåfjord kommune"),  # Gáivuotna - Kåfjord - Kaivuono
    ("5612", "Kautokeino kommune"),  # Guovdageaidnu - Kautokeino
    ("5628", "Tana kommune"),  # Deatnu - Tana
    ("1818", "Herøy kommune"),  # Herøy (Nordland)
    ("3419", "Våler kommune"),  # Våler (Innlandet)
])
def test_letter_name(kommunenummer, expected):
    assert Municipality.objects.get(kommunenummer=kommunenummer).letter_name == expected


def test_every_municipality_has_one_plain_name():
    names = [m.letter_name for m in Municipality.objects.all()]
    assert len(names) > 350
    assert all(name.endswith(" kommune") and " - " not in name and "(" not in name for name in names)
