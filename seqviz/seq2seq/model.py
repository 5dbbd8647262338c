"""An RNN encoder–decoder with optional attention, teacher forcing, greedy and beam decoding.

Glossary
    B   batch size    S   source positions    T   decoder steps    V   vocabulary size
    E   embedding size    H   encoder hidden size per direction    D   directions (1 or 2)
    h_j encoder output at position j (B, S, D·H), the keys and values of attention
    s_t decoder state after step t (B, D·H); s_0 = the encoder's final state(s), concatenated
    y_t token emitted at step t; y_0 = <s>      c_t context      h̃_t Luong's attentional state

Decoders (`ModelConfig.attention`)
    none       s_t = cell(emb(y_{t−1}), s_{t−1});  p(y_t) = softmax(W_o s_t).
               Everything about the source reaches the decoder through s_0: the bottleneck.
    bahdanau   α_t = attention(s_{t−1}, h);  c_t = Σ α_tj h_j;  s_t = cell([emb(y_{t−1}); c_t], s_{t−1});
               p(y_t) = softmax(W_o [s_t; c_t]).
    luong-*, scaled-dot
               s_t = cell(x_t, s_{t−1}) with x_t = emb(y_{t−1}), or [emb(y_{t−1}); h̃_{t−1}] with
               input feeding;  α_t = attention(s_t, h);  h̃_t = tanh(W_c [c_t; s_t]);  p(y_t) = softmax(W_o h̃_t).
For an LSTM decoder s_t is the hidden state h of the (h, c) pair; the cell state only carries over.
The encoder's padding is packed away, so s_0 is the state after each sequence's last real token.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from seqviz.core import seeding
from seqviz.core.seeding import seeded
from seqviz.seq2seq.attention import ATTENTIONS, Attention
from seqviz.seq2seq.tasks import EOS, PAD, SOS

SEQ2SEQ_CELLS = ("gru", "lstm")
MAX_BEAM_WIDTH = 8


@dataclass(frozen=True)
class ModelConfig:
    """Architecture of a Seq2Seq model (plain values: it is saved as a dict in checkpoints)."""

    cell: str = "gru"
    attention: str = "bahdanau"
    bidirectional: bool = False
    input_feeding: bool = False
    embed_size: int = 32
    hidden_size: int = 64
    attention_size: int = 64

    def __post_init__(self):
        if self.cell not in SEQ2SEQ_CELLS:
            raise ValueError(f"cell must be one of {', '.join(SEQ2SEQ_CELLS)}; got {self.cell!r}")
        if self.attention not in ATTENTIONS:
            raise ValueError(f"attention must be one of {', '.join(ATTENTIONS)}; got {self.attention!r}")
        if self.input_feeding and not self.is_luong:
            raise ValueError(f"input feeding applies to Luong-style decoders (luong-*, scaled-dot); "
                             f"got attention {self.attention!r}")
        for name in ("embed_size", "hidden_size", "attention_size"):
            value = getattr(self, name)
            if not 1 <= value <= 1024:
                raise ValueError(f"{name} must be between 1 and 1024; got {value}")

    @property
    def is_luong(self) -> bool:
        return self.attention not in ("none", "bahdanau")

    @property
    def decoder_size(self) -> int:
        return self.hidden_size * (2 if self.bidirectional else 1)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Encoded:
    """Encoder results: keys h (B, S, D·H), mask (B, S) True at real tokens, decoder state s_0."""

    keys: torch.Tensor
    mask: torch.Tensor
    state: object  # (B, D·H) for GRU, a pair for LSTM
    prepared: torch.Tensor | None  # attention's projection of the keys, or None without attention


@dataclass
class Decoded:
    """Decoder outputs: logits (B, T, V), emitted ids (B, T), weights α (B, T, S) (None without attention)."""

    logits: torch.Tensor
    tokens: torch.Tensor
    weights: torch.Tensor | None


class Seq2Seq(nn.Module):
    """Encoder nn.GRU/nn.LSTM, decoder GRUCell/LSTMCell, optional attention (see module docstring)."""

    def __init__(self, config: ModelConfig, vocab_size: int, generator: torch.Generator | None = None):
        """Weights drawn from `generator` (seed 0 when None) as PyTorch's defaults would be."""
        super().__init__()
        g = seeding.generator(0) if generator is None else generator
        self.config, self.vocab_size = config, vocab_size
        E, H, Hd = config.embed_size, config.hidden_size, config.decoder_size
        rnn = nn.GRU if config.cell == "gru" else nn.LSTM
        cell = nn.GRUCell if config.cell == "gru" else nn.LSTMCell
        self.src_embedding = seeded(nn.Embedding, vocab_size, E, padding_idx=PAD, generator=g)
        self.tgt_embedding = seeded(nn.Embedding, vocab_size, E, padding_idx=PAD, generator=g)
        self.encoder = seeded(rnn, E, H, batch_first=True, bidirectional=config.bidirectional, generator=g)
        fed = {"none": 0, "bahdanau": Hd}.get(config.attention, Hd if config.input_feeding else 0)
        self.decoder = seeded(cell, E + fed, Hd, generator=g)
        self.attention = None
        if config.attention != "none":
            self.attention = Attention(config.attention, Hd, Hd, config.attention_size, g)
        if config.is_luong:
            self.W_c = seeded(nn.Linear, 2 * Hd, Hd, generator=g)
        self.W_o = seeded(nn.Linear, 2 * Hd if config.attention == "bahdanau" else Hd, vocab_size, generator=g)

    def encode(self, src: torch.Tensor, src_lengths: torch.Tensor) -> Encoded:
        """Run the encoder over src (B, S) ids with true lengths (B,)."""
        if int(src_lengths.min()) < 1:
            raise ValueError("every source needs at least one token")
        packed = pack_padded_sequence(self.src_embedding(src), src_lengths.cpu(), batch_first=True,
                                      enforce_sorted=False)
        output, final = self.encoder(packed)
        keys, _ = pad_packed_sequence(output, batch_first=True, total_length=src.shape[1])
        mask = torch.arange(src.shape[1], device=src.device) < src_lengths.unsqueeze(1)
        state = (_join_directions(final[0]), _join_directions(final[1])) if self.config.cell == "lstm" \
            else _join_directions(final)
        prepared = self.attention.prepare(keys) if self.attention is not None else None
        return Encoded(keys, mask, state, prepared)

    def initial_feed(self, encoded: Encoded) -> torch.Tensor | None:
        """h̃_0 = 0 for input feeding; None when the decoder takes no fed vector."""
        if self.config.input_feeding:
            return encoded.keys.new_zeros(encoded.keys.shape[0], self.config.decoder_size)
        return None

    def step(self, encoded: Encoded, y_prev: torch.Tensor, state, feed):
        """One decoder step from y_{t−1} (B,) ids: returns logits (B, V), s_t, h̃_t (or None), α_t (or None)."""
        x = self.tgt_embedding(y_prev)
        weights = None
        if self.config.attention == "bahdanau":
            context, weights = self.attention(_query(state), encoded.keys, encoded.mask, encoded.prepared)
            state = self.decoder(torch.cat([x, context], dim=-1), state)
            return self.W_o(torch.cat([_query(state), context], dim=-1)), state, None, weights
        if feed is not None:
            x = torch.cat([x, feed], dim=-1)
        state = self.decoder(x, state)
        if self.attention is None:
            return self.W_o(state if self.config.cell == "gru" else state[0]), state, None, None
        context, weights = self.attention(_query(state), encoded.keys, encoded.mask, encoded.prepared)
        attentional = torch.tanh(self.W_c(torch.cat([context, _query(state)], dim=-1)))
        return self.W_o(attentional), state, attentional if self.config.input_feeding else None, weights

    def forward(self, src, src_lengths, tgt_in, teacher_forcing: float = 1.0,
                generator: torch.Generator | None = None) -> Decoded:
        """Decode len(tgt_in) steps; step t reads tgt_in[:, t] with probability `teacher_forcing`,
        else the model's own previous argmax (scheduled sampling, drawn per sequence and step from
        `generator`, seed 0 when None: never the global RNG)."""
        generator = seeding.generator(0) if generator is None else generator
        encoded = self.encode(src, src_lengths)
        state, feed = encoded.state, self.initial_feed(encoded)
        y_prev = tgt_in[:, 0]
        logits, weights = [], []
        for t in range(tgt_in.shape[1]):
            if t > 0 and teacher_forcing < 1.0:
                use_gold = torch.rand(y_prev.shape, generator=generator, device="cpu").to(y_prev.device) < teacher_forcing
                y_prev = torch.where(use_gold, tgt_in[:, t], logits[-1].argmax(-1))
            elif t > 0:
                y_prev = tgt_in[:, t]
            step_logits, state, feed, alpha = self.step(encoded, y_prev, state, feed)
            logits.append(step_logits)
            weights.append(alpha)
        logits = torch.stack(logits, dim=1)
        return Decoded(logits, logits.argmax(-1), _stack_weights(weights))


