"""`improvise render RUN_DIR`: (re)create every picture, sound and page of a run folder."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from improvise.blues.summary import chorus_grid
from improvise.blues.task import BluesConfig, corpus_arrays, load_blues_run
from improvise.core.checks import MAX_CHORUSES
from improvise.core.errors import ConfigError, UserError
from improvise.core.midi import MidiStyle, write_midi
from improvise.core.runs import (
    CHECKPOINT,
    CONFIG,
    METRICS,
    read_json,
    read_optional_json,
    require_run_dir,
    write_json,
)
from improvise.encodings.blues import BluesEncoding

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
    if (
        len(chords) != len(pitches)
        or len(chords) == 0
        or chords.min() < 0
        or chords.max() >= enc.n_chords
        or pitches.min() < 0
        or pitches.max() >= enc.n_pitches
    ):
        raise UserError(f"{path}: token ids out of range or of unequal length")
    return chords, pitches


def _int_list(x) -> bool:
    return isinstance(x, list) and all(
        isinstance(v, int) and not isinstance(v, bool) and abs(v) < 2**31 for v in x
    )


def _num_list(x) -> bool:
    return isinstance(x, list) and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v) for v in x
    )


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
    ok = (
        isinstance(snaps, list)
        and len(snaps) <= 10_000
        and all(
            isinstance(s, dict)
            and _int_list(s.get("chords"))
            and _int_list(s.get("pitches"))
            and len(s["chords"]) == len(s["pitches"]) <= 100 * PERIOD
            and all(0 <= c < enc.n_chords for c in s["chords"])
            and all(0 <= q < enc.n_pitches for q in s["pitches"])
            and isinstance(s.get("epoch"), int)
            and 1 <= s["epoch"] <= max(epochs, 1)
            for s in snaps
        )
    )
    if not ok:
        raise UserError(
            f"{path}: expected a list 'snapshots' of {{epoch, chords, pitches}} within the training"
        )
    return snaps


def _kind_to_render(run_dir: Path) -> str:
    """ "blues" or "jam": the kinds render takes. A folder that says what it holds must hold
    one of them (blues generate --out writes a folder that says nothing: a blues one)."""
    from improvise.core.run_kinds import KINDS, describe, run_kind

    if (
        (run_dir / CONFIG).exists()
        or (run_dir / "session.json").exists()
        or (run_dir / "sweep.json").exists()
    ):
        kind = run_kind(run_dir)
        if kind not in RENDERS:
            raise UserError(f"{run_dir}: {KINDS[kind][2]}; improvise render takes {describe(RENDERS)}")
        return kind
    return "blues"


RENDERS = ("blues", "jam")  # the kinds of run improvise render takes


def _checked_metrics_config(run_dir: Path) -> tuple[dict, dict]:
    metrics = read_optional_json(run_dir / METRICS) or {}
    config = read_optional_json(run_dir / CONFIG) or {}
    gen = metrics.get("generation", {})
    if not isinstance(gen, dict) or (
        "per_chorus_bar_onset" in gen and not _num_list(gen["per_chorus_bar_onset"])
    ):
        raise UserError(
            f"{run_dir / METRICS}: 'generation' should hold a list of numbers 'per_chorus_bar_onset'"
        )
    if "blues" in config:
        BluesConfig.from_dict(config["blues"], run_dir / CONFIG)
    return metrics, config


def render_run(run_dir: Path, cfg: RenderConfig | None = None) -> dict:
    """Write chorus.mid, chorus.wav, score.musicxml/.svg/.png, the plots, training.gif and
    report.html into a blues run's `run_dir` (a jam session's: render.session); returns what was
    written and how long each part took."""
    from improvise.render.report import write_report

    cfg = cfg or RenderConfig()
    cfg.validate()
    run_dir = require_run_dir(run_dir)
    if _kind_to_render(run_dir) == "jam":
        from improvise.render.session import render_session

        return render_session(run_dir, cfg)
    run = _open_for_render(run_dir)  # every file checked before anything is written
    job = _Job(run_dir, cfg, run)
    audio, engraving = job.sound_and_score()
    pictures = job.pictures()
    grid = chorus_grid(run["chords"], run["pitches"], job.enc)
    job.timed(
        "report",
        lambda: write_report(
            run_dir,
            title=f"improvise: {run_dir.name}",
            metrics=run["metrics"],
            config=run["config"],
            grid=grid,
            pictures=pictures,
            audio="chorus.wav",
            score_svg="score.svg",
            downloads=[
                f
                for f in (
                    "chorus.mid",
                    "excerpt.mid",
                    "chorus.wav",
                    "score.musicxml",
                    "score.png",
                    "tokens.json",
                    "metrics.json",
                    "config.json",
                )
                if (run_dir / f).is_file()
            ],
            notes=job.notes,
        ),
    )
    job.written += [src for _, src in pictures] + ["report.html"]
    result = {
        "written": job.written,
        "seconds": job.timings,
        "audio": audio,
        "engraving": engraving,
        "choruses": job.total,
        "shown": job.shown,
        "config": asdict(cfg),
    }
    write_json(run_dir / "render.json", result)
    return result


def _open_for_render(run_dir: Path) -> dict:
    """Tokens, metrics, config, history, snapshots and model of a blues run folder, each checked."""
    chords, pitches = _load_tokens(run_dir)
    metrics, config = _checked_metrics_config(run_dir)
    history = _checked_history(run_dir / "history.json")
    return {
        "chords": chords,
        "pitches": pitches,
        "metrics": metrics,
        "config": config,
        "history": history,
        "snapshots": _checked_snapshots(run_dir / "snapshots.json", history),
        "model": load_blues_run(run_dir)[0] if (run_dir / CHECKPOINT).is_file() else None,
    }


class _Job:
    """One render of a checked run: writes the files, times each part, collects the page's notes."""

    def __init__(self, run_dir: Path, cfg: RenderConfig, run: dict):
        self.run_dir, self.cfg, self.run, self.enc = run_dir, cfg, run, BluesEncoding()
        self.total = len(run["chords"]) // PERIOD
        self.shown = min(max(self.total, 1), cfg.max_choruses)
        self.timings, self.written, self.notes = {}, [], []

    def timed(self, name: str, fn):
        t0 = time.perf_counter()
        out = fn()
        self.timings[name] = round(time.perf_counter() - t0, 3)
        return out

    def sound_and_score(self) -> tuple[dict, dict]:
        """chorus.mid (and excerpt.mid), chorus.wav and the engraved score of the excerpt."""
        from improvise.render.audio import midi_to_wav
        from improvise.render.score import musicxml_to_svg, write_musicxml

        cfg, d, enc = self.cfg, self.run_dir, self.enc
        chords, pitches, n = self.run["chords"], self.run["pitches"], self.shown * PERIOD
        style = MidiStyle(swing=cfg.swing)
        tune = enc.tokens_to_tune(chords, pitches, cfg.tempo_bpm)
        self.timed("midi", lambda: write_midi(tune, d / "chorus.mid", style))
        self.written.append("chorus.mid")
        excerpt = enc.tokens_to_tune(chords[:n], pitches[:n], cfg.tempo_bpm)
        audio_midi = "chorus.mid"
        if self.shown < self.total:
            write_midi(excerpt, d / "excerpt.mid", style)
            audio_midi = "excerpt.mid"
            self.written.append("excerpt.mid")
            self.notes.append(
                f"Audio, score and piano roll show the first {self.shown} of {self.total} choruses "
                f"(excerpt.mid); chorus.mid holds them all."
            )
        audio = self.timed(
            "audio",
            lambda: midi_to_wav(
                d / audio_midi, d / "chorus.wav", cfg.synth, Path(cfg.soundfont) if cfg.soundfont else None
            ),
        )
        self.written.append("chorus.wav")
        self.notes.append(
            f"Audio: {audio['synth']}"
            + (f" with {Path(audio['soundfont']).name}" if audio["soundfont"] else "")
            + f"; tempo {cfg.tempo_bpm:g} bpm"
            + (f", swing {cfg.swing:g}" if cfg.swing != 0.5 else "")
            + "."
        )
        self.timed(
            "musicxml", lambda: write_musicxml(excerpt, d / "score.musicxml", title=f"improvise: {d.name}")
        )
        engraving = self.timed(
            "engrave", lambda: musicxml_to_svg(d / "score.musicxml", d / "score.svg", d / "score.png")
        )
        self.written += ["score.musicxml", "score.svg", "score.png"]
        return audio, engraving

    def pictures(self) -> list[tuple[str, str]]:
        """The piano rolls, chord-match plot, training curves, weights and GIF the run allows."""
        from improvise.render import plots

        d, enc, run = self.run_dir, self.enc, self.run
        k = min(self.shown, 4) * PERIOD
        out = []
        self.timed(
            "pianoroll",
            lambda: plots.pianoroll(
                run["chords"][:k],
                run["pitches"][:k],
                enc,
                d / "pianoroll.png",
                f"generated: the first {k // PERIOD} chorus(es)",
            ),
        )
        out.append(("Generated piano roll", "pianoroll.png"))
        per_chorus = run["metrics"].get("generation", {}).get("per_chorus_bar_onset")
        if self.total > 1 and per_chorus is not None:
            self.timed("chord_match", lambda: plots.chord_match(per_chorus, d / "chord_match.png"))
            out.append(("Bar-onset chord match per chorus", "chord_match.png"))
        if "blues" in run["config"]:
            corpus_c, corpus_p = corpus_arrays(BluesConfig.from_dict(run["config"]["blues"], d / CONFIG), enc)
            self.timed(
                "corpus",
                lambda: plots.pianoroll(
                    corpus_c[:PERIOD],
                    corpus_p[:PERIOD],
                    enc,
                    d / "corpus_pianoroll.png",
                    "training corpus: chorus 1",
                ),
            )
            out.append(("Training corpus, chorus 1", "corpus_pianoroll.png"))
        return out + self._training_pictures()

    def _training_pictures(self) -> list[tuple[str, str]]:
        from improvise.render import plots

        d, enc, run, history = self.run_dir, self.enc, self.run, self.run["history"]
        out = []
        if history:
            self.timed(
                "curves",
                lambda: plots.training_curves(
                    history, enc.n_chords, enc.n_pitches, d / "training_curves.png"
                ),
            )
            out.append(("Training curves", "training_curves.png"))
        if run["model"] is not None:
            weights = {k: v.numpy() for k, v in run["model"].state_dict().items()}
            self.timed("weights", lambda: plots.weights(weights, d / "weights.png"))
            out.append(("Weights per gate", "weights.png"))
        if run["snapshots"] and history:
            self.timed(
                "gif",
                lambda: write_gif(run["snapshots"][:: self.cfg.gif_every], history, enc, d / "training.gif"),
            )
            out.append(("Training: the free-running chorus as the network learns", "training.gif"))
        return out


def write_gif(snapshots: list[dict], history: dict, encoding, path: Path, ms_per_frame: int = 400) -> None:
    import io

    from PIL import Image

    from improvise.core.runs import write_bytes
    from improvise.render.plots import gif_frame

    epochs = len(history["loss"])
    frames = [Image.fromarray(gif_frame(s, history, encoding, epochs)) for s in snapshots]
    if not frames:
        return
    buf = io.BytesIO()
    durations = [ms_per_frame] * (len(frames) - 1) + [ms_per_frame * 5]  # linger on the trained model
    frames[0].save(
        buf, format="GIF", save_all=True, append_images=frames[1:], duration=durations, loop=0, optimize=True
    )
    write_bytes(path, buf.getvalue())
