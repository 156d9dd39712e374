"""`improvise render RUN_DIR`: (re)create every picture, sound and page of a run folder."""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from improvise.blues import BluesConfig, corpus_arrays, load_blues_run
from improvise.encodings import BluesEncoding
from improvise.checks import MAX_CHORUSES
from improvise.errors import ConfigError, UserError
from improvise.midi import MidiStyle, write_midi
from improvise.runs import CHECKPOINT, CONFIG, METRICS, read_json, read_optional_json, require_run_dir, write_json
from improvise.summary import chorus_grid

PERIOD = 96


@dataclass
class RenderConfig:
    synth: str = "auto"  # auto (FluidSynth when a soundfont is found) | fluidsynth | numpy
    soundfont: str | None = None  # a .sf2 file; None: look in the usual folders
    swing: float = 0.5  # share of a beat taken by its first eighth (0.67: swung eighths)
    tempo_bpm: float = 120.0  # quarter notes a minute
    max_choruses: int = 8  # audio, score and piano roll show at most this many choruses
    gif_every: int = 1  # use every n-th training snapshot as a GIF frame

    def validate(self) -> None:
        MidiStyle(swing=self.swing).validate()
        if not self.tempo_bpm > 0:
            raise ConfigError(f"tempo must be positive, not {self.tempo_bpm}")
        if self.max_choruses < 1 or self.gif_every < 1:
            raise ConfigError("max_choruses and gif_every must be at least 1")


def _load_tokens(run_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    path = run_dir / "tokens.json"
    if not path.is_file():
        raise UserError(f"{run_dir}: no tokens.json; run 'improvise blues generate {run_dir}' first")
    tokens = read_json(path)
    chords, pitches = tokens.get("chords"), tokens.get("pitches")
    if not (_int_list(chords) and _int_list(pitches)):
        raise UserError(f"{path}: expected integer lists 'chords' and 'pitches'")
    if len(chords) > MAX_CHORUSES * PERIOD + 1:
        raise UserError(f"{path}: {len(chords)} steps is more than {MAX_CHORUSES} choruses")
    chords, pitches = np.asarray(chords, dtype=np.int64), np.asarray(pitches, dtype=np.int64)
    enc = BluesEncoding()
    if len(chords) != len(pitches) or len(chords) == 0 or chords.min() < 0 or chords.max() >= enc.n_chords \
            or pitches.min() < 0 or pitches.max() >= enc.n_pitches:
        raise UserError(f"{path}: token ids out of range or of unequal length")
    return chords, pitches


def _int_list(x) -> bool:
    return isinstance(x, list) and all(isinstance(v, int) and not isinstance(v, bool) and abs(v) < 2**31 for v in x)


def _num_list(x) -> bool:
    return isinstance(x, list) and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                       and np.isfinite(v) for v in x)


def _checked_history(path: Path) -> dict | None:
    """history.json: equal-length lists of finite numbers, 'loss' among them; None if absent."""
    h = read_optional_json(path)
    if h is None:
        return None
    if not h.get("loss") or not all(_num_list(v) and len(v) == len(h["loss"]) for v in h.values()):
        raise UserError(f"{path}: expected equal-length lists of numbers, 'loss' among them")
    return h


def _checked_snapshots(path: Path, history: dict | None) -> list[dict] | None:
    """snapshots.json: chords, pitches and the epoch of each free-run chorus; None if absent."""
    doc = read_optional_json(path)
    if doc is None:
        return None
    snaps = doc.get("snapshots")
    enc = BluesEncoding()
    epochs = len(history["loss"]) if history else 0
    if snaps is not None and not (history and "chord_loss" in history and "pitch_loss" in history):
        raise UserError(f"{path}: the training GIF needs history.json with 'chord_loss' and 'pitch_loss'")
    ok = isinstance(snaps, list) and len(snaps) <= 10_000 and all(
        isinstance(s, dict) and _int_list(s.get("chords")) and _int_list(s.get("pitches"))
        and len(s["chords"]) == len(s["pitches"]) <= 100 * PERIOD
        and all(0 <= c < enc.n_chords for c in s["chords"]) and all(0 <= q < enc.n_pitches for q in s["pitches"])
        and isinstance(s.get("epoch"), int) and 1 <= s["epoch"] <= max(epochs, 1) for s in snaps)
    if not ok:
        raise UserError(f"{path}: expected a list 'snapshots' of {{epoch, chords, pitches}} within the training")
    return snaps


