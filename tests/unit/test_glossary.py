"""The glossary: every term a page explains is there, and help texts head each sentence with its term."""
import ast
from pathlib import Path

import pytest

from seqviz.figures.glossary import GLOSSARY, explain

ROOT = Path(__file__).resolve().parents[2]


def explained_terms() -> set[str]:
    """Every string literal passed to explain(...) or GLOSSARY[...] in the pages."""
    terms = set()
    for page in (ROOT / "pages").glob("*.py"):
        for node in ast.walk(ast.parse(page.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "explain":
                terms |= {a.value for a in node.args if isinstance(a, ast.Constant)}
            if isinstance(node, ast.Subscript) and getattr(node.value, "id", None) == "GLOSSARY":
                terms.add(node.slice.value)
    return terms


def test_every_term_the_pages_explain_is_in_the_glossary():
    terms = explained_terms()
    assert {"adding problem", "memoryless baseline", "clipping", "initialisation", "selective copying"} <= terms
    assert all(term.lower() in GLOSSARY for term in terms)


def test_a_help_text_heads_each_sentence_with_its_term():
    text = explain("Adding problem", "copy memory")
    assert text.startswith("**Adding problem**: Each step") and "\n\n**copy memory**: Ten symbols" in text


def test_an_unknown_term_is_a_key_error_not_an_empty_help():
    with pytest.raises(KeyError):
        explain("no such term")
