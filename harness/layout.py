"""What a visitor would see as broken layout, read off the rendered page: text boxes inside a chart that
overlap (titles, axis titles, legends, annotations, colour-bar titles), alerts drawn over a chart, and
widget labels cut off with an ellipsis. Used by tests/browser/test_layout.py and scripts/screenshot.py."""
from __future__ import annotations

from urllib.parse import quote_plus

# Every view of every page, as a path with its query: what the layout test opens at each width.
VIEWS = (
    "inside-the-cell", "inside-the-cell?cell_tab=Animation+%28play%29", "inside-the-cell?cell_tab=Backward+pass+%28play%29",
    "inside-the-cell?cell_tab=Heatmaps%3A+units+%C3%97+time", "inside-the-cell?cell_tab=Chosen+units+over+time",
    "inside-the-cell?cell_kind=gru&cell_layers=2&cell_bidir=1",
    "gradient-flow", "gradient-flow?grad_tab=" + quote_plus("Fit per model (λ, M, zeros)"),
    "gradient-flow?grad_T=1000", "gradient-flow?grad_view=Jacobian+spectrum",
    "gradient-flow?grad_view=Who+teaches+whom", "gradient-flow?grad_view=Phase+diagram",
    "gradient-flow?grad_view=Clipping+in+training", "gradient-flow?grad_view=Compare+runs",
    "attention", "attention?attn_view=Alignment", "attention?attn_view=Bottleneck",
    "attention?attn_view=Exposure+bias",
    "state-space-models", "state-space-models?ssm_k_tab=" + quote_plus("Eigenvalues of Ā"),
    "state-space-models?ssm_view=Memory+%28HiPPO%29", "state-space-models?ssm_view=Conv+%3D+recurrence",
    "state-space-models?ssm_view=Selection+%28Mamba%29", "state-space-models?ssm_view=Compare+on+a+task",
    "language-lab", "language-lab?lang_view=Pattern+search", "language-lab?lang_view=Decoding",
    "language-lab?lang_view=Gradient+reach",
    "recurrence-vs-attention", "recurrence-vs-attention?rva_view=What+each+can+learn",
    "recurrence-vs-attention?rva_view=What+a+token+costs", "lessons",
)

# Returns a list of problems, each a sentence naming the two boxes (or the label) and where.
LAYOUT_PROBLEMS = """() => {
  const MIN_PX = 3;  // boxes sharing less than this in either direction only touch
  const name = (el) => {
    const text = (el.textContent || "").trim().replace(/\\s+/g, " ").slice(0, 40);
    const cls = el.classList.contains("bg") ? "legend"
      : el.getAttribute("class") || el.getAttribute("data-testid") || el.tagName;
    return `${cls.split(" ")[0]} '${text}'`;
  };
  const overlap = (a, b) => Math.min(a.right, b.right) - Math.max(a.left, b.left) >= MIN_PX
                          && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) >= MIN_PX;
  const visible = (r) => r.width > 0 && r.height > 0;
  const problems = [];
  const charts = Array.from(document.querySelectorAll("[data-testid='stMain'] .js-plotly-plot"));
  charts.forEach((plot, k) => {
    const title = (plot.layout?.title?.text || plot.layout?.annotations?.[0]?.text || `chart ${k + 1}`).slice(0, 40);
    const boxes = Array.from(plot.querySelectorAll(
      ".infolayer .gtitle, .infolayer g[class^='g-'][class$='title'] text, .legend .bg, .annotation, .cbtitle text, "
      + ".updatemenu-button, .slider-container"))
      .filter((el) => !el.closest(".legend") || el.classList.contains("bg"))
      .map((el) => [el, el.getBoundingClientRect()]).filter(([, r]) => visible(r));
    for (let i = 0; i < boxes.length; i++)
      for (let j = i + 1; j < boxes.length; j++) {
        const [a, ra] = boxes[i], [b, rb] = boxes[j];
        if (a.contains(b) || b.contains(a)) continue;
        if (overlap(ra, rb)) problems.push(`in '${title}': ${name(a)} overlaps ${name(b)}`);
      }
  });
  const main = document.querySelector("[data-testid='stMain']");
  const chartBoxes = Array.from(main.querySelectorAll("[data-testid='stPlotlyChart'], .js-plotly-plot"))
    .map((el) => el.getBoundingClientRect()).filter(visible);
  main.querySelectorAll("[data-testid='stAlert'], .seqviz-instant-warning").forEach((alert) => {
    const r = alert.getBoundingClientRect();
    if (visible(r) && chartBoxes.some((c) => overlap(r, c))) problems.push(`alert ${name(alert)} is drawn over a chart`);
  });
  document.querySelectorAll(".stMarkdownEllipsis, [data-testid='stWidgetLabel'] p, [data-testid='stTab'] p")
    .forEach((label) => {
    if (label.offsetWidth > 0 && label.scrollWidth > label.clientWidth + 1)
      problems.push(`label '${label.textContent.trim()}' is cut off (${label.clientWidth} of ${label.scrollWidth} px)`);
  });
  return problems;
}"""


def layout_problems(page) -> list[str]:
    """The problems LAYOUT_PROBLEMS finds on the page as rendered now."""
    return page.evaluate(LAYOUT_PROBLEMS)


def settle(page, timeout_ms: float = 60_000) -> None:
    """Wait for the run to end and, where the page has Plotly charts, for Plotly to draw them all."""
    from harness.browser import wait_for_app_run, wait_for_charts

    wait_for_app_run(page, timeout_ms)
    if page.locator("[data-testid='stMain'] [data-testid='stPlotlyChart']").count():
        wait_for_charts(page, timeout_ms)
