"""`improvise likelihood RUN --solo FILE --leadsheet SHEET`: how probable the soloist finds a
solo over its changes, note by note (issue 15). The solo comes from a MIDI, MusicXML, ABC or
**kern file, an `improvise solo` folder's solo.json, or `wjd:MELID` (a WJD solo over its own
changes, with `--wjd`); the changes from any lead sheet `improvise solo` reads (played through
as many choruses as the solo lasts), in the solo's key. Writes likelihood.json and
likelihood.png (the solo as a piano roll coloured by surprisal, over each note's surprisal).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from improvise.core.errors import UserError
from improvise.core.music import Tune

NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")


def is_solo_run(run: Path) -> bool:
    from improvise.core.runs import read_json

    cfg = Path(run) / "config.json"
    return cfg.is_file() and read_json(cfg).get("task") == "solo"


def _melody(solo: str, spbeat: int, enc, wjd: Path | None):
    """(title, melody notes, steps a bar, chords or None) of the solo source."""
    if solo.lower().startswith("wjd:"):
        from improvise.data.wjd import read_wjd

        if wjd is None or not solo[4:].strip().isdigit():
            raise UserError(f"{solo}: a WJD solo is wjd:MELID, with --wjd FOLDER")
        grid = "swing" if spbeat == 4 else "straight"
        found = [s for s in read_wjd(wjd, "all", spbeat, grid=grid) if s.melid == int(solo[4:])]
        if not found:
            raise UserError(f"{solo}: no such solo in {wjd}")
        s = found[0]
        return f"{s.performer}: {s.title} (wjd:{s.melid})", s.tune.melody, s.tune.steps_per_bar, s.tune.chords
    path = Path(solo)
    if path.suffix.lower() == ".json":
        from improvise.core.runs import read_json

        events = read_json(path).get("events")
        if not isinstance(events, list) or not all(
            type(e) is int and 0 <= e < enc.events.n_events for e in events
        ):
            raise UserError(f"{path}: 'events' is not a list of event numbers (an improvise solo.json)")
        return path.stem, enc.events.events_to_notes(np.array(events)), None, None
    from improvise.data.load import load_corpus

    corpus = load_corpus(str(path), on_bad_file="fail", steps_per_beat=spbeat)
    title, tune = corpus.pieces[0]
    return title, tune.melody, tune.steps_per_bar, None


def solo_tune(
    solo: str, leadsheet: str | None, spbeat: int, enc, wjd=None, standards=None
) -> tuple[str, Tune]:
    """The solo over its changes on the soloist's grid."""
    title, melody, spbar, chords = _melody(solo, spbeat, enc, wjd)
    if not melody:
        raise UserError(f"{solo}: no notes to score")
    if leadsheet is not None:
        from improvise.solo.soloist import _sheet

        sheet = _sheet(leadsheet, standards, wjd, None, 1)
        spbar = sheet.beats_per_bar * spbeat
        form = sheet.chord_per_step(spbeat)
        end = max(n.start + n.length for n in melody)
        chords = form * (end // len(form) + 1)
    elif chords is None:
        raise UserError(f"{solo}: give the changes to score it over with --leadsheet")
    steps = min(len(chords), -(-max(n.start + n.length for n in melody) // spbar) * spbar)
    melody = [n for n in melody if n.start < steps]
    return title, Tune(
        chords=list(chords[:steps]), melody=melody, steps_per_bar=spbar, beats_per_bar=spbar // spbeat
    )


def _name(p: int) -> str:
    return f"{NAMES[p % 12]}{p // 12 - 1}"


def solo_likelihood(
    run: Path, solo: str, leadsheet: str | None, out: Path | None = None, wjd=None, standards=None
) -> dict:
    """Per note: its probability and surprisal (-log p, nats) under the soloist, its rank and
    what the model expected instead; per event the mean NLL (holds and rests too)."""
    import torch

    from improvise.solo.runs import load_solo_run

    model, enc, _, cfg = load_solo_run(run)
    title, tune = solo_tune(solo, leadsheet, cfg.steps_per_beat, enc, wjd, standards)
    x, y = enc.tune_to_tensors(tune)
    with torch.no_grad():
        lp = torch.log_softmax(model(x[:, None])[0][:, 0], -1).numpy()
    own = lp[np.arange(len(y)), y.numpy()]
    rows = []
    for n in sorted(tune.melody, key=lambda n: n.start):
        if n.start < 1:
            continue
        e = int(y[n.start - 1])
        order = np.argsort(-lp[n.start - 1])
        rows.append(
            {
                "bar": n.start // tune.steps_per_bar + 1,
                "pos": n.start % tune.steps_per_bar,
                "note": _name(enc.events.min_pitch + e - 2) if e >= 2 else "?",
                "chord": tune.chords[n.start].symbol
                if getattr(tune.chords[n.start], "root", None) is not None
                else "N.C.",
                "p": float(np.exp(own[n.start - 1])),
                "surprisal": float(-own[n.start - 1]),
                "rank": int(np.flatnonzero(order == e)[0]) + 1,
                "expected": {0: "hold", 1: "rest"}.get(int(order[0]))
                or _name(enc.events.min_pitch + int(order[0]) - 2),
                "step": n.start,
                "pitch": n.pitch,
            }
        )
    result = {
        "model": str(run),
        "solo": title,
        "leadsheet": leadsheet,
        "events": len(y),
        "nll_per_event": float(-own.mean()),
        "nll_per_note": float(np.mean([r["surprisal"] for r in rows])) if rows else None,
        "notes": rows,
        "most_surprising": sorted(rows, key=lambda r: -r["surprisal"])[:5],
    }
    if out is not None:
        from improvise.zoo.model import write_meta

        write_meta(Path(out) / "likelihood.json", result)
        plot_solo_likelihood(result, tune, Path(out) / "likelihood.png")
    return result


def format_solo_likelihood(result: dict) -> list[str]:
    lines = [
        f"{result['solo']} under {result['model']}: {result['nll_per_event']:.3f} nats/event, "
        f"{result['nll_per_note'] or 0:.3f} nats per note over {len(result['notes'])} notes",
        "bar.pos  note  chord      p       surprisal  rank  expected",
    ]
    for r in result["notes"]:
        lines.append(
            f"{r['bar']:>3}.{r['pos']:<3} {r['note']:<5} {r['chord']:<10} {r['p']:.4f}  "
            f"{r['surprisal']:>8.2f}  {r['rank']:>4}  {r['expected']}"
        )
    lines.append(
        "most surprising notes: "
        + ", ".join(
            f"bar {r['bar']} {r['note']} over {r['chord']} (p {r['p']:.3f})"
            for r in result["most_surprising"]
        )
    )
    return lines


def plot_solo_likelihood(result: dict, tune: Tune, path: Path) -> None:
    import matplotlib

    from improvise.render.plots import finish_surprisal_plot, surprisal_axes

    notes = result["notes"]
    s = np.array([r["surprisal"] for r in notes])
    fig, roll, curve = surprisal_axes((11, 4.8), 1.2)
    cmap = matplotlib.colormaps["magma_r"]
    top = max(float(s.max()) if len(s) else 1.0, 1e-6)
    length = {n.start: n.length for n in tune.melody}
    for r in notes:
        roll.broken_barh(
            [(r["step"], length.get(r["step"], 1))], (r["pitch"] - 0.4, 0.8), color=cmap(r["surprisal"] / top)
        )
    ytop, gap, shown = max(n.pitch for n in tune.melody) + 2, tune.steps / 40, -tune.steps
    for start, _, chord in tune.chord_spans():  # the changes, as many as fit side by side
        if start - shown >= gap:
            roll.text(start, ytop, getattr(chord, "symbol", "") or "N.C.", fontsize=6)
            shown = start
    roll.set_title(
        f"{result['solo']}: {result['nll_per_note'] or 0:.2f} nats a note (darker = more surprising)"
    )
    curve.bar([r["step"] for r in notes], s, width=2.0, color="#cc6644")
    finish_surprisal_plot(fig, roll, curve, tune, path)