def _require_blues(run_dir: Path) -> None:
    """A folder that says what it holds must hold a blues run (generate --out writes none)."""
    from improvise.run_kinds import KINDS, run_kind

    if (run_dir / CONFIG).exists() or (run_dir / "session.json").exists() or (run_dir / "sweep.json").exists():
        kind = run_kind(run_dir)
        if kind != "blues":
            raise UserError(f"{run_dir}: {KINDS[kind][2]}; improvise render takes blues runs")


def _checked_metrics_config(run_dir: Path) -> tuple[dict, dict]:
    metrics = read_optional_json(run_dir / METRICS) or {}
    config = read_optional_json(run_dir / CONFIG) or {}
    gen = metrics.get("generation", {})
    if not isinstance(gen, dict) or ("per_chorus_bar_onset" in gen and not _num_list(gen["per_chorus_bar_onset"])):
        raise UserError(f"{run_dir / METRICS}: 'generation' should hold a list of numbers 'per_chorus_bar_onset'")
    if "blues" in config:
        BluesConfig.from_dict(config["blues"], run_dir / CONFIG)
    return metrics, config


def render_run(run_dir: Path, cfg: RenderConfig | None = None) -> dict:
    """Write chorus.mid, chorus.wav, score.musicxml/.svg/.png, the plots, training.gif and
    report.html into `run_dir`; returns what was written and how long each part took."""
    from improvise.render import plots
    from improvise.render.audio import midi_to_wav
    from improvise.render.report import write_report
    from improvise.render.score import musicxml_to_svg, write_musicxml

    cfg = cfg or RenderConfig()
    cfg.validate()
    run_dir = require_run_dir(run_dir)
    _require_blues(run_dir)
    enc = BluesEncoding()
    chords, pitches = _load_tokens(run_dir)
    metrics, config = _checked_metrics_config(run_dir)
    history = _checked_history(run_dir / "history.json")
    snapshots = _checked_snapshots(run_dir / "snapshots.json", history)
    model = load_blues_run(run_dir)[0] if (run_dir / CHECKPOINT).is_file() else None  # checked on opening
    total = len(chords) // PERIOD
    shown = min(max(total, 1), cfg.max_choruses)
    ex_c, ex_p = chords[:shown * PERIOD], pitches[:shown * PERIOD]
    style = MidiStyle(swing=cfg.swing)
    timings, written, notes = {}, [], []

    def timed(name, fn):
        t0 = time.perf_counter()
        out = fn()
        timings[name] = round(time.perf_counter() - t0, 3)
        return out

    tune = enc.tokens_to_tune(chords, pitches, cfg.tempo_bpm)
    timed("midi", lambda: write_midi(tune, run_dir / "chorus.mid", style))
    written.append("chorus.mid")
    audio_midi = "chorus.mid"
    if shown < total:
        write_midi(enc.tokens_to_tune(ex_c, ex_p, cfg.tempo_bpm), run_dir / "excerpt.mid", style)
        audio_midi = "excerpt.mid"
        written.append("excerpt.mid")
        notes.append(f"Audio, score and piano roll show the first {shown} of {total} choruses "
                     f"(excerpt.mid); chorus.mid holds them all.")
    audio = timed("audio", lambda: midi_to_wav(run_dir / audio_midi, run_dir / "chorus.wav", cfg.synth,
                                               Path(cfg.soundfont) if cfg.soundfont else None))
    written.append("chorus.wav")
    notes.append(f"Audio: {audio['synth']}" + (f" with {Path(audio['soundfont']).name}" if audio["soundfont"] else "")
                 + f"; tempo {cfg.tempo_bpm:g} bpm" + (f", swing {cfg.swing:g}" if cfg.swing != 0.5 else "") + ".")

    excerpt_tune = enc.tokens_to_tune(ex_c, ex_p, cfg.tempo_bpm)
    timed("musicxml", lambda: write_musicxml(excerpt_tune, run_dir / "score.musicxml", title=f"improvise: {run_dir.name}"))
    engraving = timed("engrave", lambda: musicxml_to_svg(run_dir / "score.musicxml", run_dir / "score.svg",
                                                         run_dir / "score.png"))
    written += ["score.musicxml", "score.svg", "score.png"]

    pictures = []
    roll_c, roll_p = chords[:min(shown, 4) * PERIOD], pitches[:min(shown, 4) * PERIOD]
    timed("pianoroll", lambda: plots.pianoroll(roll_c, roll_p, enc, run_dir / "pianoroll.png",
                                               f"generated: the first {len(roll_c) // PERIOD} chorus(es)"))
    pictures.append(("Generated piano roll", "pianoroll.png"))
    if total > 1 and "per_chorus_bar_onset" in metrics.get("generation", {}):
        timed("chord_match", lambda: plots.chord_match(metrics["generation"]["per_chorus_bar_onset"],
                                                       run_dir / "chord_match.png"))
        pictures.append(("Bar-onset chord match per chorus", "chord_match.png"))
    if "blues" in config:
        cfg_blues = BluesConfig.from_dict(config["blues"], run_dir / CONFIG)
        corpus_c, corpus_p = corpus_arrays(cfg_blues, enc)
        timed("corpus", lambda: plots.pianoroll(corpus_c[:PERIOD], corpus_p[:PERIOD], enc,
                                                run_dir / "corpus_pianoroll.png", "training corpus: chorus 1"))
        pictures.append(("Training corpus, chorus 1", "corpus_pianoroll.png"))
    if history:
        timed("curves", lambda: plots.training_curves(history, enc.n_chords, enc.n_pitches,
                                                      run_dir / "training_curves.png"))
        pictures.append(("Training curves", "training_curves.png"))
    if model is not None:
        timed("weights", lambda: plots.weights({k: v.numpy() for k, v in model.state_dict().items()},
                                               run_dir / "weights.png"))
        pictures.append(("Weights per gate", "weights.png"))
    if snapshots and history:
        timed("gif", lambda: write_gif(snapshots[::cfg.gif_every], history, enc, run_dir / "training.gif"))
        pictures.append(("Training: the free-running chorus as the network learns", "training.gif"))
    written += [src for _, src in pictures]

    grid = chorus_grid(chords, pitches, enc)
    timed("report", lambda: write_report(
        run_dir, title=f"improvise: {run_dir.name}", metrics=metrics, config=config, grid=grid, pictures=pictures,
        audio="chorus.wav", score_svg="score.svg",
        downloads=[f for f in ("chorus.mid", "excerpt.mid", "chorus.wav", "score.musicxml", "score.png",
                               "tokens.json", "metrics.json", "config.json") if (run_dir / f).is_file()],
        notes=notes))
    written.append("report.html")
    result = {"written": written, "seconds": timings, "audio": audio, "engraving": engraving,
              "choruses": total, "shown": shown, "config": asdict(cfg)}
    write_json(run_dir / "render.json", result)
    return result


def write_gif(snapshots: list[dict], history: dict, encoding, path: Path, ms_per_frame: int = 400) -> None:
    import io

    from PIL import Image

    from improvise.render.plots import gif_frame
    from improvise.runs import write_bytes

    epochs = len(history["loss"])
    frames = [Image.fromarray(gif_frame(s, history, encoding, epochs)) for s in snapshots]
    if not frames:
        return
    buf = io.BytesIO()
    durations = [ms_per_frame] * (len(frames) - 1) + [ms_per_frame * 5]  # linger on the trained model
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=durations, loop=0,
                   optimize=True)
    write_bytes(path, buf.getvalue())
