"""A small decoder-only Transformer from stock PyTorch modules, with its attention weights.

Glossary
    b   batch size        l   sequence length (tokens)       V   vocabulary size
    d   model width       h   heads                          d_h = d / h, one head's width
    P   positional encoding (b, l, d) added to the token embedding: "sinusoidal", "learned" or "none"

Each block is pre-norm (as GPT-2): x ← x + MHA(LN(x)); x ← x + MLP(LN(x)), with a stock
`nn.MultiheadAttention` (batch first) under a causal mask (position t attends to s ≤ t), or no mask
when `causal` is False. The attention weights a view shows are the module's own
(`need_weights=True, average_attn_weights=False`), never recomputed. Without a positional encoding
and without the mask, the model cannot tell positions apart: permuting the input permutes the
output. The causal mask alone already leaks order (position t sees t + 1 tokens).

Weights come from `seqviz.core.seeding` generators; `nn.MultiheadAttention` is initialised here as
PyTorch does (out_proj as a Linear, then Xavier-uniform in_proj, zero biases).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from seqviz.core import seeding
from seqviz.core.checks import check_choice, check_positive

POSITIONAL = ("sinusoidal", "learned", "none")


@dataclass(frozen=True)
class TransformerConfig:
    """Architecture and seed of a Transformer; `max_len` bounds the learned encoding only."""

    vocab_size: int = 10
    d_model: int = 32
    n_heads: int = 2
    n_layers: int = 2
    mlp_ratio: int = 2
    positional: str = "sinusoidal"
    causal: bool = True
    max_len: int = 512
    seed: int = 0

    def __post_init__(self):
        check_choice("positional encoding", self.positional, POSITIONAL)
        for name in ("vocab_size", "d_model", "n_heads", "n_layers", "mlp_ratio", "max_len"):
            check_positive(name, getattr(self, name))
        if not 1 <= self.n_layers <= 4 or not 1 <= self.n_heads <= 8:
            raise ValueError(f"need 1–4 layers and 1–8 heads; got {self.n_layers} layers, {self.n_heads} heads")
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model must be a multiple of n_heads; got d_model={self.d_model}, "
                             f"n_heads={self.n_heads}")


def sinusoidal(l: int, d: int, start: int = 0) -> torch.Tensor:
    """(l, d) the fixed encoding of positions start … start+l−1: sin on even, cos on odd channels."""
    position = torch.arange(start, start + l, dtype=torch.float64)[:, None]
    frequency = torch.exp(torch.arange(0, d, 2, dtype=torch.float64) * (-math.log(10_000.0) / d))
    table = torch.zeros(l, d, dtype=torch.float64)
    table[:, 0::2] = torch.sin(position * frequency)
    table[:, 1::2] = torch.cos(position * frequency)[:, : d // 2]
    return table


def seeded_attention(d: int, h: int, generator: torch.Generator) -> nn.MultiheadAttention:
    """A stock nn.MultiheadAttention(d, h, batch_first=True) initialised as PyTorch does, from `generator`."""
    attention = seeding.blank(nn.MultiheadAttention, d, h, batch_first=True)
    with torch.no_grad():
        seeding.reset_(attention.out_proj, generator)  # drawn first: out_proj is built in __init__
        nn.init.xavier_uniform_(attention.in_proj_weight, generator=generator)
        attention.in_proj_bias.zero_()
        attention.out_proj.bias.zero_()
    return attention


def causal_mask(l: int, device=None) -> torch.Tensor:
    """(l, l) bool, True above the diagonal: where attention is not allowed (MultiheadAttention's convention)."""
    return torch.triu(torch.ones(l, l, dtype=torch.bool, device=device), diagonal=1)


class Block(nn.Module):
    """x ← x + MHA(LN₁(x)); x ← x + W₂ GELU(W₁ LN₂(x)). x: (b, l, d)."""

    def __init__(self, config: TransformerConfig, generator: torch.Generator):
        super().__init__()
        d, g = config.d_model, generator
        self.norm1 = seeding.seeded(nn.LayerNorm, d, generator=g)
        self.attention = seeded_attention(d, config.n_heads, g)
        self.norm2 = seeding.seeded(nn.LayerNorm, d, generator=g)
        self.mlp = nn.Sequential(seeding.seeded(nn.Linear, d, config.mlp_ratio * d, generator=g), nn.GELU(),
                                 seeding.seeded(nn.Linear, config.mlp_ratio * d, d, generator=g))

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None, need_weights: bool = False):
        """(b, l, d) → (b, l, d), and the weights (b, h, l, l) when need_weights (else None)."""
        y = self.norm1(x)
        mixed, weights = self.attention(y, y, y, attn_mask=mask, need_weights=need_weights,
                                        average_attn_weights=False)
        x = x + mixed
        return x + self.mlp(self.norm2(x)), weights


