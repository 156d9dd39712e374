import numpy as np
import torch

from improvise.nn.melody_rnn import MelodyRNN, MelodyRNNConfig
from improvise.train.loop import SequenceTrainConfig, fit_sequences, sequence_nll


def _data(n, length, seed):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        phase = int(rng.integers(4))
        ev = np.array([(phase + t) % 4 + 2 for t in range(length)])  # a cycle: fully predictable
        x = torch.from_numpy(np.eye(6, dtype=np.float32)[ev[:-1]])
        out.append((x, torch.from_numpy(ev[1:])))
    return out


def _model():
    torch.manual_seed(0)
    return MelodyRNN(MelodyRNNConfig(input_size=6, n_events=6, hidden=16, layers=1, dropout=0.0))


def test_learns_a_predictable_sequence_and_keeps_the_best():
    train, valid = _data(8, 60, 0), _data(3, 80, 1)
    model = _model()
    before = sequence_nll(model, valid)
    result = fit_sequences(
        model, train, valid, SequenceTrainConfig(epochs=10, windows=128, window=24, batch=16, lr=2e-2)
    )
    assert before > 1.5 and result["best_valid_nll"] < 0.2
    assert abs(sequence_nll(model, valid) - result["best_valid_nll"]) < 1e-6  # best weights restored


def test_early_stopping_and_resume():
    train, valid = _data(4, 40, 0), _data(2, 40, 1)
    saved = []
    cfg = SequenceTrainConfig(epochs=3, windows=16, window=16, batch=8, lr=1e-3)
    model = _model()
    first = fit_sequences(model, train, valid, cfg, checkpoint=saved.append)
    assert first["epochs_run"] == 3 and len(saved) == 3 and saved[-1]["epoch"] == 3
    cfg.epochs = 5
    again = fit_sequences(_model(), train, valid, cfg, resume=saved[-1])
    assert again["epochs_run"] == 5  # history goes on from epoch 3
    stop = fit_sequences(
        _model(),
        train,
        valid,
        SequenceTrainConfig(epochs=50, windows=8, window=8, batch=8, lr=1e-9, patience=2),
    )
    assert stop["epochs_run"] < 50  # a learning rate this small cannot improve: stopped early