def _join_directions(final: torch.Tensor) -> torch.Tensor:
    """(D, B, H) final states of one layer → (B, D·H)."""
    return final.transpose(0, 1).reshape(final.shape[1], -1)


def _query(state):
    return state[0] if isinstance(state, tuple) else state


def _stack_weights(weights):
    return None if weights[0] is None else torch.stack(weights, dim=1)


def _select(state, index):
    return tuple(s[index] for s in state) if isinstance(state, tuple) else state[index]


@torch.no_grad()
def greedy_decode(model: Seq2Seq, src, src_lengths, max_steps: int) -> Decoded:
    """Free-running decoding: each step feeds back its own argmax; stops when all emitted </s>.

    Returns a Decoded with T ≤ max_steps; positions after a sequence's </s> are PAD.
    """
    encoded = model.encode(src, src_lengths)
    state, feed = encoded.state, model.initial_feed(encoded)
    y_prev = torch.full((src.shape[0],), SOS, dtype=torch.long, device=src.device)
    finished = torch.zeros_like(y_prev, dtype=torch.bool)
    logits, tokens, weights = [], [], []
    for _ in range(max_steps):
        step_logits, state, feed, alpha = model.step(encoded, y_prev, state, feed)
        y_prev = step_logits.argmax(-1)
        logits.append(step_logits)
        tokens.append(y_prev.masked_fill(finished, PAD))
        weights.append(alpha)
        finished = finished | (y_prev == EOS)
        if bool(finished.all()):
            break
    return Decoded(torch.stack(logits, 1), torch.stack(tokens, 1), _stack_weights(weights))


