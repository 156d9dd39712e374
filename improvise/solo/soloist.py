"""Solos over any lead sheet in any key (issue 8): a chord-conditioned event LSTM trained on the
Weimar Jazz Database, and a sampler that follows a lead sheet's chords.

Training reads the WJD solos transposed to C, splits them by solo, and (by default) adds every
training solo in the 11 other keys, so the model sees each chord quality on every root. The
sampler walks the lead sheet's played form on a sixteenth grid, feeds the model each step's
chord and the next change, and draws the next event at a temperature, with a register range
and a note-density bias as controls.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from improvise.core.checks import MAX_BARS, MAX_HIDDEN, check_memory, check_out_dir
from improvise.core.errors import ConfigError, UserError
from improvise.core.music import QUALITIES, Tune
from improvise.core.sample import check_temperature, draw
from improvise.encodings.conditioned import ChordConditionedEncoding, transpose_tune
from improvise.nn.melody_rnn import MelodyRNN, MelodyRNNConfig
from improvise.train.loop import SequenceTrainConfig, fit_sequences, sequence_nll


@dataclass
class SoloConfig:
    subset: str = "all"  # WJD solos to learn from: all 456, or the 97 blues
    augment: bool = True  # add every training solo in the 11 other keys
    hidden: int = 128  # LSTM units
    dropout: float = 0.2  # before the output layer
    epochs: int = 200  # at most; early stopping on the validation solos (about 130 on all solos, ~1 min)
    steps_per_beat: int = 4  # the grid: 4 = sixteenths, 3 = triplet eighths (swing as the players placed it)
    seed: int = 0  # fixes the split's use, the weights and the windows drawn

    def to_dict(self) -> dict:
        return asdict(self)


def load_split(wjd: Path, subset: str = "all", steps_per_beat: int = 4) -> tuple[dict, dict]:
    """WJD solos in C by id, and their split by solo (train/valid/test)."""
    from improvise.data.wjd import read_wjd, split_by_piece

    solos = {s.melid: s for s in read_wjd(Path(wjd), subset, steps_per_beat=steps_per_beat, to_c=True)}
    return solos, split_by_piece(sorted(solos))


def train_solo_model(wjd: Path, cfg: SoloConfig | None = None, progress: bool = False) -> dict:
    """Train the conditioned model; returns it with its encoding and held-out figures."""
    cfg = cfg or SoloConfig()
    enc = ChordConditionedEncoding()
    if cfg.steps_per_beat not in (3, 4):
        raise ConfigError("the grid is sixteenths (4 steps a beat) or triplet eighths (3)")
    solos, split = load_split(wjd, cfg.subset, cfg.steps_per_beat)
    if not split["train"]:
        raise UserError(
            f"{wjd}: no {cfg.subset} solos to train on ({len(solos)} read, none in the training split)"
        )
    keys = range(-5, 7) if cfg.augment else (0,)
    train = [enc.tune_to_tensors(transpose_tune(solos[i].tune, k)) for i in split["train"] for k in keys]
    valid = [enc.tune_to_tensors(solos[i].tune) for i in split["valid"]]
    test = [enc.tune_to_tensors(solos[i].tune) for i in split["test"]]
    torch.manual_seed(cfg.seed)
    model = MelodyRNN(
        MelodyRNNConfig(
            input_size=enc.size,
            n_events=enc.events.n_events,
            hidden=cfg.hidden,
            layers=1,
            dropout=cfg.dropout,
        )
    )
    t0 = time.perf_counter()
    res = fit_sequences(
        model, train, valid, SequenceTrainConfig(epochs=cfg.epochs, seed=cfg.seed), progress=progress
    )
    model.eval()
    return {
        "model": model,
        "encoding": enc,
        "config": cfg,
        "train_seconds": time.perf_counter() - t0,
        "epochs_run": res["epochs_run"],
        "valid_nll": res["best_valid_nll"],
        "test_nll": sequence_nll(model, test),
        "split": {k: len(v) for k, v in split.items()},
    }


@dataclass
class SoloControls:
    temperature: float = 1.0  # 1 = the model's own distribution, 0 = argmax (improvise.core.sample)
    low: int = 55  # lowest note (MIDI)
    high: int = 84  # highest note
    density: float = 0.0  # added to every note-on logit: > 0 more notes, < 0 fewer
    seed: int = 0  # fixes every draw

    def validate(self) -> None:
        check_temperature(self.temperature)  # 0 = argmax (improvise.core.sample)
        if not 0 <= self.low < self.high <= 127:
            raise ConfigError("need 0 <= low < high <= 127")


@torch.no_grad()
def generate_solo(
    model: MelodyRNN,
    enc: ChordConditionedEncoding,
    chords: list,
    steps_per_bar: int = 16,
    controls: SoloControls | None = None,
    keep: np.ndarray | None = None,
) -> np.ndarray:
    """Events for every step of `chords` (one chord a step). `keep`: events to keep where >= 0
    (regenerating some bars of an earlier solo: the model hears the kept ones as its past)."""
    c = controls or SoloControls()
    c.validate()
    rng = np.random.default_rng(c.seed)
    ev_enc = enc.events
    T = len(chords)
    track = enc.chord_track(chords)
    pitches = ev_enc.min_pitch + np.arange(ev_enc.n_events - 2)
    allowed = np.ones(ev_enc.n_events, dtype=bool)
    allowed[2:] = (pitches >= c.low) & (pitches <= c.high)
    bias = np.zeros(ev_enc.n_events)
    bias[2:] = c.temperature * c.density  # density is added after dividing by the temperature
    events = np.zeros(T, dtype=np.int64)
    events[0] = ev_enc.NOTE_OFF if keep is None or keep[0] < 0 else keep[0]
    x = np.zeros((1, 1, enc.size), dtype=np.float32)
    state = None
    for t in range(T - 1):
        x[:] = 0
        x[0, 0, events[t]] = 1.0
        x[0, 0, enc.pos_offset + ((t + 1) % steps_per_bar) % enc.positions] = 1.0
        x[0, 0, enc.chord_offset :] = track[t + 1]
        logits, _, state = model(torch.from_numpy(x), None, state)
        if keep is not None and keep[t + 1] >= 0:
            events[t + 1] = keep[t + 1]
            continue
        events[t + 1] = draw(logits[0, 0].numpy().astype(np.float64) + bias, c.temperature, rng, allowed)
    return events


def events_to_tune(
    events: np.ndarray,
    chords: list,
    enc: ChordConditionedEncoding,
    steps_per_bar: int = 16,
    tempo_bpm: float = 160.0,
    steps_per_beat: int = 4,
) -> Tune:
    return Tune(
        chords=list(chords),
        melody=enc.events.events_to_notes(events),
        steps_per_bar=steps_per_bar,
        beats_per_bar=steps_per_bar // steps_per_beat,
        tempo_bpm=tempo_bpm,
    )


def chord_tone_rate(tune: Tune) -> float:
    """Notes whose pitch class is in the chord's triad plus seventh (N.C. left out), as in
    data.wjd.chord_tone_rate, so generated and human figures compare."""
    hits = total = 0
    for n in tune.melody:
        chord = tune.chords[n.start]
        if getattr(chord, "root", None) is None:
            continue
        total += 1
        hits += (n.pitch - chord.root) % 12 in QUALITIES[chord.quality]
    return hits / total if total else 0.0


def note_windows(events: np.ndarray, length: int = 32, hop: int = 16) -> list[tuple]:
    """Windows of `length` events (2 bars of sixteenths) every `hop` steps that hold a note-on."""
    return [
        tuple(events[s : s + length])
        for s in range(0, len(events) - length + 1, hop)
        if (events[s : s + length] >= 2).any()
    ]


def fragments(events: np.ndarray, length: int = 32, hop: int = 16) -> set[tuple]:
    """The distinct 2-bar windows with notes (`note_windows`), for `copy_rate`."""
    return set(note_windows(events, length, hop))


def copy_rate(events: np.ndarray, training: set[tuple], length: int = 32, hop: int = 16) -> float:
    """Share of the solo's 2-bar fragments (with notes) found verbatim in `training`."""
    frags = note_windows(events, length, hop)
    return float(np.mean([f in training for f in frags])) if frags else 0.0


