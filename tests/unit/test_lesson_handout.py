"""The handout: the lesson format's Markdown in HTML, the math left for KaTeX, every shipped step's figures."""
from __future__ import annotations

import pytest

from seqviz.lessons.handout import handout_html, katex_source, markdown_html, step_figures
from seqviz.lessons.library import load_lessons
from seqviz.ui.page_params import page_controls

LESSONS = load_lessons(page_controls()).lessons


def test_markdown_paragraphs_lists_and_emphasis_become_html():
    html = markdown_html("A **bold** and *italic* `code` [link](https://example.org).\n\n- one\n- two")
    assert html == ('<p>A <strong>bold</strong> and <em>italic</em> <code>code</code> '
                    '<a href="https://example.org">link</a>.</p>\n<ul><li>one</li><li>two</li></ul>')


def test_math_is_left_for_katex_and_escaped():
    html = markdown_html(r"Inline $a<b$ and display $$\frac{1}{2}$$")
    assert '<span class="math" data-display="0">a&lt;b</span>' in html
    assert '<span class="math" data-display="1">\\frac{1}{2}</span>' in html


def test_text_is_escaped():
    assert markdown_html("<script>x</script>") == "<p>&lt;script&gt;x&lt;/script&gt;</p>"


def test_the_katex_copy_inside_streamlit_is_found_and_sets_a_global():
    source = katex_source()
    assert source is not None and source.endswith(";})();") and "window.katex=" in source


@pytest.mark.parametrize("name", sorted(LESSONS))
def test_every_shipped_step_has_its_figures(name):
    for step in LESSONS[name].steps:
        figures = step_figures(step)
        assert not isinstance(figures, str), (step.title, figures)
        assert figures and all(figure.data for figure in figures), step.title


def test_a_handout_is_one_document_with_plotly_inlined_and_no_external_script():
    lesson = LESSONS["vanishing"]
    html = handout_html(lesson, figures=lambda step, run: "no figures here")
    assert html.startswith("<!DOCTYPE html>") and html.count("<html") == 1
    assert "Plotly" in html and "<script src" not in html and "<link" not in html
    assert all(step.title in html for step in lesson.steps)


def test_a_steps_training_settings_become_the_pages_training_config():
    from seqviz.gradients.training import TaskTrainConfig
    from seqviz.lessons.facts import train_config

    assert train_config({}) == TaskTrainConfig(device="cpu")  # the page's defaults
    config = train_config({"grad_task": "adding", "grad_task_T": "50", "grad_train_rho_on": "1",
                           "grad_train_rho": "2", "grad_clip": "norm", "grad_clip_c": "1", "grad_updates": "200"})
    assert (config.length, config.spectral_radius, config.clip, config.clip_threshold, config.updates) == \
        (50, 2.0, "norm", 1.0, 200)


def test_a_step_a_handout_cannot_draw_says_why():
    from seqviz.lessons.format import Step

    pattern = Step(title="Patterns", page="language-lab", settings=(("lang_view", "Pattern search"),), narrative="x")
    assert step_figures(pattern).startswith("Not drawn in the handout: ")
    unknown = Step(title="Elsewhere", page="no-such-page", settings=(), narrative="x")
    assert step_figures(unknown).startswith("This step's charts (no-such-page)")
