"""Every animated figure, played in Chromium's plotly.js: a slider step changes what it animates and
leaves every other trace on the screen."""
from __future__ import annotations

import json

import numpy as np
import pytest

from benchmarks.chart_draw import PLOTLY_JS
from harness import browser as driver
from seqviz.cell.inputs import InputSpec
from seqviz.cell.run import CellConfig, cell_states, run_cell, step_numbers
from seqviz.figures.attention import alignment_figure
from seqviz.figures.cell import cell_animation
from seqviz.figures.equations import step_rows
from seqviz.figures.ssm import eigenvalue_figure
from seqviz.seq2seq.experiments import Alignment
from seqviz.ssm.lab import SSMConfig, ssm_kernels

# Draws a figure, then takes each given slider step as a click on it would (the step's own
# Plotly.animate arguments); returns, before and after each step, how many marks (markers, bars,
# texts, heatmap images) every trace has on the screen.
PLAY_STEPS = """async ([figure, steps]) => {
  const div = document.getElementById("root");
  await Plotly.newPlot(div, figure);
  const marks = () => Array.from(div.querySelectorAll("g.trace")).map(
    (trace) => trace.querySelectorAll(".point, text, image").length);
  const seen = [marks()];
  for (const k of steps) {
    await Plotly.animate(div, ...figure.layout.sliders[0].steps[k].args);
    await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
    seen.push(marks());
  }
  return seen;
}"""


def cell_figure():
    config = CellConfig(seed=0, device="cpu", input=InputSpec(source="sine", seed=0, steps=12), hidden_size=4)
    run = run_cell(config)
    return cell_animation(cell_states(run.trace, 0, 0), run.sequence.step_labels,
                          numbers=lambda t: step_rows(step_numbers(run, 0, 0, t, (0, 1))))


def eigenvalues_figure():
    result = ssm_kernels(SSMConfig(N=8, L=64))
    return eigenvalue_figure(result.eig_A, result.eig_A_bar, 0.01)


def attention_figure():
    weights = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6]])
    return alignment_figure([Alignment("bahdanau", "123", "321", "321", ("3", "2", "1"), weights,
                                       np.zeros((3, 2)), -0.5)], ["bahdanau"])


@pytest.mark.parametrize("build", [cell_figure, eigenvalues_figure, attention_figure], ids=lambda f: f.__name__)
def test_a_slider_step_keeps_every_trace_on_the_screen(build, browser):
    spec = json.loads(build().to_json())
    count = len(spec["layout"]["sliders"][0]["steps"])
    page = driver.new_context(browser).new_page()
    page.set_content("<html><body><div id='root'></div></body></html>")
    page.add_script_tag(path=str(PLOTLY_JS))
    seen = page.evaluate(PLAY_STEPS, [spec, [count - 1, 0, count // 2]])
    page.context.close()
    first = seen[0]
    assert sum(first) > 0
    for marks in seen[1:]:
        assert len(marks) == len(first), seen  # no trace removed
        assert all(m > 0 for m, was in zip(marks, first) if was > 0), seen  # none emptied
