"""The **kern grammar: the real corpus passes, broken lines do not, masked sampling stays valid."""

import time
from pathlib import Path

import pytest
import torch

from improvise.kern.grammar import KernGrammar, advance, check_body, initial_state
from improvise.kern.prepare import prepare_text, read_kern_text
from improvise.kern.sample import SampleConfig, finish_body, sample_body
from improvise.nn.char_lstm import CharLSTM, CharLSTMConfig, NumpyCharStep

KERN = Path(__file__).resolve().parents[2] / "shared" / "data" / "kern"
BODY = [
    "@",
    "4C\t8e/L\t.",
    ".\t8g/J\tp",
    "*\t*^\t*",
    "8D/ 8F/\t4r\t(16a\\LL\t.",
    ".\t.\t16b\\JJ)\t.",
    "8G\\\t.\t16cc\\\t<",
    ".\t.\t16dd\\\t.",
    "*\t*v\t*v\t*",
    "@",
    "2C\t2e 2g\t.",
]


def _fails(lines, layout=("kern", "kern", "dynam"), strict=False):
    errors, _ = check_body(lines, layout, strict=strict)
    return errors


@pytest.mark.skipif(not KERN.is_dir(), reason="shared/data is not beside the checkout")
@pytest.mark.parametrize(
    "name", ["mozart/sonata01-2.krn", "mozart/sonata07-1.krn", "beethoven/sonata14-1.krn"]
)
def test_every_line_of_real_sonatas_passes(name):
    p = prepare_text(read_kern_text(KERN / name))
    body = p.body[:-1] if p.body[-1].startswith("*-") else p.body
    errors, state = check_body(body, p.layout, p.origins)
    assert errors == [] and state.notes > 500


def test_a_valid_body_passes_and_counts_notes():
    errors, s = check_body(BODY)
    assert errors == [] and s.notes == 13 and len(s.spines) == 3


@pytest.mark.parametrize(
    "line,reason",
    [
        ("4C\t4e", "2 fields where 3"),  # wrong field count
        ("4C\t4h\t.", "'h'"),  # not a pitch
        ("4C\t4e\tzz", "'z'"),  # not a dynamic
        ("*v\t*\t*", "'v'"),  # a lone join
        ("*-\t*-\t*-", "'-'"),  # terminators are the finishing pass's
        ("4C\t4ee#####\t.", "'#'"),  # too many accidentals
    ],
)
def test_broken_lines_are_rejected(line, reason):
    errors = _fails(["@", line])
    assert len(errors) == 1 and errors[0]["line"] == 2 and reason in errors[0]["reason"]


def test_rhythm_nulls_barlines_and_joins():
    assert _fails(["2C\t4e\t.", "4D\t4f\t."])[0]["reason"] == "'4' not allowed here"  # C still sounds
    assert _fails(["2C\t4e\t.", ".\t4f\t.", "@"]) == []
    assert _fails(["2C\t4e\t.", "@"])[0]["reason"] == "'@' not allowed here"  # notes still sound
    assert _fails(["4C\t4e\t.", ".\t.\t."], strict=True)[0]["reason"] == "'.' not allowed here"
    assert _fails(
        ["*\t*^\t*", "4C\t2e\t4g\t.", "*\t*v\t*v\t*"], strict=True
    )  # joins need notes ending together
    state = initial_state(strict=True, max_spines=3)
    assert (
        KernGrammar("*^\tv\n").mask(state).sum() == 1
    )  # only '*' may start a line here ... and no split after it
    s = advance(state, "*")
    assert advance(s, "^") is None and advance(s, "\t") is not None


def _tiny_model(chars: str) -> CharLSTM:
    torch.manual_seed(0)
    return CharLSTM(CharLSTMConfig(len(chars), hidden=128, layers=3)).eval()


@pytest.mark.realtime
def test_masked_sampling_from_an_untrained_model_is_valid_and_fast():
    chars = "".join(sorted(set("\n".join(BODY) + "\n" + "#-nLJ()[]'qrABEabcdefg0123468.@*^v<>pf")))
    stepper = NumpyCharStep(_tiny_model(chars))
    cfg = SampleConfig(length=2000, seed=1, temperature=1.0)
    t0 = time.perf_counter()
    s = sample_body(stepper, chars, cfg)
    assert time.perf_counter() - t0 < 5.0 and not s["dead_end"]  # about 0.4 s here (2 cores)
    lines = s["text"].split("\n")
    complete = lines[:-1] if lines[-1] else lines[:-1]
    assert check_body(complete, strict=True)[0] == []
    unconstrained = sample_body(stepper, chars, SampleConfig(length=300, seed=1, grammar=False))
    assert check_body(unconstrained["text"].split("\n")[:-1])[0] != []  # random text breaks lines


def test_finishing_writes_a_complete_file():
    f = finish_body("\n".join(BODY) + "\n2C\t")
    kern = f["kern"].splitlines()
    assert kern[1] == "**kern\t**kern\t**dynam" and "=1\t=1\t=1" in kern and "=2\t=2\t=2" in kern
    assert kern[-1] == "*-\t*-\t*-" and "*M2/4\t*M2/4\t*M2/4" in kern  # the first measure lasts 2 quarters
    assert f["repairs"][-1] == "dropped the unfinished last line" and not f["needs_only_basics"]
    assert finish_body("\n".join(BODY) + "\n")["needs_only_basics"]
