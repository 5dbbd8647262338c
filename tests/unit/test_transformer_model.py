"""seqviz.transformer: the causal mask, permutation equivariance without positions, the KV cache, the
attention weights shown, Mamba's recurrent mode, and seeding without the global RNG."""
import pytest
import torch
from torch import nn

from seqviz.ssm.mamba import MambaBlock
from seqviz.transformer.cache import KVCache, MambaState, cached_step, generate_cached, generate_recomputed, mamba_step
from seqviz.transformer.model import POSITIONAL, Transformer, TransformerConfig


def model_of(dtype=torch.float64, **changes) -> Transformer:
    config = TransformerConfig(**{"vocab_size": 10, "d_model": 16, "n_heads": 4, "n_layers": 2, **changes})
    return Transformer(config).to(dtype).eval()


def tokens_of(b=2, l=12, seed=1) -> torch.Tensor:
    return torch.randint(0, 10, (b, l), generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("positional", POSITIONAL)
def test_output_at_t_has_zero_gradient_from_inputs_after_t(positional):
    model = model_of(positional=positional)
    x = model.embed(tokens_of(b=1)).detach().requires_grad_()
    logits, _ = model.run(x)
    for t in range(x.shape[1] - 1):
        (grad,) = torch.autograd.grad(logits[0, t].sum(), x, retain_graph=True)
        assert grad[0, t + 1:].abs().max() == 0
        assert grad[0, : t + 1].abs().amax(dim=-1).min() > 0  # and it does read every input up to t


def test_without_positions_or_mask_permuting_the_input_permutes_the_output():
    model = model_of(positional="none", causal=False)
    tokens = tokens_of()
    permutation = torch.randperm(tokens.shape[1], generator=torch.Generator().manual_seed(3))
    assert (model(tokens[:, permutation]) - model(tokens)[:, permutation]).abs().max() < 1e-6


@pytest.mark.parametrize("changes", [{"positional": "sinusoidal", "causal": False},
                                     {"positional": "none", "causal": True}])
def test_positions_or_the_causal_mask_break_permutation_equivariance(changes):
    model = model_of(**changes)
    tokens = tokens_of()
    permutation = torch.randperm(tokens.shape[1], generator=torch.Generator().manual_seed(3))
    assert (model(tokens[:, permutation]) - model(tokens)[:, permutation]).abs().max() > 1e-3


@pytest.mark.parametrize("positional", POSITIONAL)
def test_kv_cache_generation_equals_recomputing_the_whole_sequence(positional):
    model = model_of(positional=positional)
    prompt = tokens_of(l=5)
    cached, cached_logits = generate_cached(model, prompt, steps=9)
    recomputed, recomputed_logits = generate_recomputed(model, prompt, steps=9)
    assert torch.equal(cached, recomputed)
    assert torch.allclose(cached_logits, recomputed_logits, atol=1e-10)


def test_kv_cache_one_token_at_a_time_equals_the_prompt_in_one_pass():
    model = model_of()
    tokens = tokens_of(l=7)
    cache = KVCache.empty(model, 2, 7, torch.float64)
    stepped = torch.cat([cached_step(model, tokens[:, t:t + 1], cache) for t in range(7)], dim=1)
    assert torch.allclose(stepped, model(tokens), atol=1e-10)
    assert cache.nbytes == 2 * 2 * 2 * 4 * 7 * 4 * 8  # K and V × layers × b × h × t × d_h × 8 bytes


def test_a_chunk_after_a_cached_context_sees_the_context_and_its_own_past_only():
    model = model_of(positional="learned")
    tokens = tokens_of(l=9)
    cache = KVCache.empty(model, 2, 9, torch.float64)
    first = cached_step(model, tokens[:, :5], cache)
    second = cached_step(model, tokens[:, 5:], cache)
    assert torch.allclose(torch.cat([first, second], dim=1), model(tokens), atol=1e-10)


def test_attention_weights_shown_are_the_modules_own_per_head():
    model = model_of(n_layers=1)
    tokens = tokens_of()
    block = model.blocks[0]
    mask = torch.triu(torch.ones(12, 12, dtype=torch.bool), diagonal=1)
    with torch.no_grad():
        y = block.norm1(model.embed(tokens))
        _, own = block.attention(y, y, y, attn_mask=mask, need_weights=True, average_attn_weights=False)
    shown = model.attention_weights(tokens)
    assert shown.shape == (1, 2, 4, 12, 12)
    assert torch.equal(shown[0], own)


def test_attention_weights_are_causal_rows_that_sum_to_one():
    weights = model_of().attention_weights(tokens_of())
    assert torch.allclose(weights.sum(-1), torch.ones((), dtype=torch.float64), atol=1e-12)
    assert weights.triu(diagonal=1).abs().max() == 0


def test_attention_init_matches_pytorch_under_manual_seed():
    from seqviz.core import seeding
    from seqviz.transformer.model import seeded_attention
    ours = seeded_attention(16, 4, seeding.generator(7))
    state = torch.random.get_rng_state()
    torch.manual_seed(7)
    theirs = nn.MultiheadAttention(16, 4, batch_first=True)
    torch.random.set_rng_state(state)
    for (name, a), (_, b) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        assert torch.equal(a, b), name


def test_building_a_model_leaves_the_global_rng_alone():
    state = torch.random.get_rng_state()
    model_of(positional="learned")
    assert torch.equal(state, torch.random.get_rng_state())


def test_same_seed_same_weights():
    a, b = model_of(seed=3), model_of(seed=3)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


def test_learned_positions_beyond_max_len_are_refused_with_a_message():
    with pytest.raises(ValueError, match="learned positional encoding covers 8"):
        model_of(positional="learned", max_len=8)(tokens_of(l=9))


def test_bad_configuration_names_the_value():
    with pytest.raises(ValueError, match="positional encoding must be one of"):
        TransformerConfig(positional="rotary")
    with pytest.raises(ValueError, match="multiple of n_heads"):
        TransformerConfig(d_model=10, n_heads=4)


def test_mamba_recurrent_mode_equals_the_parallel_forward():
    block = MambaBlock(8, d_state=4, generator=torch.Generator().manual_seed(0)).double()
    x = torch.randn(2, 11, 8, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    state = MambaState.empty(block, 2, torch.float64)
    stepped = torch.stack([mamba_step(block, x[:, t], state) for t in range(11)], dim=1)
    with torch.no_grad():
        assert torch.allclose(stepped, block(x), atol=1e-10)
    assert state.nbytes == (2 * 16 * 3 + 2 * 16 * 4) * 8
