"""Generating one token at a time: the Transformer's KV cache beside the fixed states of an LSTM and of
Mamba in recurrent mode.

Glossary
    b   batch size     t   tokens seen so far (the context)     d   model width     h   heads
    d_h = d / h        n   Mamba state size per channel          d_inner  Mamba's channels

What each model keeps between tokens
    Transformer   keys and values of every past token, every layer: 2 · layers · b · h · t · d_h numbers,
                  growing with t; a new token attends over all of them (O(t) work).
    LSTM          (h, c): 2 · layers · b · H numbers, whatever t.
    Mamba         the SSM state (b, d_inner, n) and the causal convolution's last d_conv − 1 inputs:
                  fixed, whatever t.

The KV cache is preallocated to a capacity and written in place, as serving code does; a step reads
the first t + 1 entries. The cached step computes q, k, v with the module's own in_proj weights and
F.scaled_dot_product_attention; a test holds it to the module run on the whole sequence.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from seqviz.ssm.mamba import MambaBlock
from seqviz.transformer.model import Transformer, mha_projections


@dataclass
class KVCache:
    """keys, values: (layers, b, h, capacity, d_h); `length` positions are filled."""

    keys: torch.Tensor
    values: torch.Tensor
    length: int = 0

    @classmethod
    def empty(cls, model: Transformer, b: int, capacity: int, dtype=torch.float32, device="cpu") -> "KVCache":
        c = model.config
        shape = (c.n_layers, b, c.n_heads, capacity, c.d_model // c.n_heads)
        return cls(torch.zeros(shape, dtype=dtype, device=device), torch.zeros(shape, dtype=dtype, device=device))

    @property
    def nbytes(self) -> int:
        """Bytes of the filled part: what the context costs to keep (counted from the tensors)."""
        return 2 * self.keys[:, :, :, : self.length].numel() * self.keys.element_size()


def _cached_attention(block, x: torch.Tensor, cache: KVCache, layer: int) -> torch.Tensor:
    """One block on the new tokens x (b, m, d) at positions cache.length …, writing their k, v."""
    attention = block.attention
    q, k, v = mha_projections(attention, block.norm1(x))  # (b, h, m, d_h)
    start, m = cache.length, x.shape[1]
    cache.keys[layer, :, :, start:start + m] = k
    cache.values[layer, :, :, start:start + m] = v
    keys, values = cache.keys[layer, :, :, : start + m], cache.values[layer, :, :, : start + m]
    mask = None
    if m > 1:  # new token i (position start + i) sees cached positions ≤ start + i
        mask = torch.ones(m, start + m, dtype=torch.bool, device=x.device).tril(diagonal=start)
    mixed = F.scaled_dot_product_attention(q, keys, values, attn_mask=mask)  # (b, h, m, d_h)
    x = x + attention.out_proj(mixed.transpose(1, 2).reshape(x.shape))
    return x + block.mlp(block.norm2(x))


@torch.no_grad()
def cached_step(model: Transformer, tokens: torch.Tensor, cache: KVCache) -> torch.Tensor:
    """Logits (b, m, V) of new tokens (b, m) after the cached context; the cache grows by m."""
    if not model.config.causal:
        raise ValueError("a KV cache needs the causal mask: without it, old tokens would attend to new ones")
    if cache.length + tokens.shape[1] > cache.keys.shape[3]:
        raise ValueError(f"the cache holds {cache.keys.shape[3]} positions; it is full")
    x = model.embed(tokens, start=cache.length)
    for layer, block in enumerate(model.blocks):
        x = _cached_attention(block, x, cache, layer)
    cache.length += tokens.shape[1]
    return model.head(model.norm(x))


@torch.no_grad()
def generate_cached(model: Transformer, prompt: torch.Tensor, steps: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Greedy generation with the KV cache: the prompt in one pass, then one token per step.

    Returns (b, l + steps) tokens and (b, steps, V) the logits each new token was chosen from."""
    weight = next(model.parameters())
    cache = KVCache.empty(model, prompt.shape[0], prompt.shape[1] + steps, weight.dtype, weight.device)
    logits = cached_step(model, prompt, cache)[:, -1]
    tokens, chosen_from = [prompt], []
    for _ in range(steps):
        chosen_from.append(logits)
        tokens.append(logits.argmax(-1, keepdim=True))
        logits = cached_step(model, tokens[-1], cache)[:, -1]
    return torch.cat(tokens, dim=1), torch.stack(chosen_from, dim=1)


@torch.no_grad()
def generate_recomputed(model: Transformer, prompt: torch.Tensor, steps: int) -> tuple[torch.Tensor, torch.Tensor]:
    """`generate_cached` without a cache: the whole sequence through the modules at every step."""
    tokens, chosen_from = prompt, []
    for _ in range(steps):
        logits = model(tokens)[:, -1]
        chosen_from.append(logits)
        tokens = torch.cat([tokens, logits.argmax(-1, keepdim=True)], dim=1)
    return tokens, torch.stack(chosen_from, dim=1)


@dataclass
class MambaState:
    """Mamba's recurrent state: conv (b, d_inner, d_conv − 1) last inputs, ssm (b, d_inner, n)."""

    conv: torch.Tensor
    ssm: torch.Tensor

    @classmethod
    def empty(cls, block: MambaBlock, b: int, dtype=torch.float32, device="cpu") -> "MambaState":
        k = block.conv1d.kernel_size[0]
        return cls(torch.zeros(b, block.d_inner, k - 1, dtype=dtype, device=device),
                   torch.zeros(b, block.d_inner, block.d_state, dtype=dtype, device=device))

    @property
    def nbytes(self) -> int:
        return sum(t.numel() * t.element_size() for t in (self.conv, self.ssm))


@torch.no_grad()
def mamba_step(block: MambaBlock, x: torch.Tensor, state: MambaState) -> torch.Tensor:
    """One token x (b, d_model) through a Mamba block in recurrent mode → (b, d_model); updates `state`.

    The same parameters as the block's parallel forward: the causal convolution over the kept inputs,
    Δ, B, C from the token, h ← exp(Δ A) h + Δ B u, y = C·h + D u, gated by SiLU(res)."""
    u, res = block.in_proj(x).chunk(2, dim=-1)  # (b, d_inner) each
    window = torch.cat([state.conv, u[..., None]], dim=-1)  # (b, d_inner, d_conv)
    state.conv = window[..., 1:]
    u = F.silu((window * block.conv1d.weight[:, 0]).sum(-1) + block.conv1d.bias)
    dt, B, C = block.x_proj(u).split([block.dt_rank, block.d_state, block.d_state], dim=-1)
    delta = F.softplus(block.dt_proj(dt))  # (b, d_inner)
    A = -torch.exp(block.A_log)  # (d_inner, n)
    state.ssm = torch.exp(delta[..., None] * A) * state.ssm + (delta * u)[..., None] * B[:, None, :]
    y = (state.ssm * C[:, None, :]).sum(-1) + block.D * u
    return block.out_proj(y * F.silu(res))

