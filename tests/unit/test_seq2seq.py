"""Seq2seq tasks are exactly right; the model, its decoders and checkpoints behave as specified."""
import datetime as dt
import io
import random
from pathlib import Path

import pytest
import torch

from seqviz.seq2seq.attention import ATTENTIONS
from seqviz.seq2seq.experiments import SweepConfig, align, bottleneck_sweep, exposure_bias, sweep_lengths
from seqviz.seq2seq.model import ModelConfig, Seq2Seq, beam_search, greedy_decode
from seqviz.seq2seq.shipped import checkpoint_name, shipped_models, shipped_sweep
from seqviz.seq2seq.tasks import (
    EOS,
    TaskSpec,
    check_source,
    make_batch,
    parse_date,
    sample_sources,
    target_for,
    vocabulary,
)
from seqviz.seq2seq.training import (
    Seq2SeqConfig,
    TrainedModel,
    build_seq2seq,
    evaluate,
    load_checkpoint,
    save_checkpoint,
    train_seq2seq,
    with_attention,
)

ASSETS = Path(__file__).resolve().parents[2] / "assets" / "attention"
LUONG = [a for a in ATTENTIONS if a not in ("none", "bahdanau")]


def sources(spec, n=200, seed=0):
    return sample_sources(spec, n, random.Random(seed))


# ---- tasks ----------------------------------------------------------------------------------

def test_reverse_sort_and_copy_targets_are_exact():
    for source in sources(TaskSpec("reverse", 3, 40)):
        assert target_for(TaskSpec("reverse"), source) == "".join(reversed(source))
        assert list(target_for(TaskSpec("sort"), source)) == sorted(source)
        assert target_for(TaskSpec("copy-delay", delay=3), source) == "___" + source


def test_generated_lengths_stay_in_the_range_and_cover_it():
    lengths = {len(s) for s in sources(TaskSpec("reverse", 3, 40), n=2000)}
    assert lengths == set(range(3, 41))


def test_generators_are_reproducible_from_the_seed():
    spec = TaskSpec("dates")
    assert sources(spec, seed=5) == sources(spec, seed=5) != sources(spec, seed=6)


def test_dates_round_trip_through_datetime():
    spec = TaskSpec("dates")
    for source in sources(spec, n=500):
        fmt = "%B %d, %Y" if "," in source else "%d %b %Y"
        assert dt.datetime.strptime(source, fmt).date() == dt.date.fromisoformat(target_for(spec, source))


def test_the_issue_example_date():
    spec = TaskSpec("dates")
    assert target_for(spec, "23 Nov 2026") == target_for(spec, "November 23, 2026") == "2026-11-23"


def test_impossible_dates_are_refused_clearly():
    with pytest.raises(ValueError, match="not a real date"):
        parse_date("30 Feb 2026")
    with pytest.raises(ValueError, match="'23 Nov 2026' or 'November 23, 2026'"):
        parse_date("2026/11/23")


def test_out_of_vocabulary_characters_are_named():
    with pytest.raises(ValueError, match=r"characters 'a', 'x' are not in the reverse task's vocabulary"):
        check_source(TaskSpec("reverse"), "12x4a")


def test_sources_longer_than_40_are_refused():
    with pytest.raises(ValueError, match="1 to 40 characters; got 41"):
        check_source(TaskSpec("sort"), "1" * 41)


def test_bad_task_spec_names_accepted_values():
    with pytest.raises(ValueError, match="reverse, sort, copy-delay, dates; got 'rev'"):
        TaskSpec("rev")
    with pytest.raises(ValueError, match="min_length ≤ max_length ≤ 40"):
        TaskSpec("reverse", 5, 41)


def test_batch_targets_end_with_eos_and_decoder_inputs_start_with_sos():
    spec = TaskSpec("reverse", 3, 6)
    batch = make_batch(spec, ["123", "98765"])
    vocab = vocabulary("reverse")
    assert vocab.decode(batch.tgt_out[0]) == "321" and int(batch.tgt_out[0, 3]) == EOS
    assert batch.tgt_in[1, 0] == 1 and vocab.decode(batch.tgt_in[1, 1:]) == "56789"
    assert batch.src_lengths.tolist() == [3, 5]


# ---- model and decoding ------------------------------------------------------------------------

