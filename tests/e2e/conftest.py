"""Browser tests (`@pytest.mark.browser`): Playwright on /usr/bin/chromium against the live server. Under
REQUIRE_SERVICES=1 (CI) a missing Chromium fails the test; without it the test is skipped with the reason."""

import os
import shutil
from pathlib import Path

import pytest

from tests import factories
from tests.conftest import ARTIFACTS, service_missing

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser_instance():
    if not (Path(CHROMIUM).exists() and shutil.which(CHROMIUM)):
        service_missing(f"Chromium is not installed at {CHROMIUM} (Debian package 'chromium')")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        service_missing("playwright is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser_instance, live_server, request):
    context = browser_instance.new_context(locale="nb-NO", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.base_url = live_server.url
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-last.png"), full_page=True)
    except Exception:  # noqa: BLE001 - a screenshot is a by-product, never the failure
        pass
    context.close()


@pytest.fixture(autouse=True)
def _browser_marker(request):
    if request.node.get_closest_marker("browser"):
        request.getfixturevalue("browser_instance")


def login(page, username, password=factories.PASSWORD):
    page.goto(page.base_url + "/konto/logg-inn/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "logg-inn" not in url)


def assert_accessible(page):
    """axe-core (vendored) on the current page: no serious or critical WCAG 2.1 AA violations."""
    page.add_script_tag(url="/static/vendor/axe/axe.min.js")
    violations = page.evaluate(
        "async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa',"
        " 'best-practice']})).violations.filter(v => ['serious', 'critical'].includes(v.impact))"
        ".map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', '))")
    assert violations == [], f"{page.url}: {violations}"
