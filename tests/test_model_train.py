import numpy as np
import pytest
import torch

from improvise.blues.task import BluesConfig, build_model, corpus_arrays, loop_tensors, train_blues
from improvise.encodings.blues import BluesEncoding
from improvise.nn import NumpyChordMelody
from improvise.train.looped import TrainConfig, stream_offsets


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
    assert torch.all(model.chord_rnn.bias_ih_l0[h : 2 * h] == 1.0)


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
    with pytest.raises(ValueError, match=field):  # a config checks itself when made (core.config)
        train_blues(BluesConfig(train=TrainConfig(**{field: value})))


def _reference_looped(model, x_loop, y_loop, cfg, period):
    """fit_looped as it was before it ran in the shared loop (sequence_trainer.fit): the figures
    in docs/results.md were trained by this, so the shared loop must repeat it bit for bit."""
    from improvise.nn.chord_melody import detach_state, mask_state

    torch.manual_seed(cfg.seed)
    torch.set_num_threads(cfg.threads)
    loop_len = x_loop.shape[0]
    offsets = torch.from_numpy(stream_offsets(loop_len, period, cfg.streams, cfg.restart_streams))
    restarting = torch.arange(cfg.streams) < cfg.restart_streams
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=cfg.lr, fused=True)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=cfg.lr_decay_every, gamma=cfg.lr_decay)
    hist, state = {"loss": []}, None
    model.train()
    for epoch in range(cfg.epochs):
        pos = offsets[None, :] + epoch * cfg.chunk + torch.arange(cfg.chunk)[:, None]
        x, y = x_loop[pos % loop_len], y_loop[pos % loop_len]
        if state is not None:
            state = mask_state(detach_state(state), 1.0 - (restarting & (pos[0] % period == 0)).float())
        logits, loss, state = model(x, y, state)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if hasattr(model, "clip_grad_"):
            model.clip_grad_(cfg.clip)
        else:
            torch.nn.utils.clip_grad_norm_(params, cfg.clip, foreach=True)
        opt.step()
        sched.step()
        with torch.no_grad():
            hist["loss"].append(float(loss))
            for key, value in model.describe(logits, y).items():
                hist.setdefault(key, []).append(value)
    model.eval()
    return hist


def _assert_same_training(make, x, y, cfg, period):
    from improvise.train.looped import fit_looped

    a, b = make(), make()
    epochs = []
    hist, _ = fit_looped(a, x, y, cfg, period, on_epoch=lambda e, m: epochs.append(e))
    assert hist == _reference_looped(b, x, y, cfg, period)
    assert epochs == list(range(1, cfg.epochs + 1)) and not a.training
    for k, v in b.state_dict().items():
        assert torch.equal(a.state_dict()[k], v), k


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_looped_training_in_the_shared_loop_repeats_the_old_loop_exactly(cell):
    train = TrainConfig(seed=3, epochs=9, lr_decay_every=4, restart_streams=3, clip=0.5)
    cfg = BluesConfig(cell=cell, chord_hidden=8, melody_hidden=6, train=train)
    enc = BluesEncoding()
    x, y = loop_tensors(*corpus_arrays(cfg, enc), enc)
    _assert_same_training(lambda: build_model(cfg, enc), x, y, train, 96)


def test_member_clipped_block_lstm_in_the_shared_loop_repeats_the_old_loop_exactly():
    from improvise.blues.eck2002 import Eck2002Config, model_config
    from improvise.encodings.chromatic import ChromaticEncoding
    from improvise.nn.block_lstm import BlockLSTM

    enc = ChromaticEncoding(melody=False)
    rng = np.random.default_rng(0)
    loop = torch.from_numpy((rng.random((192, 2, enc.size)) < 0.3).astype(np.float32))  # two members' loops
    train = TrainConfig(epochs=8, lr=3e-3, lr_decay_every=3, chunk=48, clip=0.05)  # clips every update
    _assert_same_training(
        lambda: BlockLSTM(model_config(Eck2002Config(), enc), [0, 1]),
        loop,
        torch.roll(loop, -1, dims=0),
        train,
        96,
    )


def test_looped_chunks_kept_for_later_epochs_are_the_ones_gathered_then():
    """A chunk is kept by where it starts in the loop and in the chorus; with a chorus length
    that does not divide the loop, and a chunk that divides neither, training still repeats the
    old loop (which gathered every chunk afresh)."""
    train = TrainConfig(seed=2, epochs=7, chunk=64, restart_streams=2, lr_decay_every=3)
    cfg = BluesConfig(chord_hidden=6, melody_hidden=5, choruses=3, train=train)
    enc = BluesEncoding()
    x, y = loop_tensors(*corpus_arrays(cfg, enc), enc)
    _assert_same_training(lambda: build_model(cfg, enc), x, y, train, 100)


