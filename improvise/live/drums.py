"""Drums for the jam engine.

A drum step is one token: which of kick, snare and closed hi-hat strike on that 16th note,
as bits (1 kick, 2 snare, 4 hat), so 8 tokens. `rule_pattern` is seed 003's rule (kick on
each bar's first step, snare at each bass onset, hat on every eighth). `DrumLSTM` is a small
event LSTM over those tokens plus the step's position in the bar; trained on patterns the
package synthesises (`synth_patterns`: rock, funk and shuffle-like grooves with fills) or on
patterns the user records, it continues the loop's current pattern as its primer, so the
drums vary around what the bassline implied instead of repeating it.

Input layout of the model, index by index: 0-7 the previous step's token (one-hot), 8-23
the position of the step to predict in its bar (one-hot over 16 sixteenths). Output: 8
logits over the next step's token.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from improvise.core.checks import file_error
from improvise.core.errors import ConfigError
from improvise.core.sample import draw
from improvise.live.midifile import read_midi
from improvise.nn.numpy_rnn import NumpyMelodyRNN

if TYPE_CHECKING:  # torch only where the drum LSTM is trained: the jam engine loads without it
    import torch

    from improvise.nn.melody_rnn import MelodyRNN

KICK, SNARE, HAT = 1, 2, 4
N_TOKENS = 8
POSITIONS = 16
INPUT_SIZE = N_TOKENS + POSITIONS
MAX_PATTERN_BARS = 1_000  # bars of a user's drum MIDI file


def rule_pattern(loop_steps: int, steps_per_bar: int, bass_onsets: set[int]) -> list[int]:
    """Seed 003's drums as tokens, one per step of the loop."""
    return [
        (KICK if s % steps_per_bar == 0 else 0)
        | (SNARE if s in bass_onsets else 0)
        | (HAT if s % 2 == 0 else 0)
        for s in range(loop_steps)
    ]


def synth_patterns(n: int = 200, bars: int = 4, seed: int = 0) -> list[list[int]]:
    """`n` drum loops of `bars` 4/4 bars on 16ths: a groove drawn from a few families, with
    random ghost notes, open spaces and a fill in the last bar."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        family = rng.integers(3)
        bar = np.zeros(16, dtype=np.int64)
        if family == 0:  # rock: kick 1 and 3, snare 2 and 4, eighth hats
            bar[[0, 8]] |= KICK
            bar[[4, 12]] |= SNARE
            bar[::2] |= HAT
        elif family == 1:  # funk: syncopated kicks, sixteenth hats
            bar[[0, 6, 10]] |= KICK
            bar[[4, 12]] |= SNARE
            bar[:] |= HAT
        else:  # shuffle-like: hats on the beat and the last sixteenth of it
            bar[[0, 10]] |= KICK
            bar[[4, 12]] |= SNARE
            bar[[0, 3, 4, 7, 8, 11, 12, 15]] |= HAT
        loop = []
        for b in range(bars):
            this = bar.copy()
            for s in rng.choice(16, size=rng.integers(0, 3), replace=False):  # ghosts and drops
                this[s] ^= rng.choice([KICK, SNARE])
            if b == bars - 1 and rng.random() < 0.7:  # a fill
                start = rng.choice([8, 12])
                this[start:] = np.where(rng.random(16 - start) < 0.7, SNARE, 0) | (this[start:] & KICK)
            loop += this.tolist()
        out.append(loop)
    return out


def pattern_tensors(pattern: list[int], steps_per_bar: int = 16) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs (T-1, INPUT_SIZE) and next-token targets (T-1,) of a pattern starting on a bar."""
    import torch

    tok = np.asarray(pattern, dtype=np.int64)
    x = np.zeros((len(tok) - 1, INPUT_SIZE), dtype=np.float32)
    x[np.arange(len(tok) - 1), tok[:-1]] = 1.0
    x[np.arange(len(tok) - 1), N_TOKENS + (np.arange(1, len(tok)) % steps_per_bar) % POSITIONS] = 1.0
    return torch.from_numpy(x), torch.from_numpy(tok[1:])


