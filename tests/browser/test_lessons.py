"""Lessons in Chromium: played with the keyboard, a copied link opens the same step, presenter mode on a
projector, and the handout works as a file with nothing fetched."""
from __future__ import annotations

from harness import browser as driver
from seqviz.lessons.handout import handout_html, step_figures
from seqviz.lessons.library import load_lessons
from seqviz.ui.page_params import page_controls

STEP_HEADING = "[data-testid='stSidebar'] h3"


def step_heading(page) -> str:
    return page.locator(STEP_HEADING).first.inner_text()


def press_and_wait(page, key: str, step: int) -> None:
    page.keyboard.press(key)
    page.wait_for_url(f"**step={step}**")
    driver.wait_for_app_run(page)


def test_a_lesson_plays_with_the_arrow_keys_and_a_copied_link_opens_the_same_step(page, console, app_server, browser):
    driver.open_page(page, f"{app_server.url}/gradient-flow?lesson=vanishing&step=1")
    assert step_heading(page) == "The textbook experiment"
    press_and_wait(page, "ArrowRight", 2)
    assert step_heading(page) == "What float32 really gives"
    assert driver.control_value(page, "Sequence length T") == "300"
    press_and_wait(page, "ArrowLeft", 1)
    press_and_wait(page, "ArrowRight", 2)
    other = driver.new_context(browser)
    try:
        copy = other.new_page()
        driver.open_page(copy, page.url)
        assert step_heading(copy) == "What float32 really gives"
        assert driver.control_value(copy, "Sequence length T") == "300"
    finally:
        other.close()
    assert page.locator(driver.EXCEPTION).count() == 0 and console.errors == []


def test_an_arrow_key_on_a_focused_slider_moves_the_slider_not_the_step(page, console, app_server):
    driver.open_page(page, f"{app_server.url}/gradient-flow?lesson=vanishing&step=1")
    driver.control(page, "Hidden size H").locator("input[type='range']").first.press("ArrowRight")
    page.wait_for_url("**grad_H=65**")
    driver.wait_for_app_run(page)
    assert "step=1" in page.url and step_heading(page) == "The textbook experiment"
    assert page.locator(driver.EXCEPTION).count() == 0 and console.errors == []


def test_presenter_mode_fits_a_projector_without_the_sidebar_or_the_steps_unused_controls(
        browser, app_server, artifacts):
    for width, height in ((1024, 768), (1920, 1080)):
        context = driver.new_context(browser, (width, height))
        page = context.new_page()
        console = driver.ConsoleErrors(page)
        driver.open_page(page, f"{app_server.url}/gradient-flow?lesson=vanishing&step=3&present=1")
        driver.wait_for_charts(page)
        assert not page.locator(driver.SIDEBAR).is_visible()
        assert page.get_by_text("The float64 view").is_visible()
        assert driver.control(page, "Precision").is_visible()  # set by the step
        assert not driver.control(page, "Hidden size H").is_visible()  # not set by the step
        assert not page.get_by_text("is the exact gradient of the loss").is_visible()  # the page's header caption
        assert page.locator(f"{driver.MAIN} .katex-display").count() and not any(  # the page's equations
            e.is_visible() for e in page.locator(f"{driver.MAIN} .katex-display").all())
        assert not page.get_by_text("Your own trained model (upload)").is_visible()  # holds no control of the step
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(path=artifacts / f"lesson-presenter-{width}x{height}.png")
        assert page.locator(driver.EXCEPTION).count() == 0 and console.errors == []
        context.close()


def test_the_handout_opens_as_a_file_with_every_chart_and_equation_and_fetches_nothing(browser, tmp_path):
    lesson = load_lessons(page_controls()).lessons["vanishing"]
    path = tmp_path / "vanishing.html"
    path.write_text(handout_html(lesson), encoding="utf-8")
    figures = sum(len(f) for f in map(step_figures, lesson.steps) if not isinstance(f, str))
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    fetched, errors = [], []
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
                  else (fetched.append(route.request.url), route.abort()))
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(path.as_uri())
    page.wait_for_function(f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {figures}")
    assert page.locator(".js-plotly-plot").count() == figures > 0
    assert page.locator("span.math math").count() == page.locator("span.math").count() > 0
    assert fetched == [] and errors == []
    context.close()
