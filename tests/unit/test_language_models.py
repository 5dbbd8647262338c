"""The shipped character models: loaded weights-only, and scoring on the test split what they say."""
import io
import json
import pickle

import pytest
import torch

from seqviz.core.checkpoints import CheckpointError
from seqviz.core.models import KINDS
from seqviz.core.paths import assets
from seqviz.language import lab
from seqviz.language.corpus import load_split
from seqviz.language.model import load
from seqviz.language.training import bits_per_char

RESULTS = json.loads(assets("language", "results.json").read_text())


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize("kind", KINDS)
def test_each_shipped_model_scores_on_the_test_split_what_it_reports(kind):
    path = lab.model_path(kind)
    assert path.stat().st_size <= 3_000_000
    trained = load(path)
    test_ids = trained.model.vocabulary.encode(load_split("test"))
    measured = bits_per_char(trained.model, test_ids)
    assert measured == pytest.approx(trained.bits_per_char["test"], rel=1e-6)
    assert measured == pytest.approx(RESULTS["models"][kind]["bits_per_char"]["test"], rel=1e-6)


def test_the_lstm_beats_the_bigram_baseline_clearly():
    lstm, bigram = RESULTS["models"]["lstm"]["bits_per_char"]["test"], RESULTS["baselines"]["bigram"]["test"]
    assert lstm <= 2.3 and lstm < bigram - 1.0


def test_a_checkpoint_that_carries_code_is_refused_before_it_runs():
    class Exploit:
        def __reduce__(self):
            return (print, ("ran",))

    payload = io.BytesIO()
    torch.save({"format": "seqviz-char-lm-1", "config": Exploit()}, payload, _use_new_zipfile_serialization=True,
               pickle_protocol=pickle.HIGHEST_PROTOCOL)
    with pytest.raises(CheckpointError):
        load(payload.getvalue())


def test_the_page_knows_the_validation_splits_length():
    assert lab.VALID_CHARS == len(load_split("valid"))
