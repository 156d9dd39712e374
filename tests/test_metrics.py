import numpy as np

from improvise.blues.task import form_ids, score_rollout
from improvise.core import metrics
from improvise.encodings.blues import BluesEncoding

FORM = form_ids()


def test_perfect_form_scores_one():
    chords = np.resize(FORM, 96 * 3)
    assert metrics.bar_onset_match(chords, FORM, 8) == 1.0
    assert metrics.step_match(chords, FORM) == 1.0
    assert metrics.per_chorus(metrics.bar_onset_match, 96, chords, form=FORM, steps_per_bar=8) == [1.0] * 3


def test_all_c7_scores_two_thirds_of_bar_onsets():
    chords = np.zeros(96, dtype=int)
    assert metrics.bar_onset_match(chords, FORM, 8) == 8 / 12


def test_one_step_late_is_caught_by_step_match_not_onsets_only():
    late = np.roll(np.resize(FORM, 96), 1)  # every change a step late
    assert metrics.bar_onset_match(late, FORM, 8) < 1.0
    assert 0.9 < metrics.step_match(late, FORM) < 1.0


def test_alignment_chorus_k_covers_its_own_steps():
    chords = np.resize(FORM, 96 * 2).copy()
    chords[96:] = 0  # second chorus all C7
    per = metrics.per_chorus(metrics.bar_onset_match, 96, chords, form=FORM, steps_per_bar=8)
    assert per == [1.0, 8 / 12]


def test_on_beat_palette_and_chord_tones():
    enc = BluesEncoding()
    pitches = np.full(8, enc.rest)
    pitches[0] = enc.pitch_id(60)  # C on beat 1
    pitches[2] = enc.pitch_id(75)  # Eb5: in C7's palette, not a C7 chord tone
    chords = np.zeros(8, dtype=int)
    assert metrics.on_beat_rate(pitches, enc.rest, 8) == 0.5  # step 4 is a rest
    assert metrics.palette_rate(chords, pitches, enc.palette_ids(), enc.rest) == 1.0
    assert metrics.chord_tone_rate(chords, pitches, enc.chord_tone_ids(), enc.rest) == 0.5


def test_copy_rate():
    corpus = np.arange(32) % 8
    assert metrics.copy_rate(corpus[:16], corpus, window=8) == 1.0
    assert metrics.copy_rate(np.full(16, 99), corpus, window=8) == 0.0


def test_score_rollout_keys():
    m = score_rollout(np.resize(FORM, 192), np.zeros(192, dtype=int))
    assert m["choruses"] == 2 and len(m["per_chorus_bar_onset"]) == 2
    assert {"bar_onset_match", "step_match", "on_beat_rate", "palette_rate", "chord_tone_rate"} <= set(m)