def all_configs():
    for attention in ATTENTIONS:
        for cell in ("gru", "lstm"):
            yield ModelConfig(cell=cell, attention=attention, bidirectional=cell == "lstm", hidden_size=8,
                              embed_size=6, attention_size=5)
    for attention in LUONG:
        yield ModelConfig(attention=attention, input_feeding=True, hidden_size=8, embed_size=6)


@pytest.mark.parametrize("config", list(all_configs()), ids=lambda c: f"{c.cell}-{c.attention}-{int(c.input_feeding)}")
def test_beam_width_one_equals_greedy(config):
    torch.manual_seed(0)
    model = Seq2Seq(config, vocabulary("reverse").size).eval()
    for source in sources(TaskSpec("reverse", 3, 12), n=5):
        src = torch.tensor(vocabulary("reverse").encode(source))
        greedy = greedy_decode(model, src.unsqueeze(0), torch.tensor([len(src)]), 15)
        beam = beam_search(model, src, 15, 1)[0]
        tokens = greedy.tokens[0].tolist()
        assert list(beam.tokens) == tokens[:len(beam.tokens)]
        if greedy.weights is not None:
            assert torch.allclose(beam.weights, greedy.weights[0, :len(beam.tokens)], atol=1e-6)


@pytest.mark.parametrize("config", list(all_configs()), ids=lambda c: f"{c.cell}-{c.attention}-{int(c.input_feeding)}")
def test_padding_changes_nothing_and_gets_zero_attention(config):
    torch.manual_seed(0)
    model = Seq2Seq(config, vocabulary("reverse").size).eval()
    batch = make_batch(TaskSpec("reverse", 3, 9), ["1234", "987654321"])
    alone = make_batch(TaskSpec("reverse", 3, 9), ["1234"])
    with torch.no_grad():
        padded = model(batch.src, batch.src_lengths, batch.tgt_in)
        single = model(alone.src, alone.src_lengths, alone.tgt_in)
    assert torch.allclose(padded.logits[0, :5], single.logits[0], atol=1e-5)
    if padded.weights is not None:
        assert bool((padded.weights[0, :, 4:] == 0).all())
        assert torch.allclose(padded.weights.sum(-1), torch.ones(2, padded.weights.shape[1]), atol=1e-6)


def test_beam_hypotheses_are_sorted_and_scored_by_their_teacher_forced_log_probability():
    torch.manual_seed(1)
    model = Seq2Seq(ModelConfig(hidden_size=8, embed_size=6), vocabulary("reverse").size).eval()
    src = torch.tensor(vocabulary("reverse").encode("31415"))
    hypotheses = beam_search(model, src, 8, 4)
    assert [h.log_prob for h in hypotheses] == sorted((h.log_prob for h in hypotheses), reverse=True)
    best = hypotheses[0]
    tgt_in = torch.tensor([[1, *best.tokens[:-1]]])
    with torch.no_grad():
        logits = model(src.unsqueeze(0), torch.tensor([5]), tgt_in).logits[0]
    log_p = torch.log_softmax(logits, -1)[torch.arange(len(best.tokens)), list(best.tokens)].sum()
    assert float(log_p) == pytest.approx(best.log_prob, abs=1e-4)


def test_wider_beam_never_finds_a_less_likely_best_hypothesis_here():
    torch.manual_seed(2)
    model = Seq2Seq(ModelConfig(hidden_size=8, embed_size=6), vocabulary("reverse").size).eval()
    src = torch.tensor(vocabulary("reverse").encode("2718"))
    assert beam_search(model, src, 6, 8)[0].log_prob >= beam_search(model, src, 6, 1)[0].log_prob - 1e-6


def test_sweep_lengths_step_by_5_up_to_the_longest():
    assert sweep_lengths(40) == (5, 10, 15, 20, 25, 30, 35, 40) == SweepConfig().lengths
    assert sweep_lengths(12) == (5, 10)


def test_beam_width_outside_1_to_8_is_refused():
    model = Seq2Seq(ModelConfig(hidden_size=4, embed_size=4), 13).eval()
    with pytest.raises(ValueError, match="between 1 and 8; got 9"):
        beam_search(model, torch.tensor([3, 4]), 5, 9)


