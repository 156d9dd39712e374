"""Solos over any lead sheet in any key (issues 8 and 15): the path from a lead sheet to a
solo's files, with no torch (the run folder's weights.npz on the numpy fast path).

The package: `solo.config` (settings), `solo.train` (training on the WJD, torch),
`solo.model` (the network, torch), `solo.stepper` (its numpy step), `solo.generate` (drawing a
solo), `solo.measures` (what a musician listens for), `solo.runs` (the run folder and the
shipped soloist), `solo.builtin` (the shipped lead sheets), `solo.files` (a solo's files),
`solo.likelihood` (a solo's surprisal, note by note).
"""

from __future__ import annotations

import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from improvise.core.checks import MAX_BARS, check_memory, check_out_dir
from improvise.core.errors import ConfigError, UserError
from improvise.encodings.conditioned import transpose_tune
from improvise.solo.config import GRIDS, SoloConfig, SoloJob
from improvise.solo.generate import SoloControls, events_to_tune, generate_solo
from improvise.solo.measures import copy_rate_hashed, measure, note_windows
from improvise.solo.runs import PRETRAINED, load_solo_run, open_solo_run, solo_calibration

__all__ = [
    "GRIDS",
    "SoloConfig",
    "SoloControls",
    "events_to_tune",
    "generate_solo",
    "load_solo_run",
    "note_windows",
    "SoloJob",
    "open_solo_run",
    "solo_over_leadsheet",
]


def parse_bars(text: str) -> tuple[int, int]:
    """'5-8' -> (5, 8), 1-based and inclusive."""
    try:
        a, b = (int(v) for v in text.split("-"))
    except ValueError:
        raise ConfigError(f"--regenerate: a bar range looks like 5-8, not {text[:40]!r}") from None
    if not 1 <= a <= b:
        raise ConfigError(f"--regenerate {text[:40]!r}: need 1 <= first <= last")
    return a, b


def _looks_like_title(source: str) -> bool:
    """Not a file, folder, link or wjd:MELID: a title to look up."""
    low = source.lower()
    return not (
        Path(source).exists()
        or low.startswith(("wjd:", "irealb://", "irealbook://"))
        or "/" in source
        or "\\" in source
        or Path(source).suffix
    )


def _sheet(source: str, standards: Path | None, wjd: Path | None, key: str | None, choruses: int):
    """The lead sheet to solo over, in `key`; refused when a chord did not parse or the solo
    would be longer than MAX_BARS bars."""
    from improvise.leadsheet.load import load_leadsheet
    from improvise.solo.builtin import find_builtin

    shipped = find_builtin(source) if standards is None and not Path(source).exists() else None
    if shipped is None and standards is None and _looks_like_title(source):
        from improvise.solo.builtin import builtin_titles

        raise UserError(
            f"{source[:80]}: no such file, and no shipped lead sheet of that title (shipped: "
            f"{', '.join(builtin_titles())}; to look a title up in a standards file, pass --standards)"
        )
    sheet = load_leadsheet(str(shipped) if shipped else source, standards, wjd)
    if key:
        sheet = sheet.to_key(key)
    if sheet.unparsed:
        raise UserError(f"{source}: chords that do not parse: {', '.join(sheet.unparsed[:5])}")
    if len(sheet.bars) * choruses > MAX_BARS:
        raise ConfigError(
            f"{len(sheet.bars)} bars x {choruses} choruses is more than {MAX_BARS} bars: ask for "
            "fewer --choruses"
        )
    return sheet


def _kept(out: Path, regenerate: tuple[int, int], n_steps: int, spb: int, n_events: int) -> np.ndarray:
    """The events of the solo already in `out`, with bars a..b marked (-1) to draw again."""
    from improvise.core.runs import read_json

    where = out / "solo.json"
    events = read_json(where).get("events")
    if not isinstance(events, list) or not all(type(e) is int and 0 <= e < n_events for e in events):
        raise UserError(f"{where}: 'events' is not a list of event numbers (0 to {n_events - 1})")
    if len(events) != n_steps:
        raise UserError(f"{where}: a solo of {len(events)} steps, this lead sheet makes {n_steps}")
    a, b = regenerate
    if b * spb > n_steps:
        raise ConfigError(f"--regenerate {a}-{b}: the solo has {n_steps // spb} bars")
    keep = np.asarray(events, dtype=np.int64)
    keep[(a - 1) * spb : b * spb] = -1
    return keep


def solo_over_leadsheet(
    run: Path | None,
    source: str,
    out: Path,
    standards: Path | None = None,
    job: SoloJob | None = None,
    controls: SoloControls | None = None,
    wjd: Path | None = None,
) -> dict:
    """A solo over the lead sheet `source` (any format `leadsheet.load.load_leadsheet` reads, or
    a shipped title, `solo.builtin`) by the soloist in `run` (None: the shipped one): solo.mid,
    solo.json (events, chords, measures), solo.wav, solo.musicxml, solo.svg and report.html, the
    same bytes for the same seed (only solo.json's `metrics.seconds` is a timing). With
    `job.regenerate=(a, b)`, bars a..b of the solo already in `out` are drawn again, the rest
    kept. Everything is checked before anything is written."""
    job, controls = job or SoloJob(), controls or SoloControls()
    controls.validate()
    job.validate()
    out = check_out_dir(Path(out))
    model, enc, hashes, cfg = open_solo_run(run or PRETRAINED)
    calibrated = solo_calibration(run or PRETRAINED)  # where the caller left a bias to the run
    controls = replace(controls, **{k: v for k, v in calibrated.items() if getattr(controls, k) is None})
    sheet = _sheet(source, standards, wjd, job.key, job.choruses)
    spbeat = cfg.steps_per_beat
    spb = sheet.beats_per_bar * spbeat
    chords = sheet.chord_per_step(spbeat) * job.choruses
    if job.audio:
        check_memory(len(chords) / spbeat * 60 / job.tempo * 22050 * 8 * 4, "the audio of this solo")
    keep = _kept(out, job.regenerate, len(chords), spb, enc.events.n_events) if job.regenerate else None
    t0 = time.perf_counter()
    events = generate_solo(model, enc, chords, spb, controls, keep, spbeat)
    seconds = time.perf_counter() - t0
    tune = events_to_tune(events, chords, enc, spb, job.tempo, spbeat)
    shift = (-(sheet.key_root() or 0)) % 12
    in_c = enc.events.tune_to_events(transpose_tune(tune, shift - 12 if shift > 6 else shift))
    metrics = {
        **{k: None if v is None else round(v, 4) for k, v in measure(tune).items()},
        "copy_rate": copy_rate_hashed(in_c, hashes, 2 * spb, spb),
        "notes": len(tune.melody),
        "steps": len(events),
        "seconds": seconds,
    }
    doc = {
        "leadsheet": sheet.title,
        "key": sheet.key,
        "choruses": job.choruses,
        "tempo": job.tempo,
        "swing": job.swing,
        "model": str(run) if run else "shipped (improvise/solo/pretrained)",
        "controls": asdict(controls),
        "regenerated": list(job.regenerate) if job.regenerate else None,
        "events": events.tolist(),
        "bars": [[c.symbol for c in bar] for bar in sheet.bars],
        "metrics": metrics,
    }
    from improvise.solo.files import write_solo_files

    write_solo_files(out, tune, sheet, doc, job.audio, job.swing, job.score)
    return doc
