"""`improvise likelihood`: how probable a trained zoo model finds a melody, step by step (seed
002's wish to interrogate a model). For every event after the first: its probability, its
surprisal (-log p, nats), its rank among the model's choices and what the model expected
instead. Writes likelihood.json and likelihood.png (piano roll over the surprisal curve)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from improvise.core.errors import UserError
from improvise.core.runs import read_json
from improvise.data.load import load_corpus
from improvise.zoo.model import ZooModel, load_zoo_model, valid_name, write_meta

NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")


def event_name(model: ZooModel, e: int) -> str:
    if e == 0:
        return "hold"
    if e == 1:
        return "rest"
    if model.kind == "interval":
        from improvise.encodings.zoo_inputs import IntervalEncoding

        return f"leap {int(e) - 2 - IntervalEncoding().max_interval:+d}"
    p = model.enc.min_pitch + int(e) - 2
    return f"{NAMES[p % 12]}{p // 12 - 1}"


def resolve_model(run_dir: Path, name: str | None) -> Path:
    """A zoo model folder, or a compare folder plus the model's name (default: lstm)."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise UserError(f"{run_dir}: no such folder")
    cfg = run_dir / "config.json"
    if cfg.is_file() and "name" in read_json(cfg):
        if name is not None:
            raise UserError(
                f"{run_dir}: a single model's folder; --model picks one of a compare folder's models"
            )
        return run_dir
    models = run_dir / "models"
    if not models.is_dir():
        from improvise.core.run_kinds import KINDS, run_kind

        kind = run_kind(run_dir)  # says what it is, or that it is no run folder at all
        raise UserError(f"{run_dir}: {KINDS[kind][2]}; improvise likelihood takes zoo, compare or solo runs")
    name = name or "lstm"
    valid_name(name)  # a model name, never a path
    if not (models / name).is_dir():
        have = ", ".join(sorted(p.name for p in models.iterdir() if p.is_dir()))
        raise UserError(f"{run_dir}: no model {name!r} (it has {have})")
    return models / name


def compare_grid(model_dir: Path) -> int | None:
    """Steps a beat the model was trained on, from its compare folder's config.json."""
    cfg = Path(model_dir).parent.parent / "config.json"
    spb = read_json(cfg).get("steps_per_beat") if cfg.is_file() else None
    if spb is not None and spb not in (2, 4):
        raise UserError(f"{cfg}: steps_per_beat should be 2 or 4, not {spb!r}")
    return spb


def likelihood(
    run_dir: Path,
    file: Path,
    model_name: str | None = None,
    piece: int = 0,
    steps_per_beat: int | None = None,
    out: Path | None = None,
) -> dict:
    """Score `file`'s piece number `piece` (see the module doc); steps_per_beat defaults to the
    grid the model was trained on (its compare folder's config), else sixteenths."""
    folder = resolve_model(run_dir, model_name)
    model = load_zoo_model(folder)
    steps_per_beat = steps_per_beat or compare_grid(folder) or 4
    corpus = load_corpus(str(file), on_bad_file="fail", steps_per_beat=steps_per_beat)
    if not 0 <= piece < len(corpus.pieces):
        raise UserError(f"{file}: no piece {piece} (it has {len(corpus.pieces)})")
    title, tune = corpus.pieces[piece]
    events = model.enc.tune_to_events(tune)
    lp = model.log_probs(events, tune)
    own = model.targets(events)[1:]
    order = np.argsort(-lp, axis=1)
    rows = []
    for i, e in enumerate(own):
        t = i + 1
        rank = int(np.flatnonzero(order[i] == e)[0]) + 1
        rows.append(
            {
                "step": t,
                "bar": t // tune.steps_per_bar + 1,
                "pos": t % tune.steps_per_bar,
                "event": event_name(model, int(e)),
                "p": float(np.exp(lp[i, e])),
                "surprisal": float(-lp[i, e]),
                "rank": rank,
                "expected": event_name(model, int(order[i, 0])),
            }
        )
    s = np.array([r["surprisal"] for r in rows])
    notes = [r for r in rows if r["event"] not in ("hold", "rest")]
    result = {
        "model": model.name,
        "file": str(file),
        "piece": title,
        "events": len(rows),
        "nll_per_event": float(s.mean()),
        "nll_per_note": float(np.mean([r["surprisal"] for r in notes])) if notes else None,
        "total_nats": float(s.sum()),
        "most_surprising": sorted(notes, key=lambda r: -r["surprisal"])[:5],
        "steps": rows,
    }
    if out is not None:
        out = Path(out)
        write_meta(out / "likelihood.json", result)
        plot_likelihood(result, tune, model, out / "likelihood.png")
    return result


def format_likelihood(result: dict, every: bool = False) -> list[str]:
    lines = [
        f"{result['piece']} under {result['model']}: {result['nll_per_event']:.3f} nats/event over "
        f"{result['events']} events"
        + (f", {result['nll_per_note']:.3f} nats per note" if result["nll_per_note"] else ""),
        "bar.pos  event   p       surprisal  rank  expected",
    ]
    for r in result["steps"]:
        if every or r["event"] not in ("hold",):
            lines.append(
                f"{r['bar']:>3}.{r['pos']:<3} {r['event']:<7} {r['p']:.4f}  {r['surprisal']:>8.2f}  "
                f"{r['rank']:>4}  {r['expected']}"
            )
    lines.append(
        "most surprising notes: "
        + ", ".join(f"bar {r['bar']} {r['event']} (p {r['p']:.3f})" for r in result["most_surprising"])
    )
    return lines


def plot_likelihood(result: dict, tune, model: ZooModel, path: Path) -> None:
    from improvise.render.plots import finish_surprisal_plot, surprisal_axes

    steps = [r["step"] for r in result["steps"]]
    fig, roll, curve = surprisal_axes((10, 4.5), 1.3)
    for n in tune.melody:
        roll.broken_barh([(n.start, n.length)], (n.pitch - 0.4, 0.8), color="#335588")
    roll.set_title(f"{result['piece']}: {result['model']}, {result['nll_per_event']:.3f} nats/event")
    curve.bar(steps, [r["surprisal"] for r in result["steps"]], width=1.0, color="#cc6644")
    finish_surprisal_plot(fig, roll, curve, tune, path)