def test_zero_teacher_forcing_feeds_back_the_models_own_argmax():
    torch.manual_seed(3)
    model = Seq2Seq(ModelConfig(hidden_size=8, embed_size=6), vocabulary("reverse").size).eval()
    batch = make_batch(TaskSpec("reverse", 5, 5), ["12345", "54321"])
    with torch.no_grad():
        free = model(batch.src, batch.src_lengths, batch.tgt_in, teacher_forcing=0.0)
    greedy = greedy_decode(model, batch.src, batch.src_lengths, batch.tgt_in.shape[1])
    for b in range(2):
        row = greedy.tokens[b].tolist()
        stop = row.index(EOS) + 1 if EOS in row else len(row)
        assert free.tokens[b, :stop].tolist() == row[:stop]


def test_input_feeding_is_refused_for_decoders_without_it():
    with pytest.raises(ValueError, match="input feeding applies to Luong-style"):
        ModelConfig(attention="bahdanau", input_feeding=True)


# ---- training, checkpoints, experiments -----------------------------------------------------------

TINY = Seq2SeqConfig(task=TaskSpec("reverse", 3, 4), model=ModelConfig(hidden_size=16, embed_size=8), steps=40,
                     eval_every=10, eval_size=32)


@pytest.fixture(scope="module")
def tiny_trained():
    return train_seq2seq(TINY)


def untrained(config: Seq2SeqConfig) -> TrainedModel:
    history = {"step": [], "loss": [], "accuracy": [], "seconds": []}
    return TrainedModel(config, build_seq2seq(config).eval(), history, 0.0)


def test_training_lowers_the_loss_and_records_history(tiny_trained):
    trained = tiny_trained
    assert trained.history["step"] == [10, 20, 30, 40]
    assert trained.history["loss"][-1] < trained.history["loss"][0]
    assert trained.history["seconds"] == sorted(trained.history["seconds"])
    reached = trained.time_to_accuracy(0.0)
    assert reached == (10, trained.history["seconds"][0])
    assert not trained.stopped


@pytest.mark.usefixtures("two_threads")
def test_training_restores_the_callers_thread_count():
    before = torch.get_num_threads()
    seen = []
    train_seq2seq(TINY, callback=lambda p: seen.append(torch.get_num_threads()) or False)
    assert seen == [1] and torch.get_num_threads() == before


def test_callback_returning_false_stops_training():
    seen = []
    trained = train_seq2seq(TINY, callback=lambda p: seen.append(p.step) or p.step < 20)
    assert seen == list(range(1, 21)) and trained.stopped and trained.history["step"] == [10, 20]


def test_checkpoint_round_trip_reproduces_the_model(tmp_path, tiny_trained):
    trained = tiny_trained
    save_checkpoint(trained, tmp_path / "m.pt")
    loaded = load_checkpoint(tmp_path / "m.pt")
    assert loaded.config == TINY and loaded.history == trained.history
    batch = make_batch(TINY.task, ["123", "4321"])
    with torch.no_grad():
        assert torch.equal(loaded.model(batch.src, batch.src_lengths, batch.tgt_in).logits,
                           trained.model(batch.src, batch.src_lengths, batch.tgt_in).logits)


class _Exploit:
    def __reduce__(self):
        return (Path.touch, (Path(MARKER),))


MARKER = ""


def test_a_malicious_pickle_is_refused_without_running_anything(tmp_path):
    global MARKER
    MARKER = str(tmp_path / "pwned")
    buffer = io.BytesIO()
    torch.save({"format": "seqviz-seq2seq/1", "config": _Exploit()}, buffer)
    buffer.seek(0)
    with pytest.raises(ValueError, match="refused: the checkpoint would import .*could run code"):
        load_checkpoint(buffer)
    assert not Path(MARKER).exists()


def test_the_exploit_used_above_really_runs_under_a_plain_unpickler(tmp_path):
    global MARKER
    MARKER = str(tmp_path / "pwned")
    buffer = io.BytesIO()
    torch.save(_Exploit(), buffer)
    buffer.seek(0)
    torch.load(buffer, weights_only=False)
    assert Path(MARKER).exists()


def test_garbage_is_not_a_checkpoint():
    with pytest.raises(ValueError, match="not a PyTorch checkpoint"):
        load_checkpoint(io.BytesIO(b"not a checkpoint at all"))


def test_shipped_checkpoints_are_small_and_load_with_weights_only():
    paths = sorted(ASSETS.glob("*.pt"))
    assert {p.name for p in paths} >= {f"reverse-gru-{a}.pt" for a in ATTENTIONS}
    for path in paths:
        assert path.stat().st_size < 1_000_000
        load_checkpoint(path)


