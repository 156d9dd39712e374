"""Run by tests/test_distributed.py under torchrun (and in-process): a tiny event LSTM trained
with the shared trainer; prints the validation curve as JSON on rank 0."""

import json
import sys

import numpy as np
import torch

from improvise.nn.melody_rnn import MelodyRNN, MelodyRNNConfig
from improvise.train.loop import SequenceTrainConfig, close_distributed, fit_sequences, init_distributed


def data(n: int, seed: int):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        length = int(rng.integers(20, 60))  # short pieces: windows get padded, so ranks hold unequal targets
        ev = (np.arange(length) * int(rng.integers(1, 3)) + int(rng.integers(5))) % 5 + int(
            rng.integers(2)
        ) % 2
        x = torch.from_numpy(np.eye(6, dtype=np.float32)[ev[:-1]])
        out.append((x, torch.from_numpy(ev[1:].astype(np.int64))))
    return out


def run() -> list[float]:
    torch.manual_seed(0)
    model = MelodyRNN(MelodyRNNConfig(input_size=6, n_events=6, hidden=16, layers=1, dropout=0.0))
    cfg = SequenceTrainConfig(epochs=4, windows=32, window=40, batch=8, lr=1e-2, seed=0)
    return fit_sequences(model, data(12, 0), data(4, 1), cfg)["history"]["valid_nll"]


if __name__ == "__main__":
    rank, world = init_distributed()
    curve = run()
    if rank == 0:
        print(json.dumps({"world": world, "valid": curve}), flush=True)
    close_distributed()
    sys.exit(0)
