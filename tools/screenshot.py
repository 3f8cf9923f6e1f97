"""Screenshots of pages as a user sees them: python tools/screenshot.py BASE_URL USER PASSWORD OUTDIR PATH...

Used by developers to look at what they built (headless Chromium via Playwright)."""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright


def main(base, username, password, outdir, *paths):
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="nb-NO")
        page.goto(base + "/konto/logg-inn/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        for index, path in enumerate(paths):
            page.goto(base + path)
            page.wait_for_load_state("networkidle")
            name = out / f"{index:02d}-{path.strip('/').replace('/', '_') or 'root'}.png"
            page.screenshot(path=str(name), full_page=True)
            print(name)
        browser.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
