"""The melody model zoo: encodings index by index, every model on one interface, compare,
likelihood and the bad-file policy."""

import json
from pathlib import Path

import numpy as np
import torch

from improvise.cli.main import dispatch
from improvise.data.load import load_corpus
from improvise.encodings import zoo_inputs as me
from improvise.encodings.events import MelodyEventEncoding
from improvise.nn.attention_rnn import AttentionRNN, AttentionRNNConfig
from improvise.nn.hmm import HMM, fit_hmm
from improvise.zoo.model import ZooConfig, load_zoo_model, sample_events

ABC = """X:1
T:Up And Down
M:4/4
L:1/8
K:C
"C"C2 E2 G2 E2|"G7"D2 F2 G2 B2|"C"c2 G2 E2 C2|"G7"D4 "C"C4|
"""


def _abc_folder(tmp_path: Path, n: int = 6) -> Path:
    folder = tmp_path / "tunes"
    folder.mkdir()
    for i in range(n):
        (folder / f"t{i}.abc").write_text(
            ABC.replace("X:1", f"X:{i + 1}").replace("Up And Down", f"Tune {i}")
        )
    return folder


def test_window_and_lookback_layouts_index_by_index():
    v = 5
    ev = np.array([2, 0, 3, 1, 2, 0, 3, 1])
    w = me.window(ev, v, 3)
    assert w.shape == (8, 3 * (v + 1))
    assert (
        w[0, 2] == 1 and w[0, (v + 1) + v] == 1 and w[0, 2 * (v + 1) + v] == 1
    )  # e_0, then two start symbols
    assert w[5, 0] == 1 and w[5, (v + 1) + 2] == 1 and w[5, 2 * (v + 1) + 1] == 1  # e_5=0, e_4=2, e_3=1
    lb = me.lookback(ev, v, steps_per_bar=4)
    assert lb.shape == (8, 3 * v + 2 + me.COUNTER_BITS)
    assert lb[3, v + ev[0]] == 1  # row 3 predicts step 4: one bar back from step 4 is step 0
    assert lb[4, 3 * v] == 1 and lb[4, 3 * v + 1] == 0  # e_4 == e_0 (a bar back), no event two bars back
    assert lb[2, 3 * v : 3 * v + 2].sum() == 0 and lb[2, v : 3 * v].sum() == 0  # nothing a bar back yet
    # counter of the next step's position: row 0 predicts position 1 -> bit 0 set, others clear
    assert lb[0, 3 * v + 2] == 1 and (lb[0, 3 * v + 3 :] == -1).all()


def test_interval_encoding_round_trip_and_transposition_invariance():
    enc = MelodyEventEncoding()
    iv = me.IntervalEncoding()
    ev = np.array([1, 2 + 12, 0, 2 + 16, 1, 2 + 19, 2 + 12])  # C4 . E4 rest G4 C4 (relative to 48)
    assert (iv.to_events(iv.to_intervals(ev)) == ev).all()
    up = ev.copy()
    up[up >= 2] += 2
    assert (iv.to_intervals(ev)[2:] == iv.to_intervals(up)[2:]).all()  # only the first leap (from C4) differs
    assert iv.n_events == 27 and enc.n_events == 39


def test_attention_model_gives_the_same_logits_whole_or_step_by_step():
    torch.manual_seed(0)
    m = AttentionRNN(AttentionRNNConfig(4, 5, hidden=6, window=3, dropout=0.0)).eval()
    x = torch.randn(9, 2, 4)
    with torch.no_grad():
        whole, _, _ = m(x)
        state, parts = None, []
        for t in range(9):
            out, _, state = m(x[t : t + 1], state=state)
            parts.append(out)
    assert torch.allclose(whole, torch.cat(parts), atol=1e-6)


def test_hmm_predictions_are_distributions_and_fit_picks_states_on_validation():
    seqs = [np.array([2, 3, 4, 0, 1] * 20)] * 4
    hmm, info = fit_hmm(seqs, seqs[:1], 6, states=(1, 5), seed=0)
    assert info["states"] == 5 and info["valid_nll"][5] < info["valid_nll"][1]
    lp = hmm.log_probs(seqs[0])
    assert np.allclose(np.exp(lp).sum(1), 1) and hmm.nll(seqs) < 0.1
    again = HMM(**hmm.to_arrays())
    assert np.allclose(again.log_probs(seqs[0][:10]), lp[:10])
    logits, loss, belief = hmm.forward(
        seqs[0][:-1], seqs[0][1:]
    )  # the model interface: logits of what follows
    assert np.allclose(logits, lp[1:]) and loss < 0.1
    more, _, _ = hmm.forward(seqs[0][4:8], state=hmm.forward(seqs[0][:4])[2])  # state carries on
    assert np.allclose(more, lp[5:9])


