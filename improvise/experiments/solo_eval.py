"""The lead-sheet soloist measured (issues 8 and 15), for `make results`: on the WJD solos split
by solo, the soloist against its chord-blind twin (the same network, inputs and training budget,
every chord N.C.) per held-out solo; solos generated over the held-out solos' own changes,
measured as a musician would (`solo.measures`) against the players' 10th-90th percentile band
on the same solos; and the sampler's speed."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from improvise.encodings.conditioned import transpose_tune
from improvise.solo.calibrate import KEYS, draw_over
from improvise.solo.config import SoloConfig
from improvise.solo.generate import SoloControls, generate_solo
from improvise.solo.measures import (
    LABELS,
    MEASURES,
    band,
    copy_rate,
    fragments,
    interval_patterns,
    measure,
    pattern_rate,
)
from improvise.solo.train import blind, load_split, train_solo_model
from improvise.train.loop import sequence_nll
from improvise.zoo.melody_eval import markov_rows

EPOCHS = SoloConfig().epochs  # of each network: the recipe of the shipped soloist


def _moved_changes(tune, semitones: int):
    """The tune with its chords moved and its melody kept: the changes read wrong on purpose."""
    moved = transpose_tune(tune, semitones)
    return type(tune)(
        chords=moved.chords,
        melody=tune.melody,
        steps_per_bar=tune.steps_per_bar,
        beats_per_bar=tune.beats_per_bar,
        tempo_bpm=tune.tempo_bpm,
    )


def per_solo_nll(trained: dict, solos: dict, ids: list, hear) -> dict:
    enc, model = trained["encoding"], trained["model"]
    return {i: sequence_nll(model, [enc.tune_to_tensors(hear(solos[i].tune))]) for i in ids}


def plain_lstm(events: dict, n_events: int, epochs: int, seed: int) -> tuple[dict, list]:
    """The plain unconditioned event LSTM (`nn.melody_rnn.MelodyRNN`, 128 units, one-hot events
    only) on the loop settings of the soloist (`solo.train.train_config`): its row and its NLL
    per test solo."""
    import torch

    from improvise.nn.melody_rnn import MelodyRNN, MelodyRNNConfig
    from improvise.solo.train import train_config
    from improvise.train.loop import fit_sequences

    eye = np.eye(n_events, dtype=np.float32)
    data = {
        k: [(torch.from_numpy(eye[ev[:-1]]), torch.from_numpy(ev[1:])) for ev in seqs]
        for k, seqs in events.items()
    }
    torch.manual_seed(seed)
    model = MelodyRNN(
        MelodyRNNConfig(input_size=n_events, n_events=n_events, hidden=128, layers=1, dropout=0.2)
    )
    t0 = time.perf_counter()
    res = fit_sequences(
        model, data["train"], data["valid"], train_config(SoloConfig(epochs=epochs, seed=seed))
    )
    row = {
        "model": "plain event LSTM 128 (unconditioned: one-hot events only)",
        "test_nll": sequence_nll(model, data["test"]),
        "valid_nll": res["best_valid_nll"],
        "seconds": time.perf_counter() - t0,
        "epochs": res["epochs_run"],
    }
    return row, [sequence_nll(model, [xy]) for xy in data["test"]]


def evaluate_solo(wjd: Path, epochs: int = EPOCHS, seed: int = 0) -> dict:
    solos, split = load_split(wjd, "all", "swing")
    trained = {}
    for chords in (True, False):
        cfg = SoloConfig(subset="all", chords=chords, epochs=epochs, seed=seed)
        trained[chords] = train_solo_model(wjd, cfg, data=(solos, split))
    enc = trained[True]["encoding"]
    events = {k: [enc.events.tune_to_events(solos[i].tune) for i in ids] for k, ids in split.items()}
    rows = markov_rows(events, enc.events.n_events, orders=(2, 4))
    plain_row, plain = plain_lstm(events, enc.events.n_events, epochs, seed)
    rows.append(plain_row)
    for chords, name in ((False, "chord-blind twin (every chord N.C.)"), (True, "soloist (chords)")):
        t = trained[chords]
        rows.append(
            {
                "model": name,
                "test_nll": t["test_nll"],
                "valid_nll": t["valid_nll"],
                "seconds": t["train_seconds"],
                "epochs": t["epochs_run"],
            }
        )
    test = split["test"]
    cond = per_solo_nll(trained[True], solos, test, lambda t: t)
    twin = per_solo_nll(trained[False], solos, test, blind)
    tritone = per_solo_nll(trained[True], solos, test, lambda t: _moved_changes(t, 6))
    gaps = np.array([twin[i] - cond[i] for i in test])
    plain_gaps = np.array([p - cond[i] for p, i in zip(plain, test)])
    return {
        "split": {k: len(v) for k, v in split.items()},
        "epochs": epochs,
        "rows": rows,
        "per_solo": {"cond": cond, "twin": twin, "tritone": tritone, "plain": dict(zip(test, plain))},
        "gap_mean": float(gaps.mean()),
        "gap_share_005": float(np.mean(gaps >= 0.05)),
        "plain_gap_mean": float(plain_gaps.mean()),
        "plain_gap_share_005": float(np.mean(plain_gaps >= 0.05)),
        "plain_nll": float(np.mean(plain)),
        "tritone_nll": float(np.mean(list(tritone.values()))),
        "cond_nll": float(np.mean(list(cond.values()))),
        "twin_nll": float(np.mean(list(twin.values()))),
        "calibration": trained[True]["calibration"],
        "generation": evaluate_generation(trained[True], solos, split, seed),
        "speed": sampling_speed(trained[True]),
    }


def evaluate_generation(trained: dict, solos: dict, split: dict, seed: int = 0) -> dict:
    """A solo over each held-out solo's own chord track (temperature 1, the model's whole
    register, its chord-tone calibration), measured beside the player's."""
    model, enc = trained["model"], trained["encoding"]
    train_frags, train_patterns = set(), set()
    for i in split["train"]:
        train_frags |= fragments(enc.events.tune_to_events(solos[i].tune))
        train_patterns.update(interval_patterns(solos[i].tune))
    gen, human = [], []
    cal = trained.get("calibration") or {}
    tunes = [solos[i].tune for i in split["test"]]
    drawn = draw_over(model, enc, tunes, seed, **{k: cal.get(k, 0.0) for k in KEYS})
    for tune, (ev, g) in zip(tunes, drawn):
        gen.append(
            {
                **measure(g),
                "copy_rate": copy_rate(ev, train_frags),
                "pattern_rate": pattern_rate(g, train_patterns),
            }
        )
        human.append(
            {
                **measure(tune),
                "copy_rate": copy_rate(enc.events.tune_to_events(tune), train_frags),
                "pattern_rate": pattern_rate(tune, train_patterns),
            }
        )
    names = (*MEASURES, "copy_rate", "pattern_rate")
    out = {}
    for name in names:
        out[name] = {"generated": band([g[name] for g in gen]), "players": band([h[name] for h in human])}
        p, g = out[name]["players"], out[name]["generated"]
        values = [h[name] for h in human if h[name] is not None]
        lo, hi = (p["p10"], p["p90"]) if p["p90"] > p["p10"] else (min(values), max(values))
        out[name]["within"] = g["mean"] is not None and lo <= g["mean"] <= hi
        if name == "pattern_rate":  # licks taken over: as few as the players take, or fewer
            out[name]["within"] = g["mean"] is not None and g["mean"] <= p["mean"]
    return out


