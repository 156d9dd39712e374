import numpy as np
import pytest
import torch

from improvise.blues.task import BluesConfig, corpus_arrays, loop_tensors
from improvise.encodings.blues import BluesEncoding
from improvise.nn.chord_melody import ChordMelodyConfig, ChordMelodyNet
from improvise.nn.reference import NumpyChordMelody, gradcheck, loss_and_grads


def _tiny(seed=0, T=12, B=2):
    enc = BluesEncoding()
    cfg = ChordMelodyConfig(
        input_size=enc.input_size,
        chord_inputs=enc.chord_layer_inputs(),
        melody_inputs=enc.melody_layer_inputs(),
        n_chords=3,
        n_pitches=8,
        chord_hidden=4,
        melody_hidden=5,
    )
    torch.manual_seed(seed)
    model = ChordMelodyNet(cfg).double()
    chords, pitches = corpus_arrays(BluesConfig(), enc)
    x, y = loop_tensors(chords, pitches, enc)
    start = np.arange(B) * 37
    idx = (start[None, :] + np.arange(T)[:, None]) % len(chords)
    return model, x[idx].double(), y[idx]


def test_numpy_loss_and_every_gradient_match_torch_autograd():
    model, x, y = _tiny(T=20, B=3)
    _, loss, _ = model(x, y)
    loss.backward()
    params = {k: v.detach().numpy() for k, v in model.state_dict().items()}
    ref_loss, grads = loss_and_grads(model.config, params, x.numpy(), y.numpy())
    assert abs(ref_loss - float(loss.detach())) < 1e-12
    for name, p in model.named_parameters():
        np.testing.assert_allclose(grads[name], p.grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=name)
    assert set(grads) == {n for n, _ in model.named_parameters()}


def test_gradcheck_central_differences():
    model, x, y = _tiny()
    params = {k: v.detach().numpy() for k, v in model.state_dict().items()}
    report = gradcheck(model.config, params, x.numpy(), y.numpy(), per_tensor=4)
    assert report["max_relative_error"] <= 1e-6
    assert report["checked"] == sum(min(4, v.size) for v in params.values())


def test_gradcheck_catches_a_wrong_gradient(monkeypatch):
    import improvise.nn.reference as ref

    model, x, y = _tiny()
    params = {k: v.detach().numpy() for k, v in model.state_dict().items()}
    real = ref.loss_and_grads

    def broken(config, p, xx, yy):
        loss, g = real(config, p, xx, yy)
        g = dict(g)
        g["pitch_head.bias"] = g["pitch_head.bias"] * 1.01
        return loss, g

    monkeypatch.setattr(ref, "loss_and_grads", broken)
    assert (
        ref.gradcheck(model.config, params, x.numpy(), y.numpy(), per_tensor=4)["max_relative_error"] > 1e-4
    )


def test_reference_is_lstm_only():
    model, x, y = _tiny()
    model.config.cell = "gru"
    with pytest.raises(ValueError):
        loss_and_grads(model.config, {}, x.numpy(), y.numpy())


def test_step_key_matches_dense_step_and_resets(trained):
    enc = BluesEncoding()
    chords, pitches = corpus_arrays(BluesConfig(), enc)
    x, _ = loop_tensors(chords[:50], pitches[:50], enc)
    dense, cached = NumpyChordMelody.from_module(trained.model), NumpyChordMelody.from_module(trained.model)
    for _ in range(2):  # the second pass checks reset() really zeroes the state
        dense.reset()
        cached.reset()
        for t in range(50):
            key = (int(chords[t]), int(pitches[t]), t % 8)
            a = dense.step(x[t].numpy())
            b = cached.step_key(key, lambda t=t: x[t].numpy()).copy()
            np.testing.assert_allclose(a, b, atol=1e-12)