class Transformer(nn.Module):
    """Token embedding + positional encoding → blocks → LayerNorm → logits (b, l, V)."""

    def __init__(self, config: TransformerConfig):
        super().__init__()
        self.config = config
        g = seeding.generator(config.seed)
        self.embedding = seeding.seeded(nn.Embedding, config.vocab_size, config.d_model, generator=g)
        self.position = (seeding.seeded(nn.Embedding, config.max_len, config.d_model, generator=g)
                         if config.positional == "learned" else None)
        self.blocks = nn.ModuleList(Block(config, g) for _ in range(config.n_layers))
        self.norm = seeding.seeded(nn.LayerNorm, config.d_model, generator=g)
        self.head = seeding.seeded(nn.Linear, config.d_model, config.vocab_size, generator=g)

    def positions(self, l: int, start: int = 0, like: torch.Tensor | None = None) -> torch.Tensor | float:
        """(l, d) the encoding of positions start … start+l−1 (0.0 for "none")."""
        if self.config.positional == "none":
            return 0.0
        if start + l > self.config.max_len and self.position is not None:
            raise ValueError(f"the learned positional encoding covers {self.config.max_len} positions; "
                             f"got a sequence reaching position {start + l}")
        if self.position is not None:
            return self.position.weight[start:start + l]
        return sinusoidal(l, self.config.d_model, start).to(device=like.device, dtype=like.dtype)

    def embed(self, tokens: torch.Tensor, start: int = 0) -> torch.Tensor:
        """(b, l) token ids at positions start … → (b, l, d) the first block's input."""
        x = self.embedding(tokens)
        return x + self.positions(tokens.shape[1], start, x)

    def run(self, x: torch.Tensor, need_weights: bool = False):
        """Blocks and read-out on embedded input x (b, l, d): logits (b, l, V) and a list of
        per-layer weights (b, h, l, l) (empty unless need_weights)."""
        mask = causal_mask(x.shape[1], x.device) if self.config.causal else None
        weights = []
        for block in self.blocks:
            x, w = block(x, mask, need_weights)
            if need_weights:
                weights.append(w)
        return self.head(self.norm(x)), weights

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """(b, l) token ids → (b, l, V) logits."""
        return self.run(self.embed(tokens))[0]

    @torch.no_grad()
    def attention_weights(self, tokens: torch.Tensor) -> torch.Tensor:
        """(layers, b, h, l, l) every layer's and head's attention weights, as the modules return them."""
        return torch.stack(self.run(self.embed(tokens), need_weights=True)[1])


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def check_tokens(tokens: torch.Tensor, vocab_size: int) -> None:
    """ValueError unless `tokens` is (b, l) ids in [0, vocab_size)."""
    if tokens.dim() != 2 or tokens.numel() == 0:
        raise ValueError(f"tokens must be a non-empty (b, l) tensor; got shape {tuple(tokens.shape)}")
    if int(tokens.min()) < 0 or int(tokens.max()) >= vocab_size:
        raise ValueError(f"token ids must lie in [0, {vocab_size}); got {int(tokens.min())} … {int(tokens.max())}")


def mha_projections(attention: nn.MultiheadAttention, y: torch.Tensor):
    """q, k, v (b, h, l, d_h) of input y (b, l, d) from the module's own in_proj weights."""
    b, l, d = y.shape
    h = attention.num_heads
    q, k, v = F.linear(y, attention.in_proj_weight, attention.in_proj_bias).chunk(3, dim=-1)
    return [z.reshape(b, l, h, d // h).transpose(1, 2) for z in (q, k, v)]
