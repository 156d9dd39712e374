import copy

import numpy as np
import pytest
import torch

from improvise.blues.eck2002 import Eck2002Config, improvise_eck2002, model_config, train_eck2002
from improvise.core.music import Chord
from improvise.data.eck2002 import PENTATONIC, eck2002_corpus
from improvise.encodings.chromatic import ChromaticEncoding
from improvise.nn.block_lstm import BlockLSTM, NumpyBlockLSTM
from improvise.train.looped import TrainConfig


def test_corpus_changes_one_or_two_bars_per_chorus():
    tunes = eck2002_corpus(6, seed=2)
    bars = [[tuple(n.pitch for n in t.melody[b * 8 : (b + 1) * 8]) for b in range(12)] for t in tunes]
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
    model = BlockLSTM(model_config(Eck2002Config(experiment=2), enc), seeds=[0])
    x = torch.from_numpy(enc.tune_to_array(eck2002_corpus(1)[0]))[:, None]
    other = x.clone()
    other[:, :, 12:] = torch.roll(other[:, :, 12:], 3, dims=-1)  # another melody
    with torch.no_grad():
        a, b = model(x)[0], model(other)[0]
    assert torch.equal(a[..., :12], b[..., :12]) and not torch.equal(a[..., 12:], b[..., 12:])


@pytest.mark.parametrize("identity", [True, False])
@pytest.mark.parametrize("peepholes", [True, False])
def test_hand_written_backward_matches_autograd(identity, peepholes):
    from improvise.nn.block_cells import BlockCells, block_cells_reference

    torch.manual_seed(0)
    T, E, B, nb, cpb = 4, 2, 3, 2, 2
    H, G = nb * cpb, 3 * nb + nb * cpb
    expand = torch.kron(torch.eye(nb), torch.ones(cpb, 1)).double()
    args = [
        torch.randn(T, E, B, G),
        torch.randn(E, B, H),
        torch.randn(E, B, H),
        0.5 * torch.randn(E, H, G),
        0.5 * torch.randn(E, 3, H),
    ]
    args = [a.double().requires_grad_() for a in args]
    fused = lambda *a: BlockCells.apply(*a, expand, identity, peepholes)  # noqa: E731
    assert torch.autograd.gradcheck(fused, args)
    ref = block_cells_reference(*args, expand, identity, peepholes)
    out = fused(*args)
    probe = [torch.randn_like(r) for r in ref]
    g_ref = torch.autograd.grad(sum((r * p).sum() for r, p in zip(ref, probe)), args, allow_unused=True)
    g_out = torch.autograd.grad(sum((r * p).sum() for r, p in zip(out, probe)), args, allow_unused=True)
    for r, o in zip(g_ref, g_out):
        assert (r is None and o is None) or torch.allclose(r, o, atol=1e-12)


def test_networks_trained_together_follow_their_solo_paths():
    from improvise.blues.eck2002 import train_eck2002_seeds

    cfg = Eck2002Config(experiment=2, train=TrainConfig(epochs=8, lr=3e-3))
    together = train_eck2002_seeds(cfg, [3, 4])
    solo = train_eck2002(Eck2002Config(experiment=2, train=TrainConfig(epochs=8, lr=3e-3, seed=4)))
    assert together[1]["config"].train.seed == 4 and together[1]["trained_with"] == 2
    for a, b in zip(together[1]["model"].parameters(), solo["model"].parameters()):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=0)
    assert not torch.allclose(together[0]["model"].w_in, together[1]["model"].w_in)


@pytest.mark.parametrize("cell_output", ["identity", "tanh"])
def test_numpy_twin_matches_and_training_runs(cell_output):
    cfg = Eck2002Config(experiment=2, cell_output=cell_output, train=TrainConfig(epochs=3, seed=1))
    trained = train_eck2002(cfg)
    model, enc = trained["model"], trained["encoding"]
    assert len(trained["history"]["chord_acc"]) == 3 and "melody_acc" in trained["history"]
    x = torch.from_numpy(enc.tune_to_array(eck2002_corpus(1)[0])).double()
    twin = copy.deepcopy(model).double()  # both sides in float64: float32 drifts in an unsquashed state
    with torch.no_grad():
        ref = twin(x[:, None])[0][:, 0, 0].numpy()  # logits
    stepper = NumpyBlockLSTM(twin)
    got = np.stack([stepper.step(x[t].numpy()) for t in range(len(x))])
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-9)  # measured ~1e-16
    out = improvise_eck2002(model, enc, choruses=2, seed=0)
    assert len(out["chords"]) == 192 and 0 <= out["metrics"]["bar_onset_match"] <= 1


def test_block_lstm_rejects_an_unknown_cell_output():
    with pytest.raises(ValueError, match="cell_output"):
        BlockLSTM(model_config(Eck2002Config(cell_output="relu"), ChromaticEncoding(melody=False)))
