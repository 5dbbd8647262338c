"""The language lab's corpus, vocabulary and text features, and the units that follow a feature."""
import gzip

import numpy as np
import pytest

from seqviz.language import corpus
from seqviz.language.corpus import SPLITS, UNK, Vocabulary, load_split
from seqviz.language.features import FEATURES, correlations, rank_units, saturation, text_features


def test_every_split_loads_and_matches_its_checksum():
    sizes = {split: len(load_split(split)) for split in SPLITS}
    assert sizes["valid"] >= 200_000 and sizes["test"] >= 200_000 and sizes["train"] > 2_000_000


def test_a_split_that_no_longer_matches_its_checksum_is_refused(monkeypatch, tmp_path):
    for name in ("manifest.json",):
        (tmp_path / name).write_bytes((corpus.CORPUS_DIR / name).read_bytes())
    (tmp_path / "valid.txt.gz").write_bytes(gzip.compress(b"import os\n"))
    monkeypatch.setattr(corpus, "CORPUS_DIR", tmp_path)
    monkeypatch.setattr(corpus, "MANIFEST", tmp_path / "manifest.json")
    corpus.load_split.cache_clear()
    try:
        with pytest.raises(ValueError, match="does not match its checksum"):
            load_split("valid")
    finally:
        corpus.load_split.cache_clear()


def test_unseen_characters_map_to_unknown_and_are_counted():
    vocabulary = Vocabulary.from_text("aab" * 30 + "é", min_count=20)
    assert vocabulary.chars == UNK + "ab"
    ids = vocabulary.encode("abé∑")
    assert ids.tolist() == [1, 2, 0, 0]
    assert vocabulary.unknown_count("abé∑") == 2
    assert vocabulary.decode(ids) == "ab" + UNK * 2


FEATURE_TEXT = 'x = f("a#b", [1, (2)])  # c\n    if y:\n        s = \'\'\'q\n"r\'\'\'\n'


def column(name):
    return text_features(FEATURE_TEXT)[name].astype(int).tolist()


def test_strings_cover_their_quotes_and_ignore_a_hash_inside():
    inside = column("inside a string")
    assert "".join(c for c, on in zip(FEATURE_TEXT, inside) if on) == '"a#b"\'\'\'q\n"r\'\'\''


def test_comments_run_from_the_hash_to_the_end_of_the_line():
    inside = column("inside a comment")
    assert "".join(c for c, on in zip(FEATURE_TEXT, inside) if on) == "# c"


def test_bracket_pairs_sit_at_their_outer_depth():
    depth = column("bracket depth")
    assert [depth[FEATURE_TEXT.index(piece)] for piece in ("(\"", "[1", "(2", "2)")] == [0, 1, 2, 3]
    assert depth[FEATURE_TEXT.index(")]") + 1] == 1


def test_indentation_and_column_follow_each_line():
    assert column("indentation depth")[FEATURE_TEXT.index("if")] == 4
    assert column("indentation depth")[FEATURE_TEXT.index("s =")] == 8
    assert column("position in line")[FEATURE_TEXT.index("if")] == 4
    assert set(text_features(FEATURE_TEXT)) == set(FEATURES)


def test_a_unit_planted_to_follow_a_feature_ranks_first():
    rng = np.random.default_rng(0)
    feature = text_features(load_split("valid")[:5000])["inside a string"]
    activations = rng.normal(size=(5000, 32))
    activations[:, 17] = 0.8 * feature + 0.3 * rng.normal(size=5000)
    activations[:, 5] = -0.5 * feature + 0.6 * rng.normal(size=5000)
    ranked = rank_units(activations, feature, top=3)
    assert [u for u, _ in ranked[:2]] == [17, 5]
    assert ranked[0][1] == pytest.approx(np.corrcoef(activations[:, 17], feature)[0, 1])


def test_constant_units_or_features_correlate_zero():
    assert correlations(np.ones((10, 2)), np.arange(10.0)).tolist() == [0.0, 0.0]
    assert correlations(np.arange(20.0).reshape(10, 2), np.ones(10)).tolist() == [0.0, 0.0]


def test_saturation_counts_steps_below_and_above_the_cutoffs():
    gate = np.array([[0.05, 0.5], [0.95, 0.5], [0.02, 0.99], [0.5, 0.5]])
    low, high = saturation(gate)
    assert low.tolist() == [0.5, 0.0] and high.tolist() == [0.25, 0.25]
