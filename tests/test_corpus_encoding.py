import numpy as np
import pytest

from improvise.data.blues_synth import BLUES_FORM, BLUES_SCALE, PALETTES, synth_blues_corpus
from improvise.encodings.blues import BluesEncoding


def test_corpus_is_seeded_and_follows_the_form():
    a, b = synth_blues_corpus(8, seed=3), synth_blues_corpus(8, seed=3)
    assert [n.pitch for n in a[0].melody] == [n.pitch for n in b[0].melody]
    assert [n.pitch for n in a[0].melody] != [n.pitch for n in synth_blues_corpus(8, seed=4)[0].melody]
    assert len(a) == 8
    for tune in a:
        assert tune.steps == 96
        assert [c.symbol for c in tune.chords[::8]] == [c.symbol for c in BLUES_FORM.bars]


def test_corpus_melody_rules():
    enc = BluesEncoding()
    for tune in synth_blues_corpus(8, seed=0):
        onsets = {n.start: n.pitch for n in tune.melody}
        for t in range(96):
            palette = PALETTES[tune.chords[t].symbol]
            if t % 8 in (0, 4):
                assert onsets[t] in palette  # strong beats: a palette tone, never a rest
            elif t in onsets:
                assert onsets[t] in BLUES_SCALE
        chords, pitches = enc.tune_to_tokens(tune)
        assert (pitches == enc.rest).mean() < 0.3


def test_encoding_layout_adds_up():
    enc = BluesEncoding()
    assert enc.input_size == 17 == 3 + 3 + 8 + 3
    assert enc.heads == (3, 8)
    assert enc.chord_layer_inputs() == [0, 1, 2, 14, 15, 16]
    assert enc.melody_layer_inputs() == list(range(3, 17))
    assert enc.chord_layer_inputs(clock=False) == [0, 1, 2]


def test_encode_inputs_one_hot_and_clock():
    enc = BluesEncoding()
    chords = np.array([0, 1, 2, 0])
    pitches = np.array([0, 7, 3, 6])
    x = enc.encode_inputs(chords, chords, pitches, start_step=6)
    assert x.shape == (4, 17)
    assert (x[:, 0:3].sum(1) == 1).all() and (x[:, 3:6].sum(1) == 1).all() and (x[:, 6:14].sum(1) == 1).all()
    assert x[1, 1] == 1 and x[1, 4] == 1 and x[1, 6 + 7] == 1
    # steps 6, 7, 8, 9 -> positions 6, 7, 0, 1 in the bar (bits least significant first)
    assert x[:, 14:17].tolist() == [[0, 1, 1], [1, 1, 1], [0, 0, 0], [1, 0, 0]]


def test_tokens_round_trip():
    enc = BluesEncoding()
    tune = synth_blues_corpus(1, seed=1)[0]
    chords, pitches = enc.tune_to_tokens(tune)
    back = enc.tokens_to_tune(chords, pitches)
    assert back.chords == tune.chords
    assert [(n.pitch, n.start) for n in back.melody] == [(n.pitch, n.start) for n in tune.melody]


def test_out_of_vocabulary_is_an_error():
    enc = BluesEncoding()
    with pytest.raises(ValueError, match="not in the vocabulary"):
        enc.pitch_id(61)
