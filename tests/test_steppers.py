"""One conformance test for every stepper (improvise.core.sample.Stepper): the numpy fast paths
and the zoo's networks (ZooStepper). After reset(), the step-by-step logits equal the torch
model's whole-sequence forward (for the zoo: log-probabilities, ZooModel.log_probs), both in
float64.

The weights are the models' initial ones plus noise (so that gates, peepholes and biases are
all away from their tidy starting values), the inputs random; each case runs the sequence
twice through the stepper, with a reset() between, to check that reset() really starts over.
Measured on the 2-core VM: the largest gap is 8.9e-16 for the numpy steppers and 1.6e-14 for
the zoo's (its mlp), over 6e4 times below TOL; each case prints its own.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from improvise.core.sample import Stepper
from improvise.encodings.events import MelodyEventEncoding
from improvise.nn.block_lstm import BlockLSTM, BlockLSTMConfig, NumpyBlockLSTM
from improvise.nn.char_lstm import CharLSTM, CharLSTMConfig, NumpyCharStep
from improvise.nn.chord_melody import ChordMelodyConfig, ChordMelodyNet
from improvise.nn.melody_rnn import MelodyRNN, MelodyRNNConfig
from improvise.nn.numpy_rnn import NumpyMelodyRNN
from improvise.nn.reference import NumpyChordMelody
from improvise.zoo.model import ZooConfig, ZooModel, ZooStepper, build_network

TOL = 1e-9
T = 40


def _jitter(model: torch.nn.Module, seed: int) -> torch.nn.Module:
    """The model in float64, every parameter moved by N(0, 0.3) noise."""
    g = torch.Generator().manual_seed(seed)
    model = model.double().eval()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.3 * torch.randn(p.shape, generator=g, dtype=torch.float64))
    return model


def _dense(n_in: int, seed: int) -> np.ndarray:
    """T random dense inputs: a few one-hot-ish units on, the rest off, plus noise."""
    rng = np.random.default_rng(seed)
    return (rng.random((T, n_in)) < 0.2) + 0.1 * rng.standard_normal((T, n_in))


def chord_melody(cell: str):
    cfg = ChordMelodyConfig(
        input_size=30,
        chord_inputs=list(range(12)) + [28, 29],
        melody_inputs=list(range(12, 30)),
        n_chords=7,
        n_pitches=11,
        chord_hidden=6,
        melody_hidden=9,
        cell=cell,
    )
    torch.manual_seed(0)
    model = _jitter(ChordMelodyNet(cfg), 1)
    x = _dense(cfg.input_size, 2)
    with torch.no_grad():
        ref = model(torch.from_numpy(x)[:, None])[0][:, 0].numpy()
    return NumpyChordMelody.from_module(model), list(x), ref


def block_lstm(cell_output: str, peepholes: bool = True, state_clip: float = 0.0):
    cfg = BlockLSTMConfig(
        input_size=16,
        output_size=14,
        n_blocks=4,
        cells_per_block=2,
        chord_units=6,
        block_inputs=[list(range(6))] * 2 + [list(range(16))] * 2,
        block_sources=[[0, 1]] * 2 + [[0, 1, 2, 3]] * 2,
        output_blocks=[[0, 1]] * 6 + [[0, 1, 2, 3]] * 8,
        peepholes=peepholes,
        cell_output=cell_output,
        state_clip=state_clip,
    )
    model = _jitter(BlockLSTM(cfg, [3]), 4)
    x = _dense(cfg.input_size, 5)
    with torch.no_grad():
        ref = model(torch.from_numpy(x)[:, None])[0][:, 0, 0].numpy()
    return NumpyBlockLSTM(model), list(x), ref


def char_lstm(layers: int):
    torch.manual_seed(0)
    model = _jitter(CharLSTM(CharLSTMConfig(vocab_size=23, hidden=10, layers=layers)), 6)
    ids = np.random.default_rng(7).integers(0, 23, T)
    with torch.no_grad():
        ref = model(torch.from_numpy(ids)[:, None])[0][:, 0].numpy()
    return NumpyCharStep(model, dtype=np.float64), [int(i) for i in ids], ref


def melody_rnn(cell: str, layers: int):
    torch.manual_seed(0)
    cfg = MelodyRNNConfig(input_size=19, n_events=13, hidden=11, layers=layers, cell=cell, dropout=0.0)
    model = _jitter(MelodyRNN(cfg), 10)
    x = _dense(cfg.input_size, 11)
    with torch.no_grad():
        ref = model(torch.from_numpy(x)[:, None])[0][:, 0].numpy()
    return NumpyMelodyRNN(model), list(x), ref


def zoo(kind: str):
    enc, cfg = MelodyEventEncoding(), ZooConfig()
    torch.manual_seed(0)
    model = ZooModel(kind, enc, cfg, _jitter(build_network(kind, enc, cfg), 8))
    events = np.random.default_rng(9).integers(0, enc.n_events, T + 1)
    own = model.targets(events)
    return ZooStepper(model), [int(e) for e in own[:-1]], model.log_probs(events)


CASES = {
    "NumpyChordMelody-lstm": lambda: chord_melody("lstm"),
    "NumpyChordMelody-gru": lambda: chord_melody("gru"),
    "NumpyChordMelody-rnn": lambda: chord_melody("rnn"),
    "NumpyBlockLSTM-identity": lambda: block_lstm("identity"),
    "NumpyBlockLSTM-tanh": lambda: block_lstm("tanh"),
    "NumpyBlockLSTM-clipped-no-peepholes": lambda: block_lstm("identity", peepholes=False, state_clip=1.0),
    "NumpyCharStep-1-layer": lambda: char_lstm(1),
    "NumpyCharStep-2-layers": lambda: char_lstm(2),
    **{
        f"NumpyMelodyRNN-{c}-{n}-layers": (lambda c=c, n=n: melody_rnn(c, n))
        for c in ("lstm", "gru", "rnn")
        for n in (1, 2)
    },
    **{
        f"ZooStepper-{k}": (lambda k=k: zoo(k))
        for k in ("rnn", "gru", "lstm", "attention", "mlp", "lookback", "interval")
    },
}
MEASURED: dict[str, float] = {}


@pytest.mark.parametrize("name", sorted(CASES))
def test_stepper_matches_the_whole_sequence_forward(name):
    stepper, inputs, ref = CASES[name]()
    assert isinstance(stepper, Stepper)
    errors = []
    for _ in range(2):  # the second pass after reset() must give the same logits
        stepper.reset()
        got = np.stack([np.array(stepper.step(x), dtype=np.float64) for x in inputs])
        assert got.shape == ref.shape and got.dtype == np.float64
        errors.append(float(np.abs(got - ref).max()))
    MEASURED[name] = max(errors)
    print(f"{name}: max |step - forward| = {max(errors):.2e}")
    assert max(errors) <= TOL / 100, f"{name}: {max(errors):.2e}, want <= {TOL / 100:g} (100x below {TOL:g})"
    assert np.abs(ref).max() > 0.5  # the logits are not all near zero (the test would be vacuous)
