"""Typed text in the URL: mirrored while a link can carry it, left out (and said so) when too long."""
from urllib.parse import quote

from streamlit.testing.v1 import AppTest


def prompt_page():
    from seqviz.ui.state import url_text_area

    url_text_area("Prompt", key="prompt", default="def ")


def test_typed_text_is_kept_in_the_link():
    at = AppTest.from_function(prompt_page).run()
    at.text_area(key="prompt").set_value("x = 'ü'\n").run()
    assert at.query_params["prompt"] == "x = 'ü'\n"
    assert not at.caption


def test_text_too_long_for_a_link_is_left_out_and_the_page_says_so():
    """2,000 CJK characters percent-encode to 18 kB, past what web servers accept in a request line."""
    from seqviz.ui.state import URL_TEXT_BYTES

    long_text = "字" * 2000
    assert len(quote(long_text, safe="")) > URL_TEXT_BYTES
    at = AppTest.from_function(prompt_page).run()
    at.text_area(key="prompt").set_value(long_text).run()
    assert "prompt" not in at.query_params
    assert "too long for a link (2,000 characters)" in at.caption[0].value
    assert at.text_area(key="prompt").value == long_text  # the page still reads it


def bounded_page():
    from seqviz.ui.state import url_selectbox, url_slider

    url_slider("Hidden size H", 4, 256, key="H", default=64)
    url_selectbox("Initialisation", ("default", "orthogonal"), key="init")


def test_a_junk_link_value_is_ignored_and_a_toast_names_it():
    at = AppTest.from_function(bounded_page)
    at.query_params["H"] = "99999"
    at.query_params["init"] = "orthogonl"
    at.run()
    assert at.slider(key="H").value == 64 and at.selectbox(key="init").value == "default"
    toasts = [t.value for t in at.toast]
    assert any("'99999' for “Hidden size H”" in t for t in toasts)
    assert any("'orthogonl' for “Initialisation”" in t for t in toasts)
    at.run()
    assert not at.toast  # said once: the session keeps the default