def test_load_corpus_skips_or_fails_on_bad_files(tmp_path, capsys):
    folder = _abc_folder(tmp_path, 3)
    (folder / "junk.mid").write_bytes(b"\x00\x01garbage")
    (folder / "cut.abc").write_text("X:1\nT:cut\nK:C\n")  # a header and no notes
    (folder / "half.musicxml").write_text(
        '<?xml version="1.0"?><score-partwise><part id="P1"><measure'
    )  # truncated
    corpus = load_corpus(str(folder))
    assert len(corpus.pieces) == 3 and corpus.has_chords
    err = capsys.readouterr().err
    assert "junk.mid" in err and "cut.abc" in err and "half.musicxml" in err and "Traceback" not in err
    assert {Path(p).name.split(" ")[0] for p, _ in corpus.skipped} == {"junk.mid", "cut.abc", "half.musicxml"}
    assert (
        dispatch(
            [
                "compare",
                "--data",
                str(folder),
                "--models",
                "markov1",
                "--out",
                str(tmp_path / "x"),
                "--on-bad-file",
                "fail",
                "--quiet",
            ]
        )
        == 2
    )
    assert "cut.abc" in capsys.readouterr().err  # the first bad file, sorted by name, stops the run


def test_compare_ranks_every_model_and_likelihood_interrogates_one(tmp_path, capsys):
    folder = _abc_folder(tmp_path, 8)
    out = tmp_path / "cmp"
    models = "markov1,markov2,hmm,linear,mlp,rnn,gru,lstm,lookback,attention,interval,lstm+chord"
    assert (
        dispatch(
            [
                "compare",
                "--data",
                str(folder),
                "--models",
                models,
                "--out",
                str(out),
                "--epochs",
                "2",
                "--quiet",
            ]
        )
        == 0
    )
    board = json.loads((out / "leaderboard.json").read_text())
    names = [r["model"] for r in board["rows"]]
    assert names == ["held-out melodies"] + models.split(",")
    for r in board["rows"][1:]:
        assert 0 < r["test_nll"] < 5 and 0 <= r["test_acc"] <= 1 and 0 <= r["pc_overlap"] <= 1
        assert r["chord_tone_rate"] is not None and 0 <= r["copy_share"] <= 1
    assert board["rows"][0]["copy_share"] == 1.0  # the same tune is in train and test
    assert (out / "leaderboard.png").stat().st_size > 1000 and "| lstm |" in (
        out / "leaderboard.md"
    ).read_text()
    split = json.loads((out / "split.json").read_text())
    assert sorted(sum(split.values(), [])) == sorted(f"t{i}.abc#1" for i in range(8))
    # a saved model reloads and scores a piece as it did before saving
    m = load_zoo_model(out / "models" / "lookback")
    tune = load_corpus(str(folder / "t0.abc")).pieces[0][1]
    ev = m.enc.tune_to_events(tune)
    lp = m.log_probs(ev, tune)
    state, stepped = m.start(tune), []
    for e in ev[:-1]:
        row, state = m.step(state, e)
        stepped.append(row)
    assert np.allclose(np.array(stepped), lp, atol=1e-5)  # step by step == whole sequence
    assert len(sample_events(m, 20, np.random.default_rng(0), tune)) == 20
    assert (
        dispatch(
            [
                "likelihood",
                str(out),
                str(folder / "t0.abc"),
                "--model",
                "markov2",
                "--out",
                str(tmp_path / "lk"),
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "nats/event" in text and "most surprising" in text
    lk = json.loads((tmp_path / "lk" / "likelihood.json").read_text())
    assert (
        lk["events"] == len(ev) - 1
        and abs(np.mean([s["surprisal"] for s in lk["steps"]]) - lk["nll_per_event"]) < 1e-9
    )
    assert (tmp_path / "lk" / "likelihood.png").is_file()
    assert dispatch(["likelihood", str(out), str(folder / "t0.abc"), "--model", "nope"]) == 2
    assert "unknown model 'nope'" in capsys.readouterr().err
    assert dispatch(["likelihood", str(out), str(folder / "t0.abc"), "--model", "markov7"]) == 2
    assert "no model 'markov7'" in capsys.readouterr().err
    assert dispatch(["likelihood", str(out), str(folder / "t0.abc"), "--model", "../../x"]) == 2
    assert "unknown model '../../x'" in capsys.readouterr().err


def test_zoo_rejects_unknown_models(tmp_path, capsys):
    folder = _abc_folder(tmp_path, 3)
    assert (
        dispatch(
            [
                "compare",
                "--data",
                str(folder),
                "--models",
                "markov1,transformer",
                "--out",
                str(tmp_path / "o"),
                "--quiet",
            ]
        )
        == 2
    )
    assert "unknown model 'transformer'" in capsys.readouterr().err


def test_resume_goes_on_exactly_where_training_stopped(tmp_path):
    from improvise.zoo.compare import corpus_events, fit_zoo_model

    corpus = load_corpus(str(_abc_folder(tmp_path, 5)))
    enc = MelodyEventEncoding()
    data, _ = corpus_events(corpus, enc)
    straight = fit_zoo_model("lstm", data, enc, ZooConfig(epochs=3, patience=9, hidden=16, max_seconds=0))
    state = tmp_path / "state.pt"
    fit_zoo_model(
        "lstm", data, enc, ZooConfig(epochs=2, patience=9, hidden=16, max_seconds=0), state_file=state
    )
    resumed = fit_zoo_model(
        "lstm", data, enc, ZooConfig(epochs=3, patience=9, hidden=16, max_seconds=0), state_file=state
    )
    assert len(resumed.info["valid_curve"]) == 3
    assert np.allclose(resumed.info["valid_curve"], straight.info["valid_curve"], atol=1e-6)
