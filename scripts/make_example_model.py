"""Train the example model of "Bring your own model" and write it to assets/examples/.

A stock nn.LSTM(1, 8) learns to predict the next value of a noisy sine wave (period 25 steps, the
default input of Inside the cell), with a linear read-out that is trained alongside it and then
dropped: only the LSTM's own state dict is saved, as a visitor would save theirs, once as
safetensors and once with torch.save. Seeded and single-threaded, so it writes the same weights
each run (some seconds on one core). Run from the repository root:

    python -m scripts.make_example_model
"""
from __future__ import annotations

import math

import torch
from torch import nn

from seqviz.core.paths import assets
from seqviz.core.safetensors_io import write_safetensors
from seqviz.core.seeding import generator, seeded

HIDDEN_SIZE, PERIOD, STEPS, BATCH, UPDATES = 8, 25.0, 100, 16, 300
EXAMPLE_NAME = "sine-lstm"  # assets/examples/sine-lstm.safetensors and .pt (seqviz.ui.own_model offers it)


def sine_batch(draw: torch.Generator) -> torch.Tensor:
    """(T + 1, B, 1) sine waves of random phase plus N(0, 0.1²) noise."""
    phase = torch.rand(1, BATCH, 1, generator=draw) * 2 * math.pi
    t = torch.arange(STEPS + 1, dtype=torch.float32)[:, None, None]
    return torch.sin(2 * math.pi * t / PERIOD + phase) + 0.1 * torch.randn(STEPS + 1, BATCH, 1, generator=draw)


def train() -> tuple[nn.LSTM, float]:
    """The LSTM after UPDATES Adam steps on next-value prediction, and its last mean squared error."""
    lstm = seeded(nn.LSTM, 1, HIDDEN_SIZE, generator=generator(0))
    readout = seeded(nn.Linear, HIDDEN_SIZE, 1, generator=generator(1))
    optimizer = torch.optim.Adam([*lstm.parameters(), *readout.parameters()], lr=0.02)
    draw = generator(2)
    for _ in range(UPDATES):
        x = sine_batch(draw)
        output, _ = lstm(x[:-1])  # (T, B, H)
        loss = nn.functional.mse_loss(readout(output), x[1:])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return lstm, loss.item()


def main() -> None:
    torch.set_num_threads(1)
    lstm, loss = train()
    folder = assets("examples")
    folder.mkdir(parents=True, exist_ok=True)
    state = {name: tensor.detach().contiguous() for name, tensor in lstm.state_dict().items()}
    metadata = {"what": f"nn.LSTM(1, {HIDDEN_SIZE}) trained to predict the next value of a noisy sine wave "
                        f"(period {PERIOD:g}); made by scripts/make_example_model.py"}
    (folder / f"{EXAMPLE_NAME}.safetensors").write_bytes(write_safetensors(state, metadata))
    torch.save(state, folder / f"{EXAMPLE_NAME}.pt")
    print(f"wrote {folder}/{EXAMPLE_NAME}.safetensors and .pt; last training MSE {loss:.4f} "
          f"(predicting the noise-free wave would leave about 0.01)")


if __name__ == "__main__":
    main()