# ---- run folders and the lead-sheet path (improvise solo) ---------------------------------
def _hash(fragment: tuple) -> int:
    import hashlib

    digest = hashlib.blake2b(np.asarray(fragment, dtype=np.int16).tobytes(), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


def fragment_hashes(event_seqs, length: int = 32, hop: int = 16) -> np.ndarray:
    """Sorted int64 hashes of every 2-bar fragment (with notes) of the sequences."""
    return np.array(
        sorted({_hash(f) for ev in event_seqs for f in fragments(np.asarray(ev), length, hop)}),
        dtype=np.int64,
    )


def copy_rate_hashed(events: np.ndarray, hashes: np.ndarray, length: int = 32, hop: int = 16) -> float:
    """`copy_rate` against hashed training fragments (a run folder's fragments.npy)."""
    frags = [_hash(f) for f in note_windows(events, length, hop)]
    return float(np.isin(np.array(frags, dtype=np.int64), hashes).mean()) if frags else 0.0


def save_solo_run(trained: dict, out: Path, wjd: Path) -> dict:
    """config.json, model.pt, metrics.json and fragments.npy (the training solos' 2-bar
    fragments, hashed, for the copy rate) in `out`."""
    from improvise.core.runs import save_checkpoint, write_bytes, write_json

    out = Path(out)
    cfg = trained["config"]
    metrics = {k: trained[k] for k in ("train_seconds", "epochs_run", "valid_nll", "test_nll", "split")}
    write_json(
        out / "config.json",
        {"task": "solo", "solo": cfg.to_dict(), "wjd": str(wjd), "model": trained["model"].config.to_dict()},
    )
    save_checkpoint(
        out / "model.pt",
        trained["model"].config.to_dict(),
        trained["model"].state_dict(),
        {"solo": cfg.to_dict()},
    )
    write_json(out / "metrics.json", {"train": metrics})
    solos, split = load_split(wjd, cfg.subset, cfg.steps_per_beat)
    enc = trained["encoding"]
    spb = 4 * cfg.steps_per_beat
    hashes = fragment_hashes((enc.events.tune_to_events(solos[i].tune) for i in split["train"]), 2 * spb, spb)
    import io

    buf = io.BytesIO()
    np.save(buf, hashes, allow_pickle=False)
    write_bytes(out / "fragments.npy", buf.getvalue())
    return metrics


def _solo_config(run: Path) -> SoloConfig:
    from improvise.core.runs import config_from_json, read_json

    doc = read_json(run / "config.json")
    if doc.get("task") != "solo":
        raise UserError(f"{run / 'config.json'}: not a solo run (task {str(doc.get('task'))[:40]!r})")
    cfg = config_from_json(SoloConfig, doc.get("solo"), run / "config.json", complete=True)
    if (
        cfg.subset not in ("all", "blues")
        or cfg.steps_per_beat not in (3, 4)
        or not 1 <= cfg.hidden <= MAX_HIDDEN
    ):
        raise UserError(
            f"{run / 'config.json'}: solo: subset, steps_per_beat (3 or 4) or hidden out of range"
        )
    return cfg


def _model(run: Path, enc: ChordConditionedEncoding) -> MelodyRNN:
    """The checkpoint's network, checked against the soloist's architecture before building it."""
    from improvise.core.runs import config_from_json, load_checkpoint, load_state_checked

    where = run / "model.pt"
    blob = load_checkpoint(where)
    mc = config_from_json(MelodyRNNConfig, blob.get("model_config"), where, complete=True)
    want = {"input_size": enc.size, "n_events": enc.events.n_events}
    wrong = [f"{k} {getattr(mc, k)} (a soloist has {v})" for k, v in want.items() if getattr(mc, k) != v]
    if wrong or not 1 <= mc.hidden <= MAX_HIDDEN or not 1 <= mc.layers <= 8 or not 0 <= mc.dropout < 1:
        raise UserError(
            f"{where}: not a soloist's network: "
            + (", ".join(wrong) or "hidden, layers or dropout out of range")
        )
    model = MelodyRNN(mc)
    load_state_checked(model, blob["state_dict"], where)
    return model.eval()


def load_solo_run(run: Path) -> tuple[MelodyRNN, ChordConditionedEncoding, np.ndarray, SoloConfig]:
    """The model, its encoding, the training fragments' hashes and the training config; the run
    folder is checked when opened (config keys and types, the network's shape, the fragments)."""
    from improvise.core.runs import require_run_dir

    run = require_run_dir(Path(run))
    cfg = _solo_config(run)
    enc = ChordConditionedEncoding()
    model = _model(run, enc)
    try:
        hashes = np.load(run / "fragments.npy", allow_pickle=False)
    except (OSError, ValueError, EOFError) as e:
        raise UserError(f"{run / 'fragments.npy'}: not readable ({str(e)[:120]})") from None
    if hashes.dtype != np.int64 or hashes.ndim != 1:
        raise UserError(
            f"{run / 'fragments.npy'}: expected a 1-D int64 array, not {hashes.dtype} {hashes.shape}"
        )
    return model, enc, hashes, cfg


def parse_bars(text: str) -> tuple[int, int]:
    """'5-8' -> (5, 8), 1-based and inclusive."""
    try:
        a, b = (int(v) for v in text.split("-"))
    except ValueError:
        raise ConfigError(f"--regenerate: a bar range looks like 5-8, not {text[:40]!r}") from None
    if not 1 <= a <= b:
        raise ConfigError(f"--regenerate {text[:40]!r}: need 1 <= first <= last")
    return a, b


def _sheet(source: str, standards: Path | None, wjd: Path | None, key: str | None, choruses: int):
    """The lead sheet to solo over, in `key`; refused when a chord did not parse or the solo
    would be longer than MAX_BARS bars."""
    from improvise.leadsheet.load import load_leadsheet

    sheet = load_leadsheet(source, standards, wjd)
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
    run: Path,
    source: str,
    out: Path,
    standards: Path | None = None,
    key: str | None = None,
    choruses: int = 1,
    tempo: float = 160.0,
    controls: SoloControls | None = None,
    regenerate: tuple[int, int] | None = None,
    audio: str | None = "auto",
    wjd: Path | None = None,
) -> dict:
    """A solo over the lead sheet `source` (any format `leadsheet_load.load_leadsheet` reads) in
    `key`: solo.mid (solo and comping chords), solo.json (events, chords, metrics), solo.wav,
    solo.musicxml, solo.svg and report.html, the same bytes for the same seed (only solo.json's
    `metrics.seconds` is a timing). With `regenerate=(a, b)`, bars a..b of the solo already in
    `out` are drawn again, the rest kept. Everything is checked before anything is written."""
    controls = controls or SoloControls()
    controls.validate()
    if not 1 <= choruses or not 20 <= tempo <= 400:
        raise ConfigError("choruses must be at least 1 and the tempo in [20, 400]")
    out = check_out_dir(Path(out))
    model, enc, hashes, cfg = load_solo_run(run)
    sheet = _sheet(source, standards, wjd, key, choruses)
    spbeat = cfg.steps_per_beat
    spb = sheet.beats_per_bar * spbeat
    chords = sheet.chord_per_step(spbeat) * choruses
    if audio:
        check_memory(len(chords) / spbeat * 60 / tempo * 22050 * 8 * 4, "the audio of this solo")
    keep = _kept(out, regenerate, len(chords), spb, enc.events.n_events) if regenerate else None
    t0 = time.perf_counter()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a step is a tiny product: more threads only contend (8-13 ms a step, loaded)
    try:
        events = generate_solo(model, enc, chords, spb, controls, keep)
    finally:
        torch.set_num_threads(threads)
    seconds = time.perf_counter() - t0
    tune = events_to_tune(events, chords, enc, spb, tempo, spbeat)
    shift = (-(sheet.key_root() or 0)) % 12
    in_c = enc.events.tune_to_events(transpose_tune(tune, shift - 12 if shift > 6 else shift))
    metrics = {
        "chord_tone_rate": chord_tone_rate(tune),
        "copy_rate": copy_rate_hashed(in_c, hashes, 2 * spb, spb),
        "notes": len(tune.melody),
        "steps": len(events),
        "seconds": seconds,
    }
    doc = {
        "leadsheet": sheet.title,
        "key": sheet.key,
        "choruses": choruses,
        "tempo": tempo,
        "controls": asdict(controls),
        "regenerated": list(regenerate) if regenerate else None,
        "events": events.tolist(),
        "bars": [[c.symbol for c in bar] for bar in sheet.bars],
        "metrics": metrics,
    }
    write_solo_files(out, tune, sheet, doc, audio)
    return doc


