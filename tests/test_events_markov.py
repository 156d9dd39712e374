import numpy as np
import pytest

from improvise.core.music import Note, Tune
from improvise.encodings.events import MelodyEventEncoding
from improvise.nn.baselines import MarkovChain, fit_markov


def test_event_layout_and_round_trip():
    enc = MelodyEventEncoding()
    assert enc.n_events == 39
    tune = Tune(chords=[None] * 12, melody=[Note(60, 1, 2), Note(62, 3, 1), Note(96, 6, 3)])
    ev = enc.tune_to_events(tune)
    assert ev.tolist() == [1, 14, 0, 16, 1, 0, 2 + 84 - 48, 0, 0, 1, 0, 0]  # 96 folds to 84
    assert [(n.pitch, n.start, n.length) for n in enc.events_to_notes(ev)] == [
        (60, 1, 2),
        (62, 3, 1),
        (84, 6, 3),
    ]


def test_markov_chain_counts_smooths_and_prefers_order_that_fits():
    seqs = [np.array([2, 3, 4, 2, 3, 4, 2, 3, 4])] * 5
    m0 = MarkovChain(0, 5, 0.1).fit(seqs)
    m1 = MarkovChain(1, 5, 0.1).fit(seqs)
    assert m1.nll(seqs) < m0.nll(seqs)  # the cycle is predictable from one step back
    lp = m1.log_probs((2,))
    assert np.isclose(np.exp(lp).sum(), 1.0) and lp.argmax() == 3
    assert np.exp(m1.log_probs((0,))).min() > 0  # unseen context: backs off, never zero
    assert np.allclose(m1.log_probs((0,)), m0.log_probs(()))  # ... to the unigram it has seen
    logits, loss, state = m1.forward(seqs[0][:-1], targets=seqs[0][1:])
    assert logits.shape == (8, 5) and state is None and loss < 1.0
    assert m1.sample(6, np.random.default_rng(0), primer=[2], temperature=0.01).tolist() == [3, 4, 2, 3, 4, 2]
    best, info = fit_markov(seqs, seqs, 5, 1)
    assert info["alpha"] == min(info["valid_nll"], key=info["valid_nll"].get)
    with pytest.raises(ValueError):
        MarkovChain(1, 5, 0.0)
