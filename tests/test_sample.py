"""improvise.core.sample.draw: the package's one meaning of temperature."""

import warnings

import numpy as np
import pytest

from improvise.core.errors import ConfigError
from improvise.core.sample import draw


def test_temperature_zero_is_the_argmax_lowest_index_on_ties_and_draws_nothing():
    rng = np.random.default_rng(0)
    before = rng.bit_generator.state
    assert draw(np.array([1.0, 4.0, 4.0, 2.0]), 0, rng) == 1
    assert draw(np.array([1.0, 4.0, 4.0, 2.0]), 0, rng, mask=np.array([1, 0, 1, 1], bool)) == 2
    assert rng.bit_generator.state == before


def test_a_draw_follows_softmax_over_the_allowed_entries():
    rng = np.random.default_rng(1)
    logits, t = np.array([0.0, 1.0, 2.0, 3.0]), 0.7
    mask = np.array([True, True, False, True])
    counts = np.bincount([draw(logits, t, rng, mask) for _ in range(20000)], minlength=4) / 20000
    p = np.exp(logits / t) * mask
    np.testing.assert_allclose(counts, p / p.sum(), atol=0.015)
    assert counts[2] == 0


def test_one_random_number_a_draw():
    a, b = np.random.default_rng(2), np.random.default_rng(2)
    for _ in range(10):
        draw(np.arange(5.0), 1.0, a)
    b.random(10)
    assert a.random() == b.random()


@pytest.mark.parametrize("t", [1e-300, 5e-324, 1e-12])
def test_tiny_temperatures_tend_to_the_argmax_without_overflow(t):
    rng = np.random.default_rng(3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert {draw(np.array([-1e6, 2.0, 1.9999, 1e-3]), t, rng) for _ in range(50)} == {1}


def test_broken_logits_and_empty_masks():
    rng = np.random.default_rng(4)
    assert draw(np.array([np.nan, np.inf, -np.inf]), 1e-9, rng) == 1
    assert draw(np.array([np.nan, 0.0, 5.0]), 0, rng) == 2
    with pytest.raises(ValueError, match="mask"):
        draw(np.zeros(3), 1.0, rng, mask=np.zeros(3, bool))


@pytest.mark.parametrize("t", [-0.5, float("nan"), float("inf"), -float("inf")])
def test_negative_or_non_finite_temperatures_are_config_errors(t):
    with pytest.raises(ConfigError, match="temperature"):
        draw(np.zeros(3), t, np.random.default_rng(5))