def write_solo_files(out: Path, tune: Tune, sheet, doc: dict, audio: str | None) -> None:
    """solo.mid, solo.wav (unless `audio` is None), solo.musicxml, solo.svg, solo.json and
    report.html in `out`."""
    from improvise.core.midi import MidiStyle, write_midi
    from improvise.core.runs import write_json

    write_midi(tune, out / "solo.mid", MidiStyle(chord_program=0, melody_program=65, chord_low=48))
    if audio:
        from improvise.render.audio import midi_to_wav

        doc["audio"] = {
            k: str(v) for k, v in midi_to_wav(out / "solo.mid", out / "solo.wav", synth=audio).items()
        }
    doc["score"] = write_solo_score(tune, sheet, out)
    write_json(out / "solo.json", doc)
    write_solo_report(out, doc, sheet)


def write_solo_score(tune: Tune, sheet, out: Path) -> dict:
    """solo.musicxml (music21) and solo.svg (verovio): the lead sheet with the solo, the same
    bytes for the same solo (stable ids, no date)."""
    from improvise.core.runs import write_bytes
    from improvise.render.score import musicxml_to_svg, score_to_musicxml, solo_to_score

    write_bytes(out / "solo.musicxml", score_to_musicxml(solo_to_score(tune, sheet.title)))
    info = musicxml_to_svg(out / "solo.musicxml", out / "solo.svg")  # verovio's ids from a fixed seed
    return {"notes_engraved": info["notes"], "errors": info["errors"]}


def write_solo_report(out: Path, doc: dict, sheet) -> Path:
    from improvise.leadsheet.model import format_bars
    from improvise.render.report import write_report

    shown = {k: v for k, v in doc["metrics"].items() if k != "seconds"}  # no timing: the same page every run
    return write_report(
        out,
        title=f"{doc['leadsheet']} in {doc['key']}: a solo",
        metrics={"generation": shown},
        config={k: doc[k] for k in ("choruses", "tempo", "controls", "regenerated")},
        grid=format_bars(sheet),
        pictures=[],
        audio="solo.wav" if "audio" in doc else None,
        score_svg="solo.svg",
        downloads=["solo.mid", "solo.musicxml", "solo.json"],
        notes=["Solo drawn by the chord-conditioned LSTM (improvise solo)."],
    )
