"""Accessibility (issue 10, WCAG 2.1 AA): axe-core on every page of the app, found from the URL resolver as in
the access matrix, and the main forms used with the keyboard only."""

import pytest
from django.test import Client
from django.urls import reverse

from practices.models import Practice
from tests.e2e.conftest import assert_accessible, login
from tests.matrix import kwargs_for, url_names

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def html_pages(user, objects) -> list[str]:
    """Every URL that gives the user a whole HTML page (not an API response, a download, a partial or a redirect)."""
    client = Client()
    client.force_login(user)
    pages = []
    for name in url_names():
        if name.startswith("api:") or name in ("logout", "set_language"):
            continue
        url = reverse(name, kwargs=kwargs_for(name, objects))
        response = client.get(url)
        if (response.status_code == 200 and response["Content-Type"].startswith("text/html")
                and not response.streaming and b"<html" in response.content):
            pages.append(url)
    return pages


def test_every_page_has_no_serious_axe_violations(page, world, administrator):
    pages = html_pages(administrator, world)
    assert len(pages) >= 30, pages  # the sweep must not silently shrink
    login(page, administrator.username)
    for url in pages:
        page.goto(page.base_url + url)
        assert page.locator("main#main").count() == 1, url
        assert page.locator("h1").count() == 1, url
        assert_accessible(page)


def test_login_and_a_form_with_the_keyboard_only(page, oslo, administrator):
    page.goto(page.base_url + "/konto/logg-inn/")
    focused = []
    for _ in range(8):  # skip link, language switcher, …: Tab until the username field
        page.keyboard.press("Tab")
        focused.append(page.evaluate("document.activeElement.name || document.activeElement.textContent.trim()"))
        if focused[-1] == "username":
            break
    assert focused[-1] == "username", focused
    page.keyboard.type(administrator.username)
    page.keyboard.press("Tab")
    page.keyboard.type("wrong password")
    page.keyboard.press("Enter")
    page.get_by_text("Skriv inn korrekt brukernavn og passord").wait_for()  # the message, not a crash

    login(page, administrator.username)
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Hopp til innholdet")
    assert skip.evaluate("el => el === document.activeElement") and skip.is_visible()

    page.goto(page.base_url + reverse("practices:practice_create"))
    page.locator("#id_organisasjonsnummer").focus()
    page.keyboard.type("974 760 673")
    page.keyboard.press("Tab")
    page.keyboard.type("Tastaturlegene")
    page.keyboard.press("Tab")  # municipality: the first option (Oslo, the only one) with the arrow key
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Tab")
    page.keyboard.type("Storgata 1")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.type") == "submit"
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "nytt" not in url)
    practice = Practice.objects.get(name="Tastaturlegene")
    assert (practice.organisasjonsnummer, practice.municipality, practice.address) == ("974760673", oslo, "Storgata 1")
