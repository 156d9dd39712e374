"""`improvise compare`: train every model of the zoo on one corpus and rank them.

For a corpus spec (see data.load) the pieces are split by piece (hash of the piece name:
deterministic, saved as split.json), turned into MelodyEventEncoding events, and each model is
trained on train, early-stopped or tuned on valid and scored on test:

    test_nll         negative log-likelihood per event (nats) of e_1..e_{T-1} of every test piece
    test_acc         share of those events that are the model's most probable next event
    pc_overlap       sum over the 12 pitch classes of min(p_sampled, p_held_out), note-ons
    chord_tone_rate  sampled note-ons in the triad + 7th of the held-out piece's chord (if chords)
    copy_share       sampled 2-bar fragments (with notes) found verbatim in the training pieces

One melody is sampled per test piece (at most `max_samples`), as long as the piece (at most 32
bars) and over its chords, at temperature 1. A "held-out melodies" row scores the test pieces
themselves the same way, as the human reference. Output: DIR/leaderboard.json, leaderboard.md,
leaderboard.png, config.json, corpus.json, split.json and DIR/models/NAME/ (load_zoo_model).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch

from improvise.core.music import QUALITIES
from improvise.data.load import Corpus, load_corpus, split_pieces
from improvise.encodings.events import MelodyEventEncoding
from improvise.zoo.model import (
    ZooConfig,
    ZooModel,
    build_network,
    features,
    sample_events,
    valid_name,
    write_meta,
)


# ---- training ---------------------------------------------------------------------------------
def _own(model_kind: str, ev: np.ndarray) -> np.ndarray:
    from improvise.encodings.zoo_inputs import IntervalEncoding

    return IntervalEncoding().to_intervals(ev) if model_kind == "interval" else ev


def _window_batches(kind: str, pieces: list, enc, cfg: ZooConfig, length: int, batch: int, per_epoch: int):
    """batches(rng, epoch) for the shared trainer: random windows, inputs built on the fly."""
    own = [_own(kind, ev) for _, ev, _ in pieces]
    lengths = np.array([len(e) - 1 for e in own], dtype=float)
    history = max(cfg.window, 2 * 32 + 1)  # events before a window that its first rows look back at
    # (rows from `history` on never see the window's own start padding or a cut-off lookback)

    def batches(rng: np.random.Generator, epoch: int):
        for _ in range(per_epoch):
            xs, ys = [], []
            for i in rng.choice(len(own), size=batch, p=lengths / lengths.sum()):
                ev, tune = own[i], pieces[i][2]
                start = int(rng.integers(0, max(1, len(ev) - 1 - length)))
                s0 = max(0, start - history)
                stop = min(len(ev) - 1, start + length)
                x = features(kind, ev[s0:stop], tune, enc, cfg.window, offset=s0)[start - s0 :]
                y = ev[start + 1 : stop + 1].astype(np.int64)
                pad = length - len(y)
                xs.append(np.pad(x, ((0, pad), (0, 0))))
                ys.append(np.pad(y, (0, pad), constant_values=-1))
            yield torch.from_numpy(np.stack(xs, 1)), torch.from_numpy(np.stack(ys, 1)), False

    return batches


def nll_and_accuracy(model: ZooModel, pieces: list) -> tuple[float, float]:
    total = hits = n = 0
    for _, ev, tune in pieces:
        lp = model.log_probs(ev, tune)
        tg = model.targets(ev)[1:]
        total -= lp[np.arange(len(tg)), tg].sum()
        hits += int((lp.argmax(1) == tg).sum())
        n += len(tg)
    return total / max(n, 1), hits / max(n, 1)


def _fit_markov(name: str, data: dict, enc: MelodyEventEncoding, cfg: ZooConfig) -> ZooModel:
    """A Markov chain of the order in the name (markov2: order 2), its smoothing picked on valid."""
    from improvise.nn.baselines import fit_markov

    chain, info = fit_markov(
        [e for _, e, _ in data["train"]],
        [e for _, e, _ in data["valid"]],
        enc.n_events,
        int(name[6:]),
        cfg.markov_alphas,
    )
    return ZooModel(name, enc, cfg, chain, {"alpha": info["alpha"]})


def _fit_hmm(name: str, data: dict, enc: MelodyEventEncoding, cfg: ZooConfig) -> ZooModel:
    """A hidden Markov model, its number of states picked on valid."""
    from improvise.nn.hmm import fit_hmm

    hmm, info = fit_hmm(
        [e for _, e, _ in data["train"]],
        [e for _, e, _ in data["valid"]],
        enc.n_events,
        cfg.hmm_states,
        cfg.seed,
    )
    return ZooModel(name, enc, cfg, hmm, {"states": info["states"]})


def _resume_and_save(state_file: Path | None):
    """(resume, save) for the trainer: the training state read from `state_file` if it is there
    (None otherwise), and a function that writes a state there atomically (None without a file)."""
    if state_file is None:
        return None, None
    from improvise.core.runs import _atomic

    state_file = Path(state_file)
    resume = None
    if state_file.is_file():
        try:
            resume = torch.load(state_file, map_location="cpu", weights_only=True)
        except Exception as e:  # a damaged or foreign file
            from improvise.core.errors import UserError

            raise UserError(f"{state_file}: not a readable training state ({type(e).__name__})") from None
    save = lambda st: _atomic(state_file, lambda fh: torch.save(st, fh))  # noqa: E731
    return resume, save


def _fit_neural(
    name: str, data: dict, enc: MelodyEventEncoding, cfg: ZooConfig, progress: bool, state_file: Path | None
) -> ZooModel:
    """A neural zoo model trained by the shared trainer on random windows of the training pieces,
    early-stopped on valid NLL; resumed from and saved to `state_file` when one is given."""
    from improvise.train.loop import SequenceTrainConfig, fit_sequences

    torch.manual_seed(cfg.seed)
    model = ZooModel(name, enc, cfg, build_network(name, enc, cfg))
    length, batch = 128, 32
    steps = sum(len(e) for _, e, _ in data["train"])
    per_epoch = int(np.clip(steps // (length * batch), 8, 128))
    tcfg = SequenceTrainConfig(
        epochs=cfg.epochs,
        windows=per_epoch * batch,
        window=length,
        batch=batch,
        lr=cfg.lr,
        clip=cfg.clip,
        patience=cfg.patience,
        seed=cfg.seed,
        threads=cfg.threads,
        max_seconds=cfg.max_seconds,
        lr_decay=0.5,
    )
    resume, save = _resume_and_save(state_file)
    res = fit_sequences(
        model.core,
        [],
        [],
        tcfg,
        progress=progress,
        checkpoint=save,
        resume=resume,
        batches=_window_batches(name, data["train"], enc, cfg, length, batch, per_epoch),
        evaluate=lambda _m: nll_and_accuracy(model, data["valid"])[0],
    )
    model.info = {"epochs_run": res["epochs_run"], "valid_curve": res["history"]["valid_nll"]}
    return model


def fit_zoo_model(
    name: str,
    data: dict,
    enc: MelodyEventEncoding,
    cfg: ZooConfig,
    progress: bool = False,
    state_file: Path | None = None,
) -> ZooModel:
    """Train model `name` on data = {train, valid: [(id, events, tune)]}. A neural model saves
    the trainer's state to `state_file` after every epoch and, if the file is there, goes on
    from it (`improvise compare --resume`)."""
    valid_name(name)
    if name.startswith("markov"):
        return _fit_markov(name, data, enc, cfg)
    if name == "hmm":
        return _fit_hmm(name, data, enc, cfg)
    return _fit_neural(name, data, enc, cfg, progress, state_file)


# ---- scores on sampled melodies ---------------------------------------------------------------
def _fragments(ev: np.ndarray, bar: int) -> list[tuple]:
    """2-bar windows with notes, taken at every bar (the soloist's copy-rate windows)."""
    from improvise.solo.soloist import note_windows

    return note_windows(ev, 2 * bar, bar)


def melody_scores(
    melodies: list, held_out_pcs: np.ndarray, train_frags: set, enc: MelodyEventEncoding
) -> dict:
    """melodies: [(events, tune)] -> pitch-class overlap, chord-tone rate, copied-fragment share."""
    pcs, hits, chordal, frags, copied = np.zeros(12), 0, 0, 0, 0
    for ev, tune in melodies:
        on = np.flatnonzero(ev >= 2)
        pitch = enc.min_pitch + ev[on] - 2
        np.add.at(pcs, pitch % 12, 1)
        for t, p in zip(on, pitch):
            c = tune.chords[t] if t < tune.steps else None
            if c is not None and getattr(c, "root", None) is not None:
                chordal += 1
                hits += (p - c.root) % 12 in QUALITIES[c.quality]
        fr = _fragments(ev, tune.steps_per_bar)
        frags += len(fr)
        copied += sum(f in train_frags for f in fr)
    p = pcs / max(pcs.sum(), 1)
    q = held_out_pcs / max(held_out_pcs.sum(), 1)
    return {
        "pc_overlap": float(np.minimum(p, q).sum()),
        "chord_tone_rate": hits / chordal if chordal else None,
        "copy_share": copied / frags if frags else 0.0,
    }


# ---- the comparison ---------------------------------------------------------------------------
def corpus_events(corpus: Corpus, enc: MelodyEventEncoding) -> tuple[dict, dict]:
    split = split_pieces([name for name, _ in corpus.pieces])
    by_name = dict(corpus.pieces)
    data = {k: [(n, enc.tune_to_events(by_name[n]), by_name[n]) for n in names] for k, names in split.items()}
    if not data["train"] or not data["valid"] or not data["test"]:
        from improvise.core.errors import UserError

        raise UserError(
            f"{corpus.spec}: too few pieces to split into train, valid and test ({len(corpus.pieces)})"
        )
    return data, split


def _held_out_reference(split_data: dict, max_samples: int, enc: MelodyEventEncoding):
    """(held_out, held_pcs, train_frags): the test melodies the models are asked to follow (at most
    `max_samples`, 32 bars each), their pitch-class counts, and every 2-bar training fragment."""
    train_frags = {f for _, ev, tune in split_data["train"] for f in _fragments(ev, tune.steps_per_bar)}
    held_out = [(ev[: 32 * t.steps_per_bar], t) for _, ev, t in split_data["test"][:max_samples]]
    held_pcs = np.zeros(12)
    for ev, _ in held_out:
        np.add.at(held_pcs, (enc.min_pitch + ev[ev >= 2] - 2) % 12, 1)
    return held_out, held_pcs, train_frags


def _trained_or_loaded(
    name: str, split_data: dict, enc, cfg: ZooConfig, out: Path, progress: bool, resume: bool
):
    """(model, seconds): the model saved in DIR/models/NAME when resuming and it is there, trained
    otherwise (its training state in DIR/models/.NAME.train-state.pt while it trains)."""
    t0 = time.perf_counter()
    folder = out / "models" / name
    if resume and (folder / "config.json").is_file():
        from improvise.zoo.model import load_zoo_model

        model = load_zoo_model(folder)
        return model, model.info.get("seconds")
    model = fit_zoo_model(name, split_data, enc, cfg, progress, out / "models" / f".{name}.train-state.pt")
    seconds = time.perf_counter() - t0
    model.info["seconds"] = seconds
    return model, seconds


def _score_and_save(
    name: str, model: ZooModel, seconds, split_data: dict, reference, enc, cfg, out: Path
) -> dict:
    """The leaderboard row of a trained model: test and valid NLL, test accuracy, and the scores of
    one melody sampled over each held-out piece; the model is saved and its training state removed."""
    held_out, held_pcs, train_frags = reference
    nll, acc = nll_and_accuracy(model, split_data["test"])
    vnll, _ = nll_and_accuracy(model, split_data["valid"])
    rng = np.random.default_rng(cfg.seed)
    sampled = [(sample_events(model, len(ev), rng, tune), tune) for ev, tune in held_out]
    model.save(out / "models" / name)
    (out / "models" / f".{name}.train-state.pt").unlink(missing_ok=True)
    n_params = sum(p.numel() for p in model.core.parameters()) if hasattr(model.core, "parameters") else None
    return {
        "model": name,
        "test_nll": nll,
        "test_acc": acc,
        "valid_nll": vnll,
        "seconds": seconds,
        "params": n_params,
        **melody_scores(sampled, held_pcs, train_frags, enc),
        "info": {k: v for k, v in model.info.items() if k != "valid_curve"},
    }


def _write_leaderboard(out: Path, result: dict) -> None:
    """DIR/leaderboard.json, leaderboard.md and leaderboard.png."""
    write_meta(out / "leaderboard.json", result)
    from improvise.core.runs import write_bytes

    write_bytes(out / "leaderboard.md", "\n".join(leaderboard_table(result)).encode() + b"\n")
    plot_leaderboard(result, out / "leaderboard.png")


def compare(
    data: str,
    models: list[str],
    out: Path,
    cfg: ZooConfig | None = None,
    on_bad_file: str = "skip",
    wjd_dir: Path | None = None,
    steps_per_beat: int = 4,
    max_samples: int = 40,
    progress: bool = False,
    resume: bool = False,
) -> dict:
    """Train and score every model (see the module doc). With `resume`, a model already saved in
    DIR/models/ is loaded instead of trained, and a neural model cut off mid-training goes on
    from its last epoch."""
    cfg = cfg or ZooConfig()
    for m in models:
        valid_name(m)
    out = Path(out)
    enc = MelodyEventEncoding()
    corpus = load_corpus(data, on_bad_file, steps_per_beat, wjd_dir)
    split_data, split = corpus_events(corpus, enc)
    out.mkdir(parents=True, exist_ok=True)
    write_meta(out / "corpus.json", corpus.summary())
    write_meta(out / "split.json", split)
    settings = {"data": data, "models": models, "steps_per_beat": steps_per_beat, "on_bad_file": on_bad_file}
    write_meta(out / "config.json", {**settings, "max_samples": max_samples, "zoo": cfg.to_dict()})
    reference = _held_out_reference(split_data, max_samples, enc)
    held_out, held_pcs, train_frags = reference
    rows = [{"model": "held-out melodies", **melody_scores(held_out, held_pcs, train_frags, enc)}]
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(models, desc="models", unit="model", leave=False, disable=None)
    for name in models:
        if bar is not None:
            bar.set_postfix_str(name)
        model, seconds = _trained_or_loaded(name, split_data, enc, cfg, out, progress, resume)
        rows.append(_score_and_save(name, model, seconds, split_data, reference, enc, cfg, out))
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    result = {
        "data": data,
        "pieces": {k: len(v) for k, v in split.items()},
        "skipped": len(corpus.skipped),
        "steps_per_beat": steps_per_beat,
        "has_chords": corpus.has_chords,
        "rows": rows,
    }
    _write_leaderboard(out, result)
    return result


def leaderboard_table(result: dict) -> list[str]:
    def f(v, spec=".3f"):
        return "–" if v is None else format(v, spec)

    lines = [
        "| model | test NLL (nats/event) | next-event acc | pitch-class overlap | chord-tone rate | "
        "copied 2-bar fragments | train s |",
        "|---|---|---|---|---|---|---|",
    ]
    ranked = sorted(result["rows"], key=lambda r: r.get("test_nll", -1))
    for r in ranked:
        lines.append(
            f"| {r['model']} | {f(r.get('test_nll'))} | {f(r.get('test_acc'))} | {f(r['pc_overlap'])} | "
            f"{f(r['chord_tone_rate'])} | {f(r['copy_share'], '.1%')} | {f(r.get('seconds'), '.0f')} |"
        )
    return lines


def plot_leaderboard(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from improvise.core.runs import _atomic

    rows = sorted((r for r in result["rows"] if "test_nll" in r), key=lambda r: r["test_nll"])
    fig, ax = plt.subplots(figsize=(7, 0.4 * len(rows) + 1.2))
    ax.barh([r["model"] for r in rows][::-1], [r["test_nll"] for r in rows][::-1], color="#4477aa")
    for i, r in enumerate(rows[::-1]):
        ax.text(r["test_nll"], i, f" {r['test_nll']:.3f}", va="center", fontsize=8)
    ax.set_xlabel("held-out negative log-likelihood per event (nats; lower is better)")
    ax.set_title(f"{result['data']}: {result['pieces']['test']} held-out pieces")
    fig.tight_layout()
    _atomic(Path(path), lambda fh: fig.savefig(fh, format="png", dpi=110))
    plt.close(fig)