@dataclass(frozen=True)
class Hypothesis:
    """One finished beam: ids (without <s>, ending in </s> unless cut at max_steps), log p, α (T, S) or None."""

    tokens: tuple[int, ...]
    log_prob: float
    weights: torch.Tensor | None


@torch.no_grad()
def beam_search(model: Seq2Seq, src: torch.Tensor, max_steps: int, width: int) -> list[Hypothesis]:
    """Beam search for ONE source (S,) ids; returns finished hypotheses, best (highest log p) first.

    At each step the `width` best extensions of the live beams are kept (sum of log-probabilities,
    no length penalty); an extension ending in </s> is finished and leaves the beam. Search stops
    when `width` hypotheses are finished or after `max_steps`. Width 1 is exactly greedy decoding.
    """
    if not 1 <= width <= MAX_BEAM_WIDTH:
        raise ValueError(f"beam width must be between 1 and {MAX_BEAM_WIDTH}; got {width}")
    encoded = model.encode(src.unsqueeze(0), torch.tensor([src.shape[0]], device=src.device))
    state, feed = encoded.state, model.initial_feed(encoded)
    live_tokens = [()]
    live_scores = torch.zeros(1, device=src.device)
    live_weights: list[list[torch.Tensor]] = [[]]
    finished: list[Hypothesis] = []
    for step in range(max_steps):
        n = len(live_tokens)
        enc = Encoded(encoded.keys.expand(n, -1, -1), encoded.mask.expand(n, -1), None,
                      None if encoded.prepared is None else encoded.prepared.expand(n, -1, -1))
        y_prev = torch.tensor([t[-1] if t else SOS for t in live_tokens], device=src.device)
        logits, state, feed, alpha = model.step(enc, y_prev, state, feed)
        totals = (live_scores.unsqueeze(1) + torch.log_softmax(logits, -1)).flatten()
        best = torch.topk(totals, width - len(finished))
        keep, next_tokens, next_scores, next_weights = [], [], [], []
        for score, flat in zip(best.values.tolist(), best.indices.tolist()):
            beam, token = divmod(flat, model.vocab_size)
            tokens = live_tokens[beam] + (token,)
            history = live_weights[beam] + ([alpha[beam]] if alpha is not None else [])
            if token == EOS or step == max_steps - 1:
                finished.append(Hypothesis(tokens, score, torch.stack(history) if history else None))
            else:
                keep.append(beam)
                next_tokens.append(tokens)
                next_scores.append(score)
                next_weights.append(history)
        if not keep or len(finished) >= width:
            break
        index = torch.tensor(keep, device=src.device)
        state = _select(state, index)
        feed = None if feed is None else feed[index]
        live_tokens, live_weights = next_tokens, next_weights
        live_scores = torch.tensor(next_scores, device=src.device)
    return sorted(finished, key=lambda h: -h.log_prob)
