"""Decoding strategies of the language lab against their definitions and brute force."""
import itertools
import math

import pytest
import torch

from seqviz.language.corpus import Vocabulary
from seqviz.language.decoding import Strategy, beam_search, distinct_n, generate, longest_repeat, transform
from seqviz.language.model import CharModel, CharModelConfig

LOGITS = torch.tensor([2.0, 1.0, 1.0, 0.5, -1.0, 3.0])


def tiny_model(kind="lstm", chars="\ufffdab", sharpness=4.0):
    model = CharModel(CharModelConfig(kind=kind, embed_size=3, hidden_size=6, seed=3), Vocabulary(chars))
    with torch.no_grad():
        model.readout.weight.mul_(sharpness)  # distinct probabilities, so the best sequence is unique
    return model.eval()


@pytest.mark.parametrize("k", [1, 2, 3, 6])
def test_top_k_keeps_exactly_k_characters_ties_by_lowest_id(k):
    _, q = transform(LOGITS, Strategy(top_k=k))
    kept = set(torch.nonzero(q).flatten().tolist())
    assert len(kept) == k
    assert kept == set([5, 0, 1, 2, 3, 4][:k])  # 1 and 2 tie: 1 goes first
    assert float(q.sum()) == pytest.approx(1.0)


@pytest.mark.parametrize("top_p", [0.05, 0.5, 0.7, 0.9, 0.999, 1.0])
def test_top_p_keeps_the_smallest_most_probable_set_reaching_p(top_p):
    p, q = transform(LOGITS, Strategy(top_p=top_p))
    kept = torch.nonzero(q).flatten().tolist()
    order = sorted(range(len(p)), key=lambda i: (-float(p[i]), i))
    size = next(n for n in range(1, len(p) + 1) if float(p[order[:n]].sum()) >= top_p - 1e-12)
    assert sorted(kept) == sorted(order[:size])
    assert torch.allclose(q[kept], p[kept] / p[kept].sum())


def test_temperature_reshapes_p_as_a_power():
    p, q = transform(LOGITS, Strategy(temperature=0.5))
    assert torch.allclose(q, p ** 2 / (p ** 2).sum())


def test_temperature_zero_is_greedy():
    model = tiny_model()
    cold = generate(model, "ab", 12, Strategy(temperature=0.0, seed=1))
    assert cold.text == generate(model, "ab", 12, Strategy(name="greedy")).text
    assert generate(model, "ab", 12, Strategy(temperature=1e-4, seed=7)).text == cold.text


def test_beam_width_one_is_greedy():
    model = tiny_model("gru")
    assert beam_search(model, "ba", 10, 1).text == generate(model, "ba", 10, Strategy(name="greedy")).text


def sequence_log_prob(model, prompt, continuation):
    ids = torch.as_tensor(model.vocabulary.encode(prompt + continuation))
    with torch.no_grad():
        logits, _ = model(ids[:-1, None])
    log_p = torch.log_softmax(logits[:, 0].double(), dim=-1)
    return sum(float(log_p[t, ids[t + 1]]) for t in range(len(prompt) - 1, len(ids) - 1))


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_a_beam_that_never_drops_a_sequence_finds_the_most_probable_one(kind):
    model, steps = tiny_model(kind), 4
    V = model.vocabulary.size
    best = max(("".join(s) for s in itertools.product(model.vocabulary.chars, repeat=steps)),
               key=lambda s: sequence_log_prob(model, "ab", s))
    found = beam_search(model, "ab", steps, V ** (steps - 1))
    assert found.text == best
    assert found.log_prob == pytest.approx(sequence_log_prob(model, "ab", best), abs=1e-6)


def test_a_generations_log_probability_is_the_models_own():
    model = tiny_model()
    sampled = generate(model, "aab", 20, Strategy(temperature=1.5, top_k=2, seed=4))
    assert sampled.log_prob == pytest.approx(sequence_log_prob(model, "aab", sampled.text), abs=1e-6)
    assert sampled.bits_per_char == pytest.approx(-sampled.log_prob / math.log(2) / 20)


def test_sampling_repeats_for_a_seed_and_differs_across_seeds():
    model = tiny_model(sharpness=0.5)
    runs = [generate(model, "a", 40, Strategy(seed=s)).text for s in (0, 0, 1)]
    assert runs[0] == runs[1] != runs[2]


def test_each_step_keeps_the_distribution_before_and_after_the_cut():
    step = generate(tiny_model(), "ab", 5, Strategy(top_k=1, seed=0))
    assert len(step.p) == len(step.q) == 5
    assert all(abs(float(p.sum()) - 1) < 1e-5 and int((q > 0).sum()) == 1 for p, q in zip(step.p, step.q))


@pytest.mark.parametrize("bad, message", [(dict(name="nucleus"), "strategy must be one of"),
                                          (dict(top_p=0.0), "top-p must be in"), (dict(top_k=-1), "top-k"),
                                          (dict(temperature=-1.0), "temperature"), (dict(beam_width=9), "beam width")])
def test_bad_strategies_are_refused_with_what_is_accepted(bad, message):
    with pytest.raises(ValueError, match=message):
        Strategy(**bad)


def test_distinct_n_and_repeats_measure_repetition():
    assert distinct_n("abcabc", 3) == pytest.approx(3 / 4)
    assert distinct_n("ab", 3) == 0.0
    assert longest_repeat("xabcyabcz") == 3
    assert longest_repeat("abcd") == 0
