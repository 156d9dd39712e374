import numpy as np
import pytest
import torch

from improvise.corpora.eck2002 import PENTATONIC, eck2002_corpus
from improvise.eck2002 import Eck2002Config, improvise_eck2002, model_config, train_eck2002
from improvise.encodings import ChromaticEncoding
from improvise.models.block_lstm import BlockLSTM, NumpyBlockLSTM
from improvise.music import Chord
from improvise.train import TrainConfig


def test_corpus_changes_one_or_two_bars_per_chorus():
    tunes = eck2002_corpus(6, seed=2)
    bars = [[tuple(n.pitch for n in t.melody[b * 8:(b + 1) * 8]) for b in range(12)] for t in tunes]
    for a, b in zip(bars, bars[1:]):
        assert 1 <= sum(x != y for x, y in zip(a, b)) <= 2
    assert all(n.pitch in PENTATONIC for t in tunes for n in t.melody)
    assert all(len(t.melody) == 96 for t in tunes)  # a note every eighth


def test_chromatic_units():
    enc = ChromaticEncoding()
    assert np.flatnonzero(enc.chord_vector(Chord.parse("C7"))).tolist() == [0, 4, 7, 10]  # C E G Bb
    assert np.flatnonzero(enc.chord_vector(Chord.parse("F7"))).tolist() == [0, 3, 5, 9]  # C Eb F A
    assert np.flatnonzero(enc.chord_vector(Chord.parse("G7"))).tolist() == [2, 5, 7, 11]  # D F G B
    x = enc.tune_to_array(eck2002_corpus(1)[0])
    assert x.shape == (96, 25) and (x[:, 12:].sum(1) == 1).all()
    ids = enc.chord_ids(x[:, :12])
    assert ids[::8].tolist() == [0, 0, 0, 0, 1, 1, 0, 0, 2, 1, 0, 0]
    assert enc.chord_ids(np.zeros((1, 12)))[0] == -1


def test_experiment_2_mask_keeps_melody_out_of_the_chord_blocks():
    enc = ChromaticEncoding(melody=True)
    torch.manual_seed(0)
    model = BlockLSTM(model_config(Eck2002Config(experiment=2), enc))
    x = torch.from_numpy(enc.tune_to_array(eck2002_corpus(1)[0]))[:, None]
    other = x.clone()
    other[:, :, 12:] = torch.roll(other[:, :, 12:], 3, dims=-1)  # another melody
    with torch.no_grad():
        a, b = model(x)[0], model(other)[0]
    assert torch.equal(a[..., :12], b[..., :12]) and not torch.equal(a[..., 12:], b[..., 12:])
    w = model.dense_weights()["weight_ih_l0"]
    assert torch.equal(w[0], w[1]) and not torch.equal(w[1], w[2])  # input gate shared within a block


def test_numpy_twin_matches_and_training_runs():
    cfg = Eck2002Config(experiment=2, train=TrainConfig(epochs=3, seed=1))
    trained = train_eck2002(cfg)
    model, enc = trained["model"], trained["encoding"]
    assert len(trained["history"]["chord_acc"]) == 3 and "melody_acc" in trained["history"]
    x = torch.from_numpy(enc.tune_to_array(eck2002_corpus(1)[0]))
    with torch.no_grad():
        ref = torch.sigmoid(model(x[:, None])[0][:, 0]).numpy()
    stepper = NumpyBlockLSTM(model)
    got = np.stack([stepper.step(x[t].numpy().astype(np.float64)) for t in range(len(x))])
    np.testing.assert_allclose(got, ref, atol=1e-5)
    out = improvise_eck2002(model, enc, choruses=2, seed=0)
    assert len(out["chords"]) == 192 and 0 <= out["metrics"]["bar_onset_match"] <= 1


def test_stream_lstm_output_layers():
    import torch

    from improvise.models.stream_lstm import StreamLSTM

    x = torch.zeros(5, 2, 3)
    soft = StreamLSTM(3, 4, 3, "softmax")
    _, loss, _ = soft(x, torch.zeros(5, 2, dtype=torch.long))
    assert loss.item() > 0 and soft.predict(torch.tensor([[0.0, 2.0, 1.0]])).tolist() == [1]
    sig = StreamLSTM(3, 4, 12, "sigmoid")
    logits, loss, _ = sig(x, torch.zeros(5, 2, 12))
    assert logits.shape == (5, 2, 12) and sig.describe(torch.full((1, 12), -3.0), torch.zeros(1, 12))["acc"] == 1.0
    with pytest.raises(ValueError):
        StreamLSTM(3, 4, 3, "tanh")


def test_output_layer_probe_shape():
    from improvise.eck2002 import PROBE_VARIANTS, output_layer_probe

    res = output_layer_probe([0], epochs=3, choruses=2)
    assert list(res["variants"]) == list(PROBE_VARIANTS)
    for rows in res["variants"].values():
        assert 0 <= rows[0]["bar_onset_match"] <= 1 and 0 <= rows[0]["teacher_forced_acc"] <= 1
