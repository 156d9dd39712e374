"""A single LSTM layer of memory blocks with a connectivity mask: Eck & Schmidhuber's network.

The cells of a memory block share its input, forget and output gates (Hochreiter &
Schmidhuber 1997, with Gers et al.'s forget gate); each cell has its own cell input. As in
Gers, Schraudolph & Schmidhuber 2002 ("Learning precise timing with LSTM recurrent
networks"), the LSTM Eck & Schmidhuber 2002 build on (that their blues nets also dropped the
output squashing is our reading), each cell's state feeds its block's gates
through peephole weights (input and forget gates see the previous state, the output gate the
new one), and the cell output is not squashed: y = output gate * state (`cell_output =
"identity"`; "tanh" gives the 1997 squashing). An unsquashed state can grow without bound in a
stream that never resets, so `state_clip` can clamp it (our addition, not Gers's or Eck's; the
gradient stops where a state is clamped). Which input units and which blocks a block
reads, and which blocks an output unit reads, are masks given in the config, so experiment 2's
partition (chord blocks read chords and chord blocks; melody blocks read everything) is one
config. Outputs are sigmoid units trained with binary cross-entropy.

One module holds `members` independent networks of the same shape, each initialised from its
own seed and trained on its own data, so that a sweep over seeds trains in one batched loop:
a member's loss is its own mean, its gradient is clipped on its own (`clip_grad_`), and Adam is
elementwise, so a member follows the path it would follow alone (tests/test_eck2002.py checks
this). `member(k)` splits one off; `NumpyBlockLSTM` steps a single network in numpy.

Shapes: x (T, B, input_size) is shared by all members, or (T, B, members, input_size) gives each
its own; logits and targets are (T, B, members, output_size); the state is a pair (h, c) of
(members, B, n_cells) tensors.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F
from scipy.special import expit
from torch import nn

from improvise.core.errors import ConfigError
from improvise.nn.block_cells import BlockCells

CELL_OUTPUTS = ("identity", "tanh")


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
    peepholes: bool = True  # cell state -> own block's gates (Gers et al. 2002)
    cell_output: str = "identity"  # h(s): identity (Gers et al. 2002's timing nets) or tanh (1997)
    state_clip: float = 0.0  # > 0: clamp cell states to +-state_clip (bounds an unsquashed state)

    def validate(self) -> None:
        if self.cell_output not in CELL_OUTPUTS:
            raise ConfigError(
                f"cell_output must be one of {', '.join(CELL_OUTPUTS)}, not {self.cell_output!r}"
            )
        if min(self.input_size, self.output_size, self.n_blocks, self.cells_per_block) < 1:
            raise ConfigError("sizes must be at least 1")

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def n_cells(self) -> int:
        return self.n_blocks * self.cells_per_block


def _mask(rows: list[list[int]] | None, n_rows: int, n_cols: int) -> torch.Tensor:
    m = torch.ones(n_rows, n_cols)
    if rows is not None:
        if len(rows) != n_rows:
            raise ConfigError(f"a mask needs {n_rows} rows, got {len(rows)}")
        m.zero_()
        for r, cols in enumerate(rows):
            m[r, list(cols)] = 1.0
    return m


class BlockLSTM(nn.Module):
    """forward(x, targets=None, state=None) -> (logits, loss, state); see the module docstring.

    Columns of the pre-activations, index by index: [0, nb) input gates, [nb, 2nb) forget
    gates, [2nb, 3nb) output gates (one a block), [3nb, 3nb + n_cells) cell inputs."""

    def __init__(self, config: BlockLSTMConfig, seeds: list[int] | tuple[int, ...] = (0,)):
        super().__init__()
        config.validate()
        self.config = c = config
        self.seeds = [int(s) for s in seeds]
        nb, n_in, H, n_out = c.n_blocks, c.input_size, c.n_cells, c.output_size
        G = 3 * nb + H
        k = 1.0 / np.sqrt(H)
        w_in, w_rec, bias, w_out, b_out = [], [], [], [], []
        for s in self.seeds:  # each member drawn from its own generator: the same net as alone
            g = torch.Generator().manual_seed(s)
            u = lambda *shape, g=g: (torch.rand(*shape, generator=g) * 2 - 1) * k  # noqa: E731
            w_in.append(u(n_in, G)), w_rec.append(u(H, G)), bias.append(u(G))
            w_out.append(u(H, n_out)), b_out.append(u(n_out))
        self.w_in, self.w_rec = nn.Parameter(torch.stack(w_in)), nn.Parameter(torch.stack(w_rec))
        self.bias = nn.Parameter(torch.stack(bias))
        with torch.no_grad():
            self.bias[:, nb : 2 * nb] = c.forget_bias
        self.peep = nn.Parameter(torch.zeros(len(self.seeds), 3, H), requires_grad=c.peepholes)
        self.w_out, self.b_out = nn.Parameter(torch.stack(w_out)), nn.Parameter(torch.stack(b_out))
        block_of = torch.arange(H) // c.cells_per_block
        expand = torch.kron(torch.eye(nb), torch.ones(c.cells_per_block, 1))  # (H, nb): cell -> its block
        self.register_buffer("expand", expand, persistent=False)
        reads = _mask(c.block_inputs, nb, n_in).T  # (n_in, nb)
        self.register_buffer("in_mask", torch.cat([reads] * 3 + [reads[:, block_of]], 1), persistent=False)
        rec = _mask(c.block_sources, nb, nb)[:, block_of].T  # (H, nb): source cell -> target block
        self.register_buffer("rec_mask", torch.cat([rec] * 3 + [rec[:, block_of]], 1), persistent=False)
        self.register_buffer("out_mask", _mask(c.output_blocks, n_out, nb)[:, block_of].T, persistent=False)

    @property
    def members(self) -> int:
        return len(self.seeds)

    def cell_steps(self, zx: torch.Tensor, state):
        """Run the cells over zx (T, E, B, G), the pre-activations from the inputs; returns the
        cell outputs (T, E, B, H) and the last state (block_cells.py: a hand-written backward)."""
        h, s = state
        hs, h, s = BlockCells.apply(
            zx,
            h,
            s,
            self.w_rec * self.rec_mask,
            self.peep,
            self.expand,
            self.config.cell_output == "identity",
            self.config.peepholes,
            self.config.state_clip,
        )
        return hs, (h, s)

    def forward(self, x: torch.Tensor, targets: torch.Tensor | None = None, state=None):
        E, H = self.members, self.config.n_cells
        w_in = self.w_in * self.in_mask
        if x.dim() == 3:
            zx = torch.einsum("tbn,eng->tebg", x, w_in)
        else:
            zx = torch.einsum("tben,eng->tebg", x, w_in)
        zx = zx + self.bias[None, :, None]
        if state is None:
            zero = x.new_zeros(E, x.shape[1], H)
            state = (zero, zero)
        hs, state = self.cell_steps(zx, state)  # (T, E, B, H)
        logits = torch.einsum("tebh,eho->tbeo", hs, self.w_out * self.out_mask) + self.b_out
        loss = None
        if targets is not None:
            if targets.dim() == 3:
                targets = targets[:, :, None].expand_as(logits)
            loss = F.binary_cross_entropy_with_logits(logits, targets, reduction="none").mean((0, 1, 3)).sum()
        return logits, loss, state

    @torch.no_grad()
    def clip_grad_(self, max_norm: float) -> None:
        """Scale each member's gradient so that its own norm is at most max_norm."""
        grads = [p.grad for p in self.parameters() if p.grad is not None]
        norm = sum(g.pow(2).flatten(1).sum(1) for g in grads).sqrt()
        scale = (max_norm / (norm + 1e-6)).clamp(max=1.0)
        for g in grads:
            g.mul_(scale.view(-1, *[1] * (g.dim() - 1)))

    @torch.no_grad()
    def describe(self, logits: torch.Tensor, targets: torch.Tensor) -> dict:
        """Per member: binary cross-entropy, chord accuracy (steps whose chord units, thresholded at
        0.5, are all right) and melody accuracy (steps whose most active melody unit is the target
        note)."""
        n = self.config.chord_units
        if targets.dim() == 3:
            targets = targets[:, :, None].expand_as(logits)
        bce = F.binary_cross_entropy_with_logits(logits, targets, reduction="none").mean((0, 1, 3))
        out = {
            "bce": bce.tolist(),
            "chord_acc": ((logits[..., :n] > 0) == (targets[..., :n] > 0.5))
            .all(-1)
            .float()
            .mean((0, 1))
            .tolist(),
        }
        if logits.shape[-1] > n:
            hit = logits[..., n:].argmax(-1) == targets[..., n:].argmax(-1)
            out["melody_acc"] = hit.float().mean((0, 1)).tolist()
        return out

    @torch.no_grad()
    def member(self, k: int) -> BlockLSTM:
        """Member k as a network of its own (same weights, members = 1)."""
        one = BlockLSTM(self.config, [self.seeds[k]])
        for name, p in self.named_parameters():
            getattr(one, name).copy_(p[k : k + 1])
        return one


