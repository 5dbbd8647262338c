from harness import browser as driver
with driver.chromium() as b:
    ctx = b.new_context(viewport={"width": 1280, "height": 900})
    requests = []
    ctx.route("**/*", lambda r: (r.continue_() if r.request.url.startswith("file:") else (requests.append(r.request.url), r.abort())))
    page = ctx.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto("file:///tmp/vanishing.html")
    page.wait_for_selector(".main-svg", timeout=60000)
    print("charts", page.locator(".js-plotly-plot").count(), "math", page.locator("span.math math").count(), "errors", errors, "external", requests)
    page.screenshot(path="/tmp/handout.png")
