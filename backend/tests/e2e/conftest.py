"""End-to-end fixtures: the built dashboard served by a real server, driven in headless Chromium.

The browser is Debian's Chromium (a Playwright browser download does not work here); the server is
`python -m chronoview serve` from tests/server.py over a SQLite file, with the simulator on.
Every server, browser and context is closed in a `finally`, and every wait below is bounded.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.server import ServerProcess, running_server
from tests.services import REQUIRE_SERVICES

REPO = Path(__file__).resolve().parents[3]
DIST_INDEX = REPO / "frontend" / "dist" / "index.html"
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = os.environ.get("CHRONOVIEW_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu",
    "--disable-background-networking", "--disable-component-update",
]
# Fast demo data so a few seconds of the page show dozens of points.
SIM_ENV = {"SIMULATED_METRICS": "traffic,cpu", "SIMULATION_INTERVAL_SECONDS": "0.25"}


def _missing(reason: str) -> None:
    """Skip loudly, or fail when the run requires everything (CHRONOVIEW_REQUIRE_SERVICES=1)."""
    if REQUIRE_SERVICES:
        pytest.fail(f"e2e prerequisite missing: {reason}", pytrace=False)
    pytest.skip(f"E2E SKIPPED, prerequisite missing: {reason}")


@pytest.fixture(scope="session")
def dist_built() -> Path:
    if not DIST_INDEX.is_file():
        _missing(f"{DIST_INDEX} is not built (run `cd frontend && npm run build`, or `make test`)")
    return DIST_INDEX


@pytest.fixture(scope="module")
def browser(dist_built: Path) -> Iterator[object]:
    if not (os.path.isfile(CHROMIUM) or shutil.which(CHROMIUM)):
        _missing(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set CHRONOVIEW_CHROMIUM)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=30_000)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def server(dist_built: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One simulating server for the tests that do not stop it."""
    with running_server(tmp_path_factory.mktemp("e2e-server"), **SIM_ENV) as process:
        yield process


@pytest.fixture
def context(browser) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A fresh browser context: English, UTC (so the banner's time is predictable), downloads on."""
    context = browser.new_context(
        locale="en-US", timezone_id="UTC", accept_downloads=True, viewport={"width": 1280, "height": 1000},
    )
    context.set_default_timeout(15_000)
    context.set_default_navigation_timeout(20_000)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
