"""A single LSTM layer of memory blocks with a connectivity mask: Eck & Schmidhuber's network.

The cells of a memory block share its input, forget and output gates (Hochreiter &
Schmidhuber 1997, with Gers et al.'s forget gate); each cell has its own cell input. Which
input units and which blocks a block reads, and which blocks an output unit reads, are masks
given in the config, so experiment 2's partition (chord blocks read chords and chord blocks;
melody blocks read everything) is one config. Outputs are sigmoid units trained with binary
cross-entropy.

The weights are assembled each forward into PyTorch's LSTM layout (gate rows shared within a
block, masked entries zero) and run by PyTorch's own LSTM kernel, so training is as fast as
nn.LSTM; `NumpyBlockLSTM` steps the same network in numpy for free-running generation.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F
from scipy.special import expit
from torch import nn
from torch.func import functional_call


@dataclass
class BlockLSTMConfig:
    input_size: int  # input units
    output_size: int  # sigmoid output units
    n_blocks: int  # memory blocks
    cells_per_block: int = 2  # cells sharing a block's gates (Eck 2002: 2)
    block_inputs: list[list[int]] | None = None  # per block, the input units it reads (None: all)
    block_sources: list[list[int]] | None = None  # per block, the blocks it reads recurrently (None: all)
    output_blocks: list[list[int]] | None = None  # per output unit, the blocks it reads (None: all)
    chord_units: int = 12  # the first output units are chord tones (for logging accuracies)
    forget_bias: float = 1.0  # initial forget-gate bias

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def n_cells(self) -> int:
        return self.n_blocks * self.cells_per_block


def _mask(rows: list[list[int]] | None, n_rows: int, n_cols: int) -> torch.Tensor:
    m = torch.ones(n_rows, n_cols)
    if rows is not None:
        if len(rows) != n_rows:
            raise ValueError(f"a mask needs {n_rows} rows, got {len(rows)}")
        m.zero_()
        for r, cols in enumerate(rows):
            m[r, list(cols)] = 1.0
    return m


class BlockLSTM(nn.Module):
    """forward(x, targets=None, state=None) -> (logits, loss, state); x (T, B, input_size),
    targets (T, B, output_size) in {0, 1}."""

    def __init__(self, config: BlockLSTMConfig):
        super().__init__()
        self.config = c = config
        nb, cpb, n_in = c.n_blocks, c.cells_per_block, c.input_size
        n_cells = c.n_cells
        k = 1.0 / np.sqrt(n_cells)
        u = lambda *shape: nn.Parameter(torch.empty(*shape).uniform_(-k, k))  # noqa: E731  (nn.LSTM's init)
        self.gate_ih, self.gate_hh, self.gate_b = u(3, nb, n_in), u(3, nb, n_cells), u(3, nb)
        self.cell_ih, self.cell_hh, self.cell_b = u(n_cells, n_in), u(n_cells, n_cells), u(n_cells)
        with torch.no_grad():
            self.gate_b[1].fill_(c.forget_bias)
        expand = torch.kron(torch.eye(nb), torch.ones(cpb, 1))  # (n_cells, n_blocks)
        self.register_buffer("expand", expand, persistent=False)
        self.register_buffer("in_mask", expand @ _mask(c.block_inputs, nb, n_in), persistent=False)
        rec = _mask(c.block_sources, nb, nb)
        self.register_buffer("rec_mask", expand @ rec @ expand.T, persistent=False)
        self.register_buffer("out_mask", _mask(c.output_blocks, c.output_size, nb) @ expand.T, persistent=False)
        self.out = nn.Linear(n_cells, c.output_size)
        self.lstm = nn.LSTM(n_in, n_cells)  # runs the assembled weights; its own are never used
        for p in self.lstm.parameters():
            p.requires_grad_(False)

    def dense_weights(self) -> dict[str, torch.Tensor]:
        """The network in PyTorch's LSTM layout: gate order input, forget, cell, output."""
        e = self.expand
        w_ih = torch.cat([e @ self.gate_ih[0], e @ self.gate_ih[1], self.cell_ih, e @ self.gate_ih[2]]) \
            * self.in_mask.repeat(4, 1)
        w_hh = torch.cat([e @ self.gate_hh[0], e @ self.gate_hh[1], self.cell_hh, e @ self.gate_hh[2]]) \
            * self.rec_mask.repeat(4, 1)
        b = torch.cat([e @ self.gate_b[0], e @ self.gate_b[1], self.cell_b, e @ self.gate_b[2]])
        return {"weight_ih_l0": w_ih, "weight_hh_l0": w_hh, "bias_ih_l0": b, "bias_hh_l0": torch.zeros_like(b),
                "out_weight": self.out.weight * self.out_mask, "out_bias": self.out.bias}

    def forward(self, x: torch.Tensor, targets: torch.Tensor | None = None, state=None):
        w = self.dense_weights()
        lstm_params = {k: w[k] for k in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")}
        h, state = functional_call(self.lstm, lstm_params, (x, state))
        logits = F.linear(h, w["out_weight"], w["out_bias"])
        loss = None if targets is None else F.binary_cross_entropy_with_logits(logits, targets)
        return logits, loss, state

    @torch.no_grad()
    def describe(self, logits: torch.Tensor, targets: torch.Tensor) -> dict:
        """Chord accuracy: steps whose chord units, thresholded at 0.5, are all right. Melody
        accuracy: steps whose most active melody unit is the target note."""
        n = self.config.chord_units
        out = {"chord_acc": float(((logits[..., :n] > 0) == (targets[..., :n] > 0.5)).all(-1).float().mean())}
        if logits.shape[-1] > n:
            out["melody_acc"] = float((logits[..., n:].argmax(-1) == targets[..., n:].argmax(-1)).float().mean())
        return out


class NumpyBlockLSTM:
    """Step-by-step numpy twin of BlockLSTM: step(x) -> output probabilities (sigmoid)."""

    def __init__(self, model: BlockLSTM):
        with torch.no_grad():
            w = {k: v.double().numpy() for k, v in model.dense_weights().items()}
        self.w_ih, self.w_hh = w["weight_ih_l0"].T.copy(), w["weight_hh_l0"].T.copy()
        self.b = w["bias_ih_l0"] + w["bias_hh_l0"]
        self.w_out, self.b_out = w["out_weight"].T.copy(), w["out_bias"]
        self.H = model.config.n_cells
        self.reset()

    def reset(self) -> None:
        self.h = np.zeros(self.H)
        self.c = np.zeros(self.H)

    def step(self, x: np.ndarray) -> np.ndarray:
        H = self.H
        z = x @ self.w_ih + self.h @ self.w_hh + self.b
        g = np.tanh(z[2 * H:3 * H])
        s = expit(z)
        self.c = s[H:2 * H] * self.c + s[:H] * g
        self.h = s[3 * H:] * np.tanh(self.c)
        return expit(self.h @ self.w_out + self.b_out)
