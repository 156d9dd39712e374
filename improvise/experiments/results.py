"""`make results`: regenerate docs/results.md and its plot from scratch.

Does the LSTM keep the blues form where a plain RNN cannot? Every figure here comes from
training 10 models per row (seeds 0-9) and free-running each for 100 choruses.

Run: python -m improvise.experiments.results --out docs/results.md [--wjd ../shared/data/wjd]
"""

from __future__ import annotations

import argparse
import copy
import time
from pathlib import Path

import numpy as np

from improvise.blues.eck2002 import Eck2002Config, eck2002_sweep
from improvise.blues.sweep import blues_sweep
from improvise.blues.task import BluesConfig
from improvise.core.runs import write_bytes, write_json

SEEDS = list(range(10))
CHORUSES = 100
ECK_ROWS = [
    ("experiment 1", 1, "identity"),
    ("experiment 2", 2, "identity"),  # (key, experiment, cell output)
    ("experiment 1, tanh cell output", 1, "tanh"),
]


def blues_rows() -> list[tuple[str, str, BluesConfig, str]]:
    """(name, group, config, feedback) of every blues row."""
    base = BluesConfig()
    rows = [("LSTM (headline)", "cell", base, "belief")]
    for cell in ("gru", "rnn"):
        cfg = copy.deepcopy(base)
        cfg.cell = cell
        rows.append((cell.upper(), "cell", cfg, "belief"))
    for name, change in (
        ("chord layer 20 units (seed 000's H1)", {"chord_hidden": 20}),
        ("no beat clock", {"clock": False}),
        ("stacked: layer 1 reads the melody (seed 000)", {"arch": "stacked"}),
    ):
        cfg = copy.deepcopy(base)
        for k, v in change.items():
            setattr(cfg, k, v)
        rows.append((name, "ablation", cfg, "belief"))
    rows.append(("chord layer fed the drawn chord (seed 000)", "ablation", base, "sample"))
    return rows


def _fmt(x, digits=3) -> str:
    return "n/a" if x is None else f"{x:.{digits}f}"


def _epochs(rows: list[dict]) -> str:
    reached = [r["epochs_to_chord_acc_0.99"] for r in rows if r["epochs_to_chord_acc_0.99"] is not None]
    if not reached:
        return "never"
    return f"{int(np.median(reached))} ({len(reached)}/{len(rows)})"


def plot_per_chorus(curves: dict[str, np.ndarray], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.2), dpi=120)
    x = np.arange(1, next(iter(curves.values())).shape[1] + 1)
    for name, per_seed in curves.items():
        mean = per_seed.mean(0)
        (line,) = ax.plot(x, mean, label=name, lw=1.8)
        ax.fill_between(x, per_seed.min(0), per_seed.max(0), color=line.get_color(), alpha=0.15, lw=0)
    ax.axhline(8 / 12, color="grey", ls=":", lw=1, label="all C7 (0.667)")
    ax.set_xlabel("chorus")
    ax.set_ylabel("bar-onset chord match")
    ax.set_ylim(0.3, 1.02)
    ax.set_title("Free-running, argmax chords: mean over 10 seeds, band = worst to best seed")
    ax.legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    write_bytes(path, buf.getvalue())


