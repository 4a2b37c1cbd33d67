"""Browser tests: Playwright for Python driving Debian's Chromium (``/usr/bin/chromium``,
installed by ``make test`` through ``.ci/browser.sh``; never Playwright's own download)
against a live ``pim serve`` on a free port (``tests/browser/hub.py``).

Every test that uses ``browser_page``:
- gets a fresh browser context (no cookies) at 1280 × 900 (``page.set_viewport_size`` for
  390 px);
- fails when the browser logged a console error, a page threw, or a request failed (a 4xx
  or 5xx answer counts, except those a test declares with ``pages.allow_status(...)``);
- leaves a full-page screenshot in ``var/test-artefacts/browser/<test>.png`` (and more with
  ``pages.screenshot(name)``).
``pages.check_accessibility()`` runs axe-core (from ``pim/web/node_modules``) on the page and
fails on any serious or critical violation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.hub import PASSWORD, ROOT, LiveHub

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTEFACTS = ROOT / "var" / "test-artefacts" / "browser"
AXE = ROOT / "pim" / "web" / "node_modules" / "axe-core" / "axe.min.js"
DEMO_PRODUCTS = 240


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def hub(tmp_path_factory) -> Iterator[LiveHub]:
    """One live hub for the browser tests: the demo catalog, a user per role
    (``<role>@pim.test``), served by ``pim serve``. Tests read it; one that writes keeps
    to what no other test counts on."""
    live = LiveHub(tmp_path_factory.mktemp("browser-hub"))
    live.prepare(DEMO_PRODUCTS)
    live.start()
    yield live
    live.stop()


@pytest.fixture(scope="module")
def chromium():
    # Per module, not per session: Playwright's sync API keeps an asyncio loop running in
    # this thread while it is open, and a test of another module that runs its own loop
    # (anyio.run, asyncio.run) on the same xdist worker would fail with "cannot be called
    # from a running event loop". Leaving the module stops it.
    if not CHROMIUM.exists():
        pytest.fail("/usr/bin/chromium is missing: `make test` installs Debian's chromium "
                    "(.ci/browser.sh)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Pages:
    """A test's browser tab on the live hub, and what it saw go wrong."""

    def __init__(self, page, hub: LiveHub, name: str):
        self.page, self.hub, self.name = page, hub, name
        self.problems: list[str] = []
        self.allowed: set[int] = set()
        self.shots = 0
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("requestfailed", self._request_failed)
        page.on("response", self._response)

    def _console(self, message) -> None:
        if message.type == "error":
            text = message.text
            if "Failed to load resource" in text and any(str(s) in text for s in self.allowed):
                return
            self.problems.append(f"console error: {text} at {message.location.get('url')}")

    def _request_failed(self, request) -> None:
        # net::ERR_ABORTED is the browser cancelling a request itself, as when a click
        # navigates away while the favicon or an htmx request is still loading: nothing
        # the hub answered. Every other failure (refused, reset, timed out) counts.
        if request.failure and "ERR_ABORTED" in request.failure:
            return
        self.problems.append(f"request failed: {request.method} {request.url} "
                             f"({request.failure})")

    def _response(self, response) -> None:
        if response.status >= 400 and response.status not in self.allowed:
            self.problems.append(f"HTTP {response.status}: {response.request.method} "
                                 f"{response.url}")

    def allow_status(self, *statuses: int) -> None:
        """Answers with these statuses are expected from now on (a refused form)."""
        self.allowed.update(statuses)

    def url(self, path: str) -> str:
        return self.hub.url + path

    def goto(self, path: str):
        return self.page.goto(self.url(path))

    def sign_in(self, role: str, *, then: str = "/") -> None:
        page = self.page
        page.goto(self.url(then))
        page.wait_for_url(re.compile(r"/sign-in"))
        page.get_by_label("E-mail").fill(self.hub.email(role))
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: "/sign-in" not in url)

    def screenshot(self, label: str = "") -> Path:
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        self.shots += 1
        path = ARTEFACTS / f"{self.name}{'-' + label if label else ''}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def check_accessibility(self) -> None:
        """axe-core on the page as it is now: no serious or critical violation."""
        # evaluate() runs outside the page's Content-Security-Policy (an injected <script>
        # would be refused by it).
        self.page.evaluate(AXE.read_text() + "\n;undefined")
        result = self.page.evaluate(
            "() => axe.run(document, {resultTypes: ['violations']})")
        bad = [v for v in result["violations"] if v.get("impact") in ("serious", "critical")]
        assert not bad, "axe-core on " + self.page.url + ":\n" + "\n".join(
            f"- {v['id']} ({v['impact']}): {v['help']} at "
            + ", ".join(str(n["target"]) for n in v["nodes"][:5]) for v in bad)


@pytest.fixture
def pages(request, hub, chromium) -> Iterator[Pages]:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name)
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    tab = Pages(context.new_page(), hub, name)
    try:
        yield tab
        tab.page.wait_for_load_state("networkidle")
        tab.screenshot()
    finally:
        context.close()
    assert not tab.problems, "the browser saw:\n" + "\n".join(tab.problems)