def sampling_speed(trained: dict, bars: int = 384) -> dict:
    """Seconds to draw `bars` bars of the shipped Blues For Alice (one thread, numpy)."""
    from improvise.leadsheet.load import load_leadsheet
    from improvise.solo.builtin import find_builtin

    sheet = load_leadsheet(str(find_builtin("Blues For Alice")))
    chords = sheet.chord_per_step(4) * (bars // len(sheet.bars))
    t0 = time.perf_counter()
    cal = trained.get("calibration") or {}
    controls = SoloControls(seed=0, **{k: cal.get(k, 0.0) for k in KEYS})  # as improvise solo draws
    generate_solo(trained["model"], trained["encoding"], chords, 16, controls)
    seconds = time.perf_counter() - t0
    return {
        "bars": bars,
        "steps": len(chords),
        "seconds": seconds,
        "us_per_step": 1e6 * seconds / len(chords),
    }


def _f(v, spec=".3f") -> str:
    return "–" if v is None else format(v, spec)


def render_section(result: dict) -> list[str]:
    s, g = result["split"], result["generation"]
    lines = [
        "## Solos over any lead sheet (issues 8 and 15): all 456 WJD solos",
        "",
        f"Split by solo: {s['train']} train, {s['valid']} valid, {s['test']} test; solos in C on the "
        "swing-aware grid (four steps a beat, swung eighths read as eighths: `data.wjd`, grid "
        '"swing"), as events. Both networks: `improvise.solo.model.SoloNet` (LSTM 128 with the '
        "per-pitch chord-degree and leap terms), the same inputs, every training window in a random "
        f"key, at most {result['epochs']} epochs each (early stopping on the validation solos) on the "
        "shared loop (`fit_sequences`), the recipe of the shipped soloist; "
        "the twin hears every chord as N.C. Negative log-likelihood per event on the test solos, "
        "nats (lower is better).",
        "",
        "| model | test NLL | valid NLL | seconds | epochs |",
        "|---|---|---|---|---|",
    ]
    for r in result["rows"]:
        lines.append(
            f"| {r['model']} | {r['test_nll']:.3f} | {r['valid_nll']:.3f} | {r['seconds']:.1f} | "
            f"{r.get('epochs', '')} |"
        )
    lines += [
        "",
        f"Per held-out solo: the soloist's NLL is at least 0.05 nats/event below its chord-blind "
        f"twin's on {result['gap_share_005']:.0%} of the {s['test']} test solos (mean gap "
        f"{result['gap_mean']:.3f}; means {result['cond_nll']:.3f} against {result['twin_nll']:.3f}). "
        f"The same solos with their changes moved a tritone (melody kept): {result['tritone_nll']:.3f}. "
        f"Against the plain event LSTM (one-hot events only, the same loop settings): at least 0.05 lower "
        f"on {result['plain_gap_share_005']:.0%} (mean gap {result['plain_gap_mean']:.3f}; plain "
        f"{result['plain_nll']:.3f}).",
        "",
        _calibration_text(result["calibration"]),
        "",
        "Generated over each test solo's own changes (temperature 1, one solo each, the model's whole "
        "register, its calibrated biases), against the players on the same solos; per-solo "
        "values, mean and 10th-90th percentile (`improvise.solo.measures`; where the players' band is "
        "one value, as for the copy rate, their whole range; for the interval patterns, at most the "
        "players' mean):",
        "",
        "| measure | generated mean | generated p10-p90 | players mean | players p10-p90 "
        "| within the players' band |",
        "|---|---|---|---|---|---|",
    ]
    for name, d in g.items():
        a, p = d["generated"], d["players"]
        lines.append(
            f"| {LABELS[name]} | {_f(a['mean'])} | {_f(a['p10'])}-{_f(a['p90'])} | {_f(p['mean'])} | "
            f"{_f(p['p10'])}-{_f(p['p90'])} | {'yes' if d['within'] else 'no'} |"
        )
    sp = result["speed"]
    lines += [
        "",
        f"Sampling speed (numpy, one thread): {sp['bars']} bars ({sp['steps']} steps) in "
        f"{sp['seconds']:.2f} s, {sp['us_per_step']:.0f} µs a step, on this 2-core machine shared with "
        "other jobs.",
        "",
    ]
    return lines


def _calibration_text(cal: dict) -> str:
    p, u, r = cal["players"], cal["unbiased"], cal["reached"]

    def row(name: str, label: str, spec: str = ".3f") -> str:
        return f"| {label} | {u[name]:{spec}} | {p[name]:{spec}} | {r[name]:{spec}} |"

    return "\n".join(
        [
            f"Sampling calibration (`solo.calibrate`, on the {cal['solos']} validation and every third "
            "training solo, never the test solos), per-solo means of solos drawn over those solos' "
            "changes against the players on them:",
            "",
            "| measure | drawn, no bias | players | drawn, calibrated |",
            "|---|---|---|---|",
            row("strong_beat_ctr", "chord tones on beats 1 and 3"),
            row("chord_tone_rate", "chord-tone rate"),
            row("motif_recurrence", "5-note shapes recurring in the solo"),
            row("phrase_beats", "mean phrase length (beats)", ".2f"),
            "",
            f"Biases: {cal['strong_tones']:+.3f} on the chord tones' log-odds among the pitches on beats 1 "
            f"and 3, {cal['other_tones']:+.3f} elsewhere, {cal['motif']:+.3f} on the pitch the motif memory "
            f"suggests (these three leave onsets alone), {cal['density']:+.3f} on every note-on.",
        ]
    )


def replace_section(doc: str, lines: list[str]) -> str:
    """`doc` with its soloist section (from its '## Solos over any lead sheet' heading to the
    next heading of that level or higher) replaced by `lines`."""
    out, skipping, done = [], False, False
    for line in doc.split("\n"):
        if line.startswith("## Solos over any lead sheet"):
            out += lines
            skipping, done = True, True
            continue
        if skipping and (line.startswith("## ") or line.startswith("# ")):
            skipping = False
        if not skipping:
            out.append(line)
    if not done:
        raise ValueError("no '## Solos over any lead sheet' section to replace")
    return "\n".join(out)


def main(argv=None) -> int:
    """`python -m improvise.experiments.solo_eval --wjd WJD --results docs/results.md`: this
    section alone, rewritten in place (make results writes it with everything else), the raw
    figures beside it in docs/solo_results.json."""
    import argparse
    import json

    p = argparse.ArgumentParser(description=main.__doc__)
    p.add_argument("--wjd", required=True)
    p.add_argument("--results", default="docs/results.md")
    p.add_argument("--epochs", type=int, default=EPOCHS)
    a = p.parse_args(argv)
    result = evaluate_solo(Path(a.wjd), a.epochs)
    path = Path(a.results)
    path.write_text(replace_section(path.read_text(), render_section(result)))
    (path.parent / "solo_results.json").write_text(json.dumps(result, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
