import numpy as np
import pytest
import torch

from improvise.blues import BluesConfig, build_model, corpus_arrays, loop_tensors, train_blues
from improvise.encodings import BluesEncoding
from improvise.models import NumpyChordMelody
from improvise.train import TrainConfig, stream_offsets


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_numpy_step_matches_torch(cell):
    enc = BluesEncoding()
    model = build_model(BluesConfig(cell=cell, train=TrainConfig(seed=1)), enc).double()
    chords, pitches = corpus_arrays(BluesConfig(), enc)
    x, _ = loop_tensors(chords[:40], pitches[:40], enc)
    x = x.double()
    with torch.no_grad():
        ref, _, _ = model(x[:, None])
    stepper = NumpyChordMelody.from_module(model)
    stepper.reset(1)
    got = np.stack([stepper.step(x[t].numpy()) for t in range(40)])
    # both in float64: the same arithmetic up to summation order (measured ~1e-15 here)
    np.testing.assert_allclose(got, ref[:, 0].numpy(), rtol=0, atol=1e-9)


def test_partitioned_chord_layer_never_sees_the_melody():
    enc = BluesEncoding()
    model = build_model(BluesConfig(), enc)
    chords, pitches = corpus_arrays(BluesConfig(), enc)
    x, _ = loop_tensors(chords[:96], pitches[:96], enc)
    other = x.clone()
    other[:, enc.pitch_slice] = 0
    other[:, enc.pitch_slice.start + 2] = 1  # a different melody
    other[:, enc.played_chord_slice] = torch.roll(other[:, enc.played_chord_slice], 1, dims=1)
    with torch.no_grad():
        a, _, _ = model(x[:, None])
        b, _, _ = model(other[:, None])
    assert torch.equal(a[..., :3], b[..., :3])  # chord logits unchanged
    assert not torch.equal(a[..., 3:], b[..., 3:])  # pitch logits do change


def test_forget_bias_initialised():
    model = build_model(BluesConfig(forget_bias=1.0))
    h = model.config.chord_hidden
    assert torch.all(model.chord_rnn.bias_ih_l0[h:2 * h] == 1.0)


def test_stream_offsets_spread_over_the_form():
    off = stream_offsets(768, 96, 8, restart=1)
    assert off[0] == 0
    assert sorted(set(off % 96)) == [0, 12, 24, 36, 48, 60, 72, 84]


def test_headline_training_learns_the_form(trained):
    assert trained.teacher_forced["chord_acc"] > 0.99
    assert trained.teacher_forced["pitch_acc"] > 1 / 8  # better than chance
    assert trained.history["loss"][-1] < trained.history["loss"][0]
    assert len(trained.history["loss"]) == 200
    assert set(trained.history) == {"loss", "chord_loss", "pitch_loss", "chord_acc", "pitch_acc"}


def test_training_is_deterministic():
    cfg = BluesConfig(train=TrainConfig(seed=5, epochs=5))
    a, b = train_blues(cfg), train_blues(cfg)
    assert a.history == b.history
    for k, v in a.model.state_dict().items():
        assert torch.equal(v, b.model.state_dict()[k])


@pytest.mark.parametrize("field,value", [("epochs", -1), ("lr", 0.0), ("chunk", 0), ("restart_streams", 9)])
def test_bad_training_values_rejected(field, value):
    cfg = BluesConfig(train=TrainConfig(**{field: value}))
    with pytest.raises(ValueError):
        train_blues(cfg)