def blues_table(raw: dict, out: Path, progress: bool) -> list[str]:
    """Train and free-run every blues row (10 seeds each) into raw["blues"]; the markdown table,
    and the per-chorus plot of the cell rows beside `out`."""
    table = [
        "| model | det. bar-onset mean | worst seed | det. step match | sampled (T = 0.85) mean | "
        "worst seed | palette rate | chord-tone rate | epochs to TF chord acc > 0.99 (seeds) | "
        "train s (median) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    curves = {}
    for name, group, cfg, feedback in blues_rows():
        if progress:
            print(f"  {name} ...", flush=True)
        res = blues_sweep(SEEDS, CHORUSES, cfg, feedback=feedback)
        raw["blues"][name] = res
        rows, s = res["seeds"], res["summary"]
        d, smp = s["deterministic"], s["sampled"]
        table.append(
            f"| {name} | {_fmt(d['bar_onset_match_mean'])} | {_fmt(d['bar_onset_match_min'])} | "
            f"{_fmt(d['step_match_mean'])} | {_fmt(smp['bar_onset_match_mean'])} | "
            f"{_fmt(smp['bar_onset_match_min'])} | {_fmt(d['palette_rate_mean'])} | "
            f"{_fmt(d['chord_tone_rate_mean'])} | {_epochs(rows)} | {s['train_seconds_median']:.2f} |"
        )
        if group == "cell":
            curves[name] = np.array([r["deterministic"]["per_chorus_bar_onset"] for r in rows])
    plot_per_chorus(curves, out.parent / "results_per_chorus.png")
    return table


def eck2002_table(raw: dict, progress: bool) -> list[str]:
    """Train and free-run Eck & Schmidhuber's setup (every ECK_ROWS row, 10 seeds each) into
    raw["eck2002"]; the markdown table."""
    table = [
        "| experiment | cell output | mean bar-onset chord match | worst seed | seeds >= 0.99 | step match | "
        "median TF chord acc | melody chord-tone rate | epochs to TF chord acc > 0.99 (seeds) | "
        "train s (all seeds together) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for key, exp, cell in ECK_ROWS:
        if progress:
            print(f"  eck2002 {key} ...", flush=True)
        res = eck2002_sweep(SEEDS, exp, CHORUSES, Eck2002Config(experiment=exp, cell_output=cell))
        raw["eck2002"][key] = res
        rows = res["seeds"]
        bar = [r["bar_onset_match"] for r in rows]
        ctr = [r["chord_tone_rate"] for r in rows if "chord_tone_rate" in r]
        setup = "chords only, 4 blocks x 2 cells" if exp == 1 else "chords + melody, 8 blocks x 2 cells"
        table.append(
            f"| {exp}: {setup} | {cell} | {np.mean(bar):.3f} | {np.min(bar):.3f} | "
            f"{sum(b >= 0.99 for b in bar)}/{len(bar)} | "
            f"{np.mean([r['step_match'] for r in rows]):.3f} | "
            f"{np.median([r['teacher_forced']['chord_acc'] for r in rows]):.3f} | "
            f"{_fmt(np.mean(ctr) if ctr else None)} | {_epochs(rows)} | "
            f"{res['summary']['train_seconds']:.0f} |"
        )
    return table


def wjd_sections(raw: dict, wjd: Path, progress: bool) -> list[str]:
    """The WJD sections (blues melody models, the chord-conditioned soloist over all solos), their
    figures kept in raw["wjd_blues"] and raw["wjd_solo"]."""
    from improvise.zoo.melody_eval import evaluate_wjd_blues, render_section

    if progress:
        print("  WJD blues melody models ...", flush=True)
    raw["wjd_blues"] = evaluate_wjd_blues(wjd)
    extra = render_section(raw["wjd_blues"])
    from improvise.experiments.solo_eval import evaluate_solo
    from improvise.experiments.solo_eval import render_section as solo_section

    if progress:
        print("  WJD all solos: chord-conditioned soloist ...", flush=True)
    raw["wjd_solo"] = evaluate_solo(wjd)
    return extra + solo_section(raw["wjd_solo"])


def run(out: Path, progress: bool = True, wjd: Path | None = None) -> str:
    """Every experiment of `make results`: writes `out` (docs/results.md), results.json and the
    per-chorus plot beside it; returns the markdown."""
    t_start = time.perf_counter()
    raw: dict = {"blues": {}, "eck2002": {}}
    table = blues_table(raw, out, progress)
    eck = eck2002_table(raw, progress)
    extra = wjd_sections(raw, wjd, progress) if wjd is not None else []
    write_json(out.parent / "results.json", raw)
    minutes = (time.perf_counter() - t_start) / 60
    text = render(table, eck, raw, minutes) + "\n".join(extra + committed_sections(out.parent))
    write_bytes(out, text.encode())
    return text


def committed_sections(docs: Path) -> list[str]:
    """The long experiments' sections (make results-zoo, results-polyphonic, results-kern: up to
    30 minutes of training each), rendered from the outputs they committed under `docs`."""
    from improvise.core.runs import read_json
    from improvise.experiments.zoo_results import render_section as zoo_section

    lines = [
        "# Long experiments",
        "",
        "The sections below are rendered from committed outputs of slower targets, each stating the "
        "command that made it; `make results` does not rerun them.",
        "",
    ]
    body = zoo_section(docs / "zoo")
    poly = {p.stem: read_json(p) for p in sorted((docs / "polyphonic").glob("*.json"))}
    if poly:
        from improvise.polyphonic.report import render_section as poly_section

        body += poly_section(poly)
    kern = docs / "kern" / "kern_results.json"
    if kern.is_file():
        from improvise.experiments.kern import render_section as kern_section

        body += kern_section(read_json(kern))
    return lines + body if body else []


def render(table: list[str], eck_table: list[str], raw: dict, minutes: float) -> str:
    eck_cfg = raw["eck2002"]["experiment 1"]["config"]
    eck = eck_cfg["train"]
    lines = [
        "# Results",
        "",
        "Regenerated from scratch by `make results` "
        "(`python -m improvise.experiments.results --out docs/results.md"
        + (" --wjd ../shared/data/wjd" if "wjd_blues" in raw else "")
        + "`), "
        f"in {minutes:.1f} minutes on a 2-core machine like CI's. "
        "Every row trains 10 models (seeds 0-9) with the same",
        "budget (200 epochs, the headline defaults unless the row says otherwise) and free-runs each for 100",
        "choruses from a single primer step, once with argmax chords (det.) and once with chords drawn at",
        "temperature 0.85; the pitch is always drawn at 0.85. Raw figures: docs/results.json.",
        "",
        "## Does the LSTM keep the form where an RNN cannot?",
        "",
        *table,
        "",
        "![bar-onset chord match per chorus](results_per_chorus.png)",
        "",
        "Reading the table:",
        "",
        *findings(raw),
        "",
        "## Eck & Schmidhuber's own setup (`--setup eck2002`)",
        "",
        "Multi-hot chromatic units (12 chord tones below middle C, 13 melody notes C4-C5), sigmoid",
        "outputs with binary cross-entropy, a single LSTM layer of memory blocks with 2 cells each and",
        "the connectivity mask of experiment 2, no beat clock, pentatonic training melodies built bar by",
        "bar from one-bar segments (data/eck2002.py). The cell follows Gers, Schraudolph & Schmidhuber",
        "2002, the LSTM Eck & Schmidhuber build on (that their blues nets left h out too is our "
        "reading): forget gate, peephole connections from each cell's state to",
        "its block's gates, and no squashing of the cell output (y = output gate x state)"
        + (f", states clamped to +-{eck_cfg['state_clip']:g}" if eck_cfg["state_clip"] else "")
        + ".",
        f"Training: {eck['epochs']:,} epochs, Adam lr {eck['lr']}, "
        f"halved every {eck['lr_decay_every']:,} epochs,",
        f"{eck['streams']} streams of {eck['chunk']} steps a update "
        "on the looped corpus with carried state (one",
        "stream restarts from a zero state at each chorus top); each network's gradient clipped to norm",
        f"{eck['clip']}. The networks of a row (one a seed) "
        "train together as members of one batched module, each",
        "on its own corpus and initial weights (`train_eck2002_seeds`; a test checks that a member follows",
        "its solo path); free-running, a chord unit is on above 0.5 and one melody note is drawn from",
        "the normalised melody outputs, from a single C7 step.",
        "",
        *eck_table,
        "",
        *eck_findings(raw),
        "",
    ]
    return "\n".join(lines) + "\n"


def findings(raw: dict) -> list[str]:
    """Sentences whose every number comes from this run."""

    def det(name):
        return raw["blues"][name]["summary"]["deterministic"]

    lstm, gru, rnn = det("LSTM (headline)"), det("GRU"), det("RNN")
    held = lambda name: sum(
        r["deterministic"]["bar_onset_match"] >= 0.99  # noqa: E731
        for r in raw["blues"][name]["seeds"]
    )
    out = [
        f"- LSTM: mean bar-onset match {lstm['bar_onset_match_mean']:.3f} over 10 seeds x 100 choruses; "
        f"{held('LSTM (headline)')}/10 seeds hold the form (>= 0.99) to the last chorus."
    ]
    rnn_note = (
        "it plays C7 throughout, which scores 0.667 (8 of 12 bars are C7): it never learned a chord change."
        if abs(rnn["bar_onset_match_max"] - 8 / 12) < 1e-3
        else f"{held('RNN')}/10 seeds hold the form."
    )
    out.append(
        f"- tanh RNN, same sizes, inputs and budget: mean {rnn['bar_onset_match_mean']:.3f}; {rnn_note}"
    )
    out.append(
        f"- GRU: mean {gru['bar_onset_match_mean']:.3f}, worst seed {gru['bar_onset_match_min']:.3f}; "
        f"{held('GRU')}/10 seeds hold the form. It trains several times slower here: PyTorch's CPU GRU has "
        "no oneDNN kernel."
    )
    out.append(
        "- So on this corpus Eck & Schmidhuber's claim holds: with the same budget only the LSTM keeps the "
        "form, including the six bars of C7 from bar 11 to bar 4 that must be counted."
    )
    out.append(
        "- The ablations change one headline choice each (README, 'The blues model'); their rows show what "
        "that choice buys."
    )
    return out


def eck_findings(raw: dict) -> list[str]:
    """Sentences whose every number comes from this run."""
    eck = raw["eck2002"]
    n = {k: len(v["seeds"]) for k, v in eck.items()}
    held = {k: sum(r["bar_onset_match"] >= 0.99 for r in v["seeds"]) for k, v in eck.items()}
    mean = {k: float(np.mean([r["bar_onset_match"] for r in v["seeds"]])) for k, v in eck.items()}
    ex1, ex2, tanh = "experiment 1", "experiment 2", "experiment 1, tanh cell output"
    out = [
        f"- Experiment 1 (chords only): {held[ex1]}/{n[ex1]} networks hold the form over {CHORUSES} "
        f"free-running choruses (mean bar-onset match {mean[ex1]:.3f}). "
        + (
            "That meets our bar for reproducing Eck & Schmidhuber's result (8 of 10)."
            if held[ex1] >= 0.8 * n[ex1]
            else "That is short of Eck & Schmidhuber's result (8 of 10 is our bar)."
        )
    ]
    if tanh in eck:
        out.append(
            f"- The same network, training and state clamp with the cell output squashed by tanh, as in "
            f"the 1997 LSTM and PyTorch's nn.LSTM: {held[tanh]}/{n[tanh]} (mean {mean[tanh]:.3f})."
        )
        if held[tanh] < held[ex1]:
            out.append(
                "  The task needs counts of 16 and 48 steps of C7 (bars 7-8 and bars 11-4), told apart "
                "by the length of the F7 before. An unsquashed state can ramp for the whole count and the "
                "output units can read the ramp's level; tanh flattens the top of the ramp, where the "
                "48th step must be told from the 47th."
            )
    fails = [r for r in eck[ex1]["seeds"] if r["bar_onset_match"] < 0.99]
    if fails:
        out.append(
            "- Experiment 1's seeds that miss (teacher-forced chord accuracy, free-running match): "
            + ", ".join(
                f"{r['seed']} ({r['teacher_forced']['chord_acc']:.3f}, {r['bar_onset_match']:.3f})"
                for r in fails
            )
            + "."
        )
        if any(0.97 <= r["teacher_forced"]["chord_acc"] < 1 for r in fails):
            out.append(
                "  At 0.97-0.999 teacher-forced a network places one change a step early or late; "
                "free-running, that shifts the rest of the form by a step, every chorus."
            )
    ctr = np.mean([r["chord_tone_rate"] for r in eck[ex2]["seeds"]])
    out.append(
        f"- Experiment 2 (chords and melody, the chord blocks closed to the melody): {held[ex2]}/{n[ex2]} "
        f"hold the form (mean {mean[ex2]:.3f}); the drawn melody's chord-tone rate is {ctr:.3f}."
    )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="docs/results.md")
    ap.add_argument("--wjd", default=None, help="the WJD CSV folder, for the melody-model section")
    a = ap.parse_args()
    print(run(Path(a.out), wjd=Path(a.wjd) if a.wjd else None))


if __name__ == "__main__":
    main()