def test_shipped_default_attention_model_reverses_length_up_to_10_with_95_percent_exact_accuracy():
    trained = load_checkpoint(ASSETS / "reverse-gru-bahdanau.pt")
    assert trained.config == Seq2SeqConfig()
    spec = TaskSpec("reverse", 3, 10)
    batch = make_batch(spec, sources(spec, n=500, seed=12345))
    assert evaluate(trained.model, spec, batch)["exact"] >= 0.95


def test_shipped_models_are_keyed_by_their_config_and_named_after_it():
    models = shipped_models()
    assert Seq2SeqConfig() in models and len(models) == len(list(ASSETS.glob("*.pt")))
    for config, trained in models.items():
        assert trained.config == config and (ASSETS / checkpoint_name(config)).exists()


def test_the_shipped_sweep_is_the_default_sweep_config():
    assert shipped_sweep().config == SweepConfig()


def test_first_decoder_step_is_the_same_teacher_forced_or_free_running(tiny_trained):
    result = exposure_bias(tiny_trained, 6, n=32)
    assert result.teacher_forced_position[0] == result.free_running_position[0]
    assert len(result.first_divergence) == 32 and all(-1 <= d <= 6 for d in result.first_divergence)
    source, target, _, free = result.example
    first = result.first_divergence[0]
    assert (free == target) == (first == -1)
    if 0 <= first < len(target):
        assert free[:first] == target[:first] and free[first:first + 1] != target[first]


def test_alignment_rows_are_distributions_over_the_typed_source():
    trained = untrained(with_attention(TINY, "luong-general"))
    alignment = align(trained, "90210", beam_width=3)
    assert alignment.weights.shape == (len(alignment.output_tokens), 5)
    assert alignment.contexts.shape == (len(alignment.output_tokens), 16)
    assert torch.allclose(torch.tensor(alignment.weights.sum(1)), torch.ones(len(alignment.output_tokens)))
    assert alignment.target == "01209"


def test_bottleneck_sweep_trains_both_models_on_the_same_budget():
    result = bottleneck_sweep(SweepConfig(lengths=(3, 5), steps=2, eval_size=8, hidden_size=8))
    assert set(result.exact) == {"none", "bahdanau"}
    assert all(len(v) == 2 for v in result.exact.values())
    assert [len(p) for p in result.position["none"]] == [3, 5]


def test_same_seed_same_initial_weights():
    a, b = build_seq2seq(TINY), build_seq2seq(TINY)
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


def test_a_stopped_runs_snapshot_is_a_packed_copy_that_remembers_its_device(monkeypatch):
    from torch import nn

    from seqviz.seq2seq.training import Progress, snapshot

    config = Seq2SeqConfig(model=ModelConfig(cell="lstm", hidden_size=8, embed_size=8, attention_size=8))
    model = build_seq2seq(config)
    packed = []
    monkeypatch.setattr(nn.LSTM, "flatten_parameters", lambda self: packed.append(self))
    copied = snapshot(config, Progress(5, 10, {"step": [5]}, model, 1.0))
    assert copied.model is not model and copied.model.encoder is not model.encoder
    assert packed == [copied.model.encoder]  # re-packed for cuDNN, as a deep copy needs on CUDA
    assert copied.stopped and copied.trained_on == "cpu" and not copied.model.training


def test_a_model_moved_to_another_device_is_a_copy():
    trained = untrained(Seq2SeqConfig(model=ModelConfig(hidden_size=8, embed_size=8, attention_size=8)))
    moved = trained.moved_to("meta")
    assert moved.device == "meta" and trained.device == "cpu"
    assert moved.config == trained.config and moved.history is trained.history


def test_training_reports_after_every_update_so_a_stop_takes_effect_between_any_two():
    seen = []
    trained = train_seq2seq(TINY, callback=lambda p: seen.append((p.step, p.evaluated)) or p.step < 13)
    assert seen == [(s, s % 10 == 0) for s in range(1, 14)]
    assert trained.stopped and trained.history["step"] == [10]


def test_a_stopped_sweep_stops_before_its_next_model():
    names = []
    result = bottleneck_sweep(SweepConfig(lengths=(3, 5), steps=4, eval_size=8, hidden_size=8),
                              callback=lambda name, fraction: names.append(name) or fraction < 0.5)
    assert names == ["none", "none"] and result.exact == {}