def midi_to_drum_pattern(path) -> list[int]:
    """A GM drum MIDI file (channel 10) as tokens on its 16th grid: kick 35/36, snare 37-40,
    hats 42/44/46 (other drums are left out); a type-2 file's patterns one after another. A
    one-line UserError on an unreadable file, one with no such drums, or one longer than
    MAX_PATTERN_BARS bars."""
    mid = read_midi(path, "drum MIDI file")
    bits = {35: KICK, 36: KICK, 37: SNARE, 38: SNARE, 39: SNARE, 40: SNARE, 42: HAT, 44: HAT, 46: HAT}
    step_ticks = mid.ticks_per_beat / 4
    hits: dict[int, int] = {}
    start = 0
    for track in mid.tracks:
        t = 0
        for m in track:
            t += m.time
            if m.type == "note_on" and m.velocity > 0 and m.channel == 9 and m.note in bits:
                k = start + int(round(t / step_ticks))
                if k >= 16 * MAX_PATTERN_BARS:
                    raise file_error(
                        path,
                        f"a drum hit in bar {k // 16 + 1}: drum patterns of at most "
                        f"{MAX_PATTERN_BARS} bars, please",
                    )
                hits[k] = hits.get(k, 0) | bits[m.note]
        if mid.type == 2 and hits:  # the next pattern starts on the bar after this one
            start = (max(hits) // 16 + 1) * 16
    if not hits:
        raise file_error(path, "no kick, snare or hi-hat on channel 10")
    n = (max(hits) // 16 + 1) * 16
    return [hits.get(k, 0) for k in range(n)]


class DrumLSTM:
    """A trained drum model that continues a pattern (`continue_pattern`)."""

    def __init__(self, model: MelodyRNN, temperature: float = 0.8, seed: int = 0):
        self.model, self.temperature = model.eval(), temperature
        self.stepper = NumpyMelodyRNN(self.model)
        self.rng = np.random.default_rng(seed)

    @classmethod
    def train(
        cls, patterns: list[list[int]] | None = None, epochs: int = 25, seed: int = 0, **kw
    ) -> DrumLSTM:
        """Train on `patterns` (token lists starting on a bar; default: `synth_patterns`), ~1 s."""
        import torch

        from improvise.nn.melody_rnn import MelodyRNN, MelodyRNNConfig
        from improvise.train.loop import SequenceTrainConfig, fit_sequences

        patterns = patterns or synth_patterns(seed=seed)
        data = [pattern_tensors(p + p) for p in patterns]  # twice round, so the loop's seam is learned
        split = max(1, len(data) // 10)
        torch.manual_seed(seed)
        model = MelodyRNN(
            MelodyRNNConfig(input_size=INPUT_SIZE, n_events=N_TOKENS, hidden=32, layers=1, dropout=0.0)
        )
        fit_sequences(
            model,
            data[split:] or data,
            data[:split],  # one pattern: it is also the validation
            SequenceTrainConfig(epochs=epochs, windows=128, window=64, batch=32, lr=1e-2, seed=seed),
        )
        return cls(model, seed=seed, **kw)

    def continue_pattern(self, primer: list[int], n: int, steps_per_bar: int = 16) -> list[int]:
        """`n` tokens after `primer` (its last token is the step before the first one drawn),
        stepped by the model's numpy fast path (nn.numpy_rnn.NumpyMelodyRNN)."""
        if not primer:
            raise ConfigError("the drum model needs a primer")
        self.stepper.reset()
        x, out = np.zeros(INPUT_SIZE), []

        def feed(tok: int, pos: int) -> np.ndarray:
            x[:] = 0.0
            x[tok] = 1.0
            x[N_TOKENS + (pos % steps_per_bar) % POSITIONS] = 1.0
            return self.stepper.step(x)

        for pos, tok in enumerate(primer, start=1):
            logits = feed(tok, pos)
        for pos in range(len(primer) + 1, len(primer) + n + 1):
            out.append(draw(logits, self.temperature, self.rng))
            logits = feed(out[-1], pos)
        return out
