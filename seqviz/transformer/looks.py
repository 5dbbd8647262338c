"""Who looks at whom: on one input, the Transformer's attention per layer and head, Mamba's hidden
attention and an LSTM's dependency of each output on each input; and what permuting the input does.

Glossary
    l   tokens of the input        t   output position (row)      s   input position (column)
    A[t, s]   Transformer attention weight (softmax row over s ≤ t), per layer and head
    α[t, s]   Mamba's hidden attention C_t (∏ Ā_k) B̄_s (seqviz.ssm.mamba.hidden_attention), mean |α| over channels
    J[t, s]   ‖∂y_t/∂x_s‖_F of an LSTM: y its output (H), x its input (the token embedding)

Sources: "selective_copying" and "induction_heads" read models trained on that task (the
Transformer of scripts/transformer_results.py, the Mamba and LSTM of the state-space page);
"corpus" reads a piece of the Language lab's corpus with untrained, seeded models of the same kinds
(no Transformer or Mamba is trained on it), so it shows what each architecture can reach, not what
it learned.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
import torch
from torch import nn

from seqviz.core import seeding
from seqviz.core.checks import check_choice
from seqviz.language.corpus import load_split
from seqviz.ssm.compare import SequenceModel
from seqviz.ssm.mamba import MambaBlock
from seqviz.ssm.results import inspected_models, inspection_example
from seqviz.ssm.tasks import TASKS, encode
from seqviz.transformer.model import POSITIONAL, Transformer, TransformerConfig
from seqviz.transformer.results import task_transformer

SOURCES = TASKS + ("corpus",)
MAX_LOOK_LENGTH = 96  # every matrix is l × l, and the LSTM's needs l backward passes
TEXT_VOCAB = 128  # untrained models read text as code points mod 128
CORPUS_EXAMPLE = 64  # characters of an example drawn from the corpus


@lru_cache(maxsize=1)
def _validation_text() -> str:
    return load_split("valid")


def example(source: str, seed: int) -> str:
    """An input of `source` drawn from `seed`: a task sequence, or CORPUS_EXAMPLE characters of the
    Language lab's validation split."""
    if source in TASKS:
        return inspection_example(source, seed)
    if source != "corpus":
        raise ValueError(f"source must be one of {', '.join(SOURCES)}; got {source!r}")
    text = _validation_text()
    start = int(torch.randint(0, len(text) - CORPUS_EXAMPLE, (1,), generator=seeding.generator(seed)))
    return text[start:start + CORPUS_EXAMPLE]


@dataclass(frozen=True)
class LookConfig:
    """One input, the Transformer's positional encoding, the permutation's seed and the seed of the
    untrained models (corpus source only)."""

    source: str = "induction_heads"
    text: str = ""
    positional: str = "sinusoidal"
    permutation_seed: int = 0
    seed: int = 0

    def __post_init__(self):
        check_choice("source", self.source, SOURCES)
        check_choice("positional encoding", self.positional, POSITIONAL)
        if not 2 <= len(self.text) <= MAX_LOOK_LENGTH:
            raise ValueError(f"the input must have 2 to {MAX_LOOK_LENGTH} tokens (every matrix is l × l); "
                             f"got {len(self.text)}")


@dataclass(frozen=True)
class LookResult:
    """chars (l,); attention (layers, heads, l, l); mamba, lstm (l, l); permutation: setting → max deviation."""

    chars: list[str]
    attention: np.ndarray
    mamba: np.ndarray
    lstm: np.ndarray
    permutation: dict[str, float]
    trained: bool


def recurrent_dependency(rnn: nn.LSTM, x: torch.Tensor) -> np.ndarray:
    """(l, l) J[t, s] = ‖∂y_t/∂x_s‖_F of a batch-first LSTM on one input x (l, E); zero above the diagonal.

    Exact, by reverse mode: the input is copied once per hidden unit (a batch of H), and one backward
    pass per t takes unit h's output from copy h, so row t is every ∂y_t,h/∂x_s at once."""
    H, l = rnn.hidden_size, x.shape[0]
    copies = x.detach().expand(H, *x.shape).clone().requires_grad_()  # (H, l, E)
    with torch.enable_grad():
        out = rnn(copies)[0]  # (H, l, H)
        pick = torch.eye(H, dtype=out.dtype)
        rows = [torch.autograd.grad((out[:, t] * pick).sum(), copies, retain_graph=t < l - 1)[0]
                .square().sum(dim=(0, 2)).sqrt() for t in range(l)]
    return torch.stack(rows).numpy()


