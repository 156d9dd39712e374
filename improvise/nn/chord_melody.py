"""The chord/melody recurrent network (seed 000's two-layer stack, partitioned as in Eck 2002).

Layer 1, the chord layer (`chord_hidden` units), reads the input indices `chord_inputs` and
predicts the next chord. Layer 2, the melody layer (`melody_hidden` units), reads layer 1's
output plus the input indices `melody_inputs` and predicts the next pitch.

With `chord_inputs` limited to the chord (and a beat clock) this is Eck & Schmidhuber's
partition: the melody never reaches the chord units, so the model's own melodies cannot push
its sense of the form. Seed 000's stack is the same module with `chord_inputs` = chord and
pitch.
"""

from __future__ import annotations

import weakref
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from improvise.core.checks import MAX_HIDDEN
from improvise.core.errors import ConfigError

CELLS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}


@dataclass
class ChordMelodyConfig:
    input_size: int  # width of an input vector
    chord_inputs: list[int]  # input indices the chord layer reads
    melody_inputs: list[int]  # input indices the melody layer reads besides the chord layer
    n_chords: int  # classes of the chord head
    n_pitches: int  # classes of the pitch head
    chord_hidden: int = 20  # H1, seed 000
    melody_hidden: int = 24  # H2, seed 000
    cell: str = "lstm"  # lstm | gru | rnn (tanh Elman)
    forget_bias: float = 1.0  # initial forget-gate bias of LSTM cells (Gers et al. 2000)

    def __post_init__(self) -> None:
        if self.cell not in CELLS:
            raise ConfigError(f"cell must be one of {sorted(CELLS)}, not {self.cell!r}")
        for name in ("chord_hidden", "melody_hidden", "n_chords", "n_pitches", "input_size"):
            if not 1 <= getattr(self, name) <= MAX_HIDDEN:
                raise ConfigError(f"{name} must be in [1, {MAX_HIDDEN}], not {getattr(self, name)}")
        bad = [i for i in self.chord_inputs + self.melody_inputs if not 0 <= i < self.input_size]
        if bad or not self.chord_inputs:
            raise ConfigError(
                f"input indices must be in [0, {self.input_size}) and the chord layer needs one"
            )

    def to_dict(self) -> dict:
        return asdict(self)


def head_losses(
    logits: torch.Tensor, targets: torch.Tensor, n_chords: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean cross-entropy of the chord head and of the pitch head.

    logits: (T, B, n_chords + n_pitches); targets: (T, B, 2) class ids (chord, pitch).
    """
    chord = F.cross_entropy(logits[..., :n_chords].reshape(-1, n_chords), targets[..., 0].reshape(-1))
    n_pitches = logits.shape[-1] - n_chords
    pitch = F.cross_entropy(logits[..., n_chords:].reshape(-1, n_pitches), targets[..., 1].reshape(-1))
    return chord, pitch


class ChordMelodyNet(nn.Module):
    """forward(x, targets=None, state=None) -> (logits, loss, state), nanoGPT style."""

    def __init__(self, config: ChordMelodyConfig):
        super().__init__()
        self.config = config
        cell = CELLS[config.cell]
        self.register_buffer(
            "chord_idx", torch.tensor(config.chord_inputs, dtype=torch.long), persistent=False
        )
        self.register_buffer(
            "melody_idx", torch.tensor(config.melody_inputs, dtype=torch.long), persistent=False
        )
        self.chord_rnn = cell(len(config.chord_inputs), config.chord_hidden)
        self.melody_rnn = cell(config.chord_hidden + len(config.melody_inputs), config.melody_hidden)
        self.chord_head = nn.Linear(config.chord_hidden, config.n_chords)
        self.pitch_head = nn.Linear(config.melody_hidden, config.n_pitches)
        if config.cell == "lstm":
            for rnn, h in ((self.chord_rnn, config.chord_hidden), (self.melody_rnn, config.melody_hidden)):
                with torch.no_grad():  # PyTorch gate order: input, forget, cell, output
                    rnn.bias_ih_l0[h : 2 * h].fill_(config.forget_bias)
                    rnn.bias_hh_l0[h : 2 * h].zero_()

    def forward(self, x: torch.Tensor, targets: torch.Tensor | None = None, state=None):
        """x: (T, B, input_size). targets: (T, B, 2) next-step (chord, pitch) ids or None.

        Returns logits (T, B, n_chords + n_pitches), the summed head loss (or None), and the
        recurrent state (chord layer, melody layer) to carry into the next chunk.
        """
        chord_state, melody_state = state if state is not None else (None, None)
        h1, chord_state = self.chord_rnn(x.index_select(-1, self.chord_idx), chord_state)
        h2, melody_state = self.melody_rnn(
            torch.cat([h1, x.index_select(-1, self.melody_idx)], -1), melody_state
        )
        logits = torch.cat([self.chord_head(h1), self.pitch_head(h2)], -1)
        loss = None
        if targets is not None:
            chord_loss, pitch_loss = head_losses(logits, targets, self.config.n_chords)
            loss = chord_loss + pitch_loss
            # describe() of these logits and targets (the trainer's log, once an update) reuses them
            self._losses = (
                weakref.ref(logits),
                weakref.ref(targets),
                chord_loss.detach(),
                pitch_loss.detach(),
            )
        return logits, loss, (chord_state, melody_state)

    @torch.no_grad()
    def describe(self, logits: torch.Tensor, targets: torch.Tensor) -> dict:
        """Figures to log: each head's loss and argmax accuracy."""
        n = self.config.n_chords
        last = getattr(self, "_losses", None)
        if last is not None and last[0]() is logits and last[1]() is targets:
            chord_loss, pitch_loss = last[2], last[3]
        else:
            chord_loss, pitch_loss = head_losses(logits, targets, n)
        chord_acc = (logits[..., :n].argmax(-1) == targets[..., 0]).float().mean()
        pitch_acc = (logits[..., n:].argmax(-1) == targets[..., 1]).float().mean()
        values = torch.stack([chord_loss, pitch_loss, chord_acc, pitch_acc]).tolist()
        return dict(zip(("chord_loss", "pitch_loss", "chord_acc", "pitch_acc"), values))


def detach_state(state):
    """The same nested tuple of tensors, cut from the graph (truncated BPTT)."""
    if state is None:
        return None
    if isinstance(state, torch.Tensor):
        return state.detach()
    return tuple(detach_state(s) for s in state)


def mask_state(state, keep: torch.Tensor):
    """Zero the state of the batch columns where `keep` (B,) is 0: those streams restart."""
    if state is None:
        return None
    if isinstance(state, torch.Tensor):
        return state * keep.view(1, -1, 1)
    return tuple(mask_state(s, keep) for s in state)