def _two_layer_net():
    net = torch.nn.Sequential(
        torch.nn.Linear(5, 7), torch.nn.Tanh(), torch.nn.Linear(7, 3), torch.nn.Linear(3, 2)
    )
    net[3].requires_grad_(False)  # parameters without a gradient are skipped, as torch.optim does
    return net


@pytest.mark.parametrize("weight_decay", [0.0, 1e-2])
def test_fused_adam_repeats_torch_adam_fused(weight_decay):
    from improvise.train.optim import FusedAdam

    weights = []
    for make in (
        lambda ps: torch.optim.Adam(ps, lr=0.02, weight_decay=weight_decay, fused=True),
        lambda ps: FusedAdam(ps, lr=0.02, weight_decay=weight_decay),
    ):
        torch.manual_seed(0)
        net = _two_layer_net()
        opt = make(list(net.parameters()))
        g = torch.Generator().manual_seed(1)
        for step in range(30):
            loss = net(torch.randn(16, 5, generator=g)).pow(2).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if step % 10 == 9:
                opt.param_groups[0]["lr"] *= 0.5
        weights.append(torch.cat([p.detach().flatten() for p in net.parameters()]))
    assert torch.equal(weights[0], weights[1])
    assert not torch.equal(
        weights[0], torch.cat([p.detach().flatten() for p in _two_layer_net().parameters()])
    )


@pytest.mark.parametrize("max_norm", [0.01, 100.0])  # clipping, and a norm under the limit
def test_clip_grad_norm_repeats_torch(max_norm):
    from improvise.train.optim import clip_grad_norm_

    grads = []
    for clip in (lambda ps, m: torch.nn.utils.clip_grad_norm_(ps, m, foreach=True), clip_grad_norm_):
        torch.manual_seed(0)
        net = _two_layer_net()
        net(torch.randn(4, 5)).sum().backward()
        params = list(net.parameters())
        norm = clip(params, max_norm)
        grads.append(torch.cat([p.grad.flatten() for p in params if p.grad is not None]))
    assert torch.equal(grads[0], grads[1])
    assert (float(grads[1].norm()) < float(norm)) == (max_norm < float(norm))


def test_blues_config_names_the_cells_of_the_network():
    from improvise.blues.config import CELLS as NAMES
    from improvise.nn.chord_melody import CELLS

    assert NAMES == tuple(sorted(CELLS))


def test_numpy_baseline_gradients_match_central_differences():
    from improvise.experiments import numpy_blues_baseline as nb

    rng = np.random.default_rng(0)
    p = nb.init_params(rng, h1=3, h2=4)
    for k in p:
        p[k] += 0.3 * rng.standard_normal(p[k].shape)
    x, yc, yp = nb.corpus(0, choruses=2)
    x, yc, yp = x[:6], yc[:6], yp[:6]
    _, grads = nb.backward(p, nb.forward(p, x), yc, yp)
    worst = 0.0
    for k in p:
        flat = p[k].reshape(-1)
        for i in rng.choice(flat.size, size=min(5, flat.size), replace=False):
            saved = flat[i]
            flat[i] = saved + 1e-5
            up, _ = nb.backward(p, nb.forward(p, x), yc, yp)
            flat[i] = saved - 1e-5
            down, _ = nb.backward(p, nb.forward(p, x), yc, yp)
            flat[i] = saved
            numeric, analytic = (up - down) / 2e-5, grads[k].reshape(-1)[i]
            worst = max(worst, abs(numeric - analytic) / max(abs(numeric) + abs(analytic), 1e-12))
    assert worst < 1e-6


def test_numpy_baseline_learns_without_torch(tmp_path):
    import subprocess
    import sys

    code = (
        "import sys, json\n"
        "from improvise.experiments.numpy_blues_baseline import main\n"
        f"main(['--epochs', '30', '--out', {str(tmp_path)!r}])\n"
        "h = json.load(open(sys.argv[1] + '/history.json'))\n"
        "assert h['loss'][-1] < h['loss'][0], h['loss']\n"
        "print('torch' in sys.modules)"
    )
    r = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=300
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == "False"
    assert {p.name for p in tmp_path.iterdir()} == {"history.json", "tokens.json", "weights.npz"}