def mamba_attention(block: MambaBlock, x: torch.Tensor) -> np.ndarray:
    """(l, l) mean over channels of |α[t, s]| for a Mamba block's input x (l, d_model)."""
    return block.inspect(x[None]).hidden_attention[0].abs().mean(0).numpy()


def permuted(config: TransformerConfig, model: Transformer, positional: str, causal: bool) -> Transformer:
    """A new Transformer with `model`'s weights, another encoding and mask (the shared model is not touched)."""
    other = Transformer(replace(config, positional=positional, causal=causal))
    wanted = other.state_dict().keys()  # a learned position table only where the new model has one
    other.load_state_dict({k: v for k, v in model.state_dict().items() if k in wanted})
    return other.eval()


def permutation_deviation(model: Transformer, tokens: torch.Tensor, order: torch.Tensor) -> float:
    """max |f(P x) − P f(x)| over the logits, in float64: 0 when the model is permutation equivariant."""
    model = model.double()
    with torch.no_grad():
        return float((model(tokens[:, order]) - model(tokens)[:, order]).abs().max())


def permutation_check(model: Transformer, tokens: torch.Tensor, seed: int) -> dict[str, float]:
    """Max deviation for one seeded permutation: the model as it is, without positions, and without
    positions or causal mask."""
    order = torch.randperm(tokens.shape[1], generator=seeding.generator(seed))
    settings = {"no positions, causal mask": ("none", True), "no positions, no mask": ("none", False)}
    if model.config.positional != "none":
        settings = {f"{model.config.positional} positions, causal mask": (model.config.positional, True), **settings}
    return {name: permutation_deviation(permuted(model.config, model, pe, causal), tokens, order)
            for name, (pe, causal) in settings.items()}


def _text_models(seed: int, positional: str):
    """Untrained Transformer, Mamba and LSTM over code points mod TEXT_VOCAB, all from `seed`."""
    g = seeding.generator(seed)
    transformer = Transformer(TransformerConfig(vocab_size=TEXT_VOCAB, d_model=32, n_heads=2, n_layers=2,
                                                positional=positional, max_len=MAX_LOOK_LENGTH, seed=seed)).eval()
    embed = seeding.seeded(nn.Embedding, TEXT_VOCAB, 32, generator=g)
    norm = seeding.seeded(nn.LayerNorm, 32, generator=g)
    mamba = MambaBlock(32, d_state=8, generator=g)
    lstm = seeding.seeded(nn.LSTM, 32, 32, batch_first=True, generator=g)
    return transformer, (lambda tokens: norm(embed(tokens)), mamba), (embed, lstm)


def _task_models(task: str, positional: str):
    """The trained Transformer (with `positional` encoding), Mamba and LSTM of `task`."""
    models: dict[str, SequenceModel] = inspected_models(task)
    mamba, lstm = models["mamba"], models["lstm"]
    return (task_transformer(task, positional), (lambda tokens: mamba.norm(mamba.embedding(tokens)), mamba.layer),
            (lstm.embedding, lstm.layer))


def who_looks_at_whom(config: LookConfig) -> LookResult:
    """Every matrix of the view on config.text (see the module docstring)."""
    if config.source == "corpus":
        tokens = torch.tensor([ord(c) % TEXT_VOCAB for c in config.text])
        transformer, (mamba_in, mamba), (lstm_embed, lstm) = _text_models(config.seed, config.positional)
    else:
        tokens = encode(config.text)
        transformer, (mamba_in, mamba), (lstm_embed, lstm) = _task_models(config.source, config.positional)
    with torch.no_grad():
        attention = transformer.attention_weights(tokens[None])[:, 0].numpy()  # (layers, heads, l, l)
        mamba_x, lstm_x = mamba_in(tokens[None])[0], lstm_embed(tokens)
    return LookResult(list(config.text), attention, mamba_attention(mamba, mamba_x),
                      recurrent_dependency(lstm, lstm_x), permutation_check(transformer, tokens[None],
                                                                            config.permutation_seed),
                      config.source != "corpus")