class NumpyBlockLSTM:
    """Step-by-step numpy twin of a one-member BlockLSTM (an improvise.core.sample.Stepper):
    `reset()`, then `step(x) -> logits` for a dense input x; the output units' probabilities
    are expit(logits), each unit on its own (BlockLSTM is trained with binary cross-entropy)."""

    def __init__(self, model: BlockLSTM, k: int = 0):
        with torch.no_grad():
            get = lambda t: t[k].double().numpy().copy()  # noqa: E731
            self.w_in = get(model.w_in * model.in_mask)
            self.w_rec = get(model.w_rec * model.rec_mask)
            self.bias, self.peep = get(model.bias), get(model.peep)
            self.w_out, self.b_out = get(model.w_out * model.out_mask), get(model.b_out)
            self.expand = model.expand.double().numpy()
        self.nb, self.H = model.config.n_blocks, model.config.n_cells
        self.peepholes = model.config.peepholes
        self.state_clip = model.config.state_clip
        self.identity = model.config.cell_output == "identity"
        self.reset()

    def reset(self) -> None:
        self.h = np.zeros(self.H)
        self.s = np.zeros(self.H)

    def step(self, x: np.ndarray) -> np.ndarray:
        nb, e = self.nb, self.expand
        z = x @ self.w_in + self.h @ self.w_rec + self.bias
        zi, zf, zo, zc = z[:nb], z[nb : 2 * nb], z[2 * nb : 3 * nb], z[3 * nb :]
        if self.peepholes:
            zi, zf = zi + (self.peep[0] * self.s) @ e, zf + (self.peep[1] * self.s) @ e
        self.s = (e @ expit(zf)) * self.s + (e @ expit(zi)) * np.tanh(zc)
        if self.state_clip > 0:
            self.s = np.clip(self.s, -self.state_clip, self.state_clip)
        if self.peepholes:
            zo = zo + (self.peep[2] * self.s) @ e
        self.h = (e @ expit(zo)) * (self.s if self.identity else np.tanh(self.s))
        return self.h @ self.w_out + self.b_out
