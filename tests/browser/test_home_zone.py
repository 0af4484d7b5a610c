"""The home page shows times in the browser's zone at once, without pressing Apply; without JavaScript the page
stays in UTC until the zone is applied."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.engine_independent, pytest.mark.browser]


async def your_times(page) -> list[str]:
    return await page.locator("ul.session-list li p", has_text="Your time:").all_inner_texts()


async def test_home_page_shows_the_browsers_zone_without_apply(live_server, browser):
    context = await browser.new_context(locale="en", timezone_id="Asia/Tokyo")
    page = await context.new_page()
    documents = []
    page.on("request", lambda request: documents.append(request.url) if request.resource_type == "document" else None)
    try:
        await page.goto(live_server.base_url + "/")
        await page.wait_for_function("document.body.dataset.timezone === 'Asia/Tokyo'")
        await page.wait_for_load_state("load")
        times = await your_times(page)
        assert times and all(text.endswith("(Asia/Tokyo, UTC+09:00)") for text in times)
        assert await page.locator("#pref-timezone").input_value() == "Asia/Tokyo"
        assert await page.locator("footer.site-footer").inner_text() == "Times are shown in Asia/Tokyo. Staff"
        await page.reload()
        # The first request, the one reload that applied the zone, and ours: no loop.
        assert documents == [live_server.base_url + "/"] * 3
    finally:
        await context.close()


async def test_without_javascript_apply_sets_the_zone(live_server, browser):
    context = await browser.new_context(locale="en", timezone_id="Asia/Tokyo", java_script_enabled=False)
    page = await context.new_page()
    try:
        await page.goto(live_server.base_url + "/")
        assert await page.get_attribute("body", "data-timezone") == "UTC"
        await page.fill("#pref-timezone", "Asia/Tokyo")
        async with page.expect_navigation():
            await page.click("form.preferences button[type=submit]")
        times = await your_times(page)
        assert times and all(text.endswith("(Asia/Tokyo, UTC+09:00)") for text in times)
    finally:
        await context.close()
