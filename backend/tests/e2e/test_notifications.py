"""In Chromium: the notifications page asks for the admin token when refused, keeps it for the
session, adds a channel, sends a test to a real receiver, and silences a metric."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.notify.receivers import Receiver, always
from tests.server import ServerProcess, running_server

pytestmark = pytest.mark.e2e
TOKEN = "e2e-admin-token"


@pytest.fixture
def admin_server(dist_built: Path, tmp_path: Path) -> Iterator[ServerProcess]:
    with running_server(tmp_path, ADMIN_TOKEN=TOKEN) as process:
        yield process


def test_channels_page_with_the_admin_token(admin_server: ServerProcess, context) -> None:  # type: ignore[no-untyped-def]
    hook = Receiver(always(200)).start()
    try:
        page = context.new_page()
        page.goto(f"{admin_server.url}/settings/notifications")
        dialog = page.get_by_role("dialog")
        dialog.get_by_test_id("admin-token-input").fill(TOKEN)
        dialog.get_by_role("button", name="Continue").click()
        page.get_by_text("No channels yet.").wait_for()

        page.get_by_test_id("add-channel").click()
        page.get_by_test_id("channel-name").fill("ops-hook")
        page.get_by_test_id("channel-url").fill(f"{hook.url}/secret-path")
        page.get_by_test_id("channel-secret").fill("sign-me")
        page.get_by_test_id("channel-save").click()
        row = page.get_by_test_id("channel-row-ops-hook")
        row.get_by_role("button", name="Send test").click()
        row.get_by_test_id("test-result").filter(has_text="Delivered (HTTP 200)").wait_for()
        assert [r.path for r in hook.received] == ["/secret-path"]
        assert "x-chronoview-signature" in hook.received[0].headers

        page.get_by_test_id("silence-match").fill("temp.*")
        page.get_by_role("button", name="Silence", exact=True).click()
        page.get_by_test_id("silences").filter(has_text="temp.*").wait_for()

        # The token is kept for the session: a reload asks nothing and shows the channel, masked.
        page.reload()
        page.get_by_test_id("channel-row-ops-hook").wait_for()
        assert page.get_by_role("dialog").count() == 0
        row = page.get_by_test_id("channel-row-ops-hook")
        row.get_by_role("button", name="Edit").click()
        assert page.get_by_test_id("channel-url").input_value().endswith("/********")
        assert "secret-path" not in page.content()
    finally:
        hook.stop()
