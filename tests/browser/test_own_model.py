"""Bring your own model in real Chromium: a file chosen in the uploader, and the example button."""
from __future__ import annotations

from harness import browser as driver
from seqviz.core.paths import assets

SHOWING = "Showing your model"


def open_panel(page, app_server, path: str) -> None:
    """Open the page, let its charts and browser-side controls settle (a control reporting its state
    reruns the page, and a click during that rerun can be lost), then open the upload panel."""
    driver.open_page(page, f"{app_server.url}/{path}")
    driver.wait_for_charts(page)
    driver.wait_for_app_run(page)
    page.get_by_text("Your own trained model (upload)").click()
    driver.wait_for_app_run(page)


def wait_for_model(page, text: str) -> None:
    page.locator(driver.MAIN).get_by_text(text).first.wait_for(timeout=60_000)
    driver.wait_for_app_run(page)


def test_a_file_chosen_in_the_uploader_is_shown_as_your_model(page, console, app_server):
    open_panel(page, app_server, "inside-the-cell")
    page.locator(f"{driver.MAIN} input[type='file']").set_input_files(str(assets("examples", "sine-lstm.pt")))
    wait_for_model(page, f"{SHOWING} (sine-lstm.pt: LSTM, I = 1, H = 8, L = 1)")
    driver.wait_for_charts(page)
    assert all(traces > 0 for traces in driver.charts_with_data(page))
    assert "own_model" not in page.url
    assert page.locator(driver.EXCEPTION).count() == 0 and console.errors == []


def test_the_example_button_shows_the_example_on_gradient_flow(page, console, app_server):
    open_panel(page, app_server, "gradient-flow")
    page.get_by_role("button", name="Use the example").click()
    wait_for_model(page, f"{SHOWING} (sine-lstm.safetensors: LSTM")
    driver.wait_for_charts(page)
    assert page.locator(driver.EXCEPTION).count() == 0 and console.errors == []
