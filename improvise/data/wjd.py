"""The Weimar Jazz Database (CSV export): 456 transcribed solos, each note with its metrical
position and the chord sounding under it, read into Tunes on a step grid.

A note's grid step comes from its bar, beat, tatum and the beat's division; two notes that
land on one step keep the first (the count of dropped notes is reported). Lengths come from
the note's duration at the solo's average tempo, cut at the next onset. The chord track is
the chord of the latest note onset, carried forward. Chord spellings follow the WJD's own
postfix style (`C79b`, `Ebj7911#`), read by `improvise.core.chords.parse_wjd_chord`.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import math
import zlib
from dataclasses import dataclass
from pathlib import Path

from improvise.core.checks import MAX_BARS, MAX_BEATS_PER_BAR, MAX_STEPS_PER_BEAT
from improvise.core.chords import ChordParseError, ChordSymbol, parse_wjd_chord
from improvise.core.errors import UserError
from improvise.core.music import QUALITIES, Note, Tune, parse_pitch_class

NOTES_FILE, SOLOS_FILE = "wjd_notes.csv.gz", "wjd_solos.csv"
SUBSETS = ("all", "blues")
NOTE_COLUMNS = ("melid", "bar", "beat", "tatum", "division", "beats_per_bar", "duration_s", "pitch", "chord")
SOLO_COLUMNS = ("melid", "performer", "title", "key", "avgtempo", "tonality_type")
MAX_SOLO_STEPS = 2_000_000  # grid steps of one solo (bars x beats x steps a beat)


@dataclass
class Solo:
    melid: int
    performer: str
    title: str
    key: str  # e.g. 'Bb-maj'
    tonality: str  # FUNCTIONAL | BLUES | COLOR | MODAL | FREE
    tune: Tune  # chords are ChordSymbols (N.C. where the WJD says NC)
    notes_read: int
    notes_dropped: int  # lost to a grid step that already had a note


def _open_rows(path: Path, columns: tuple[str, ...]):
    """The rows of a CSV (or gzipped CSV) file as dicts; a UserError naming the file when it is
    not one, or lacks one of `columns`."""
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            missing = [c for c in columns if c not in (reader.fieldnames or [])]
            if missing:
                raise UserError(f"{path}: not the WJD CSV export: no column {', '.join(missing)}")
            for row in reader:
                if any(row.get(c) is None for c in columns):
                    raise UserError(f"{path}: line {reader.line_num}: fewer fields than the header has")
                yield row
    except (OSError, EOFError, gzip.BadGzipFile, zlib.error, csv.Error, UnicodeDecodeError) as e:
        raise UserError(f"{path}: cannot read ({str(e)[:160]})") from None


def _int(text: str, lo: int, hi: int, what: str) -> int:
    value = int(text)
    if not lo <= value <= hi:
        raise ValueError(f"{what} {value} is outside {lo}..{hi}")
    return value


def _melid(text: str, where: Path) -> int:
    try:
        return _int(text, 0, 10**9, "melid")
    except ValueError:
        raise UserError(f"{where}: melid {text[:20]!r} is not a number") from None


def key_shift_to_c(key: str) -> int:
    """Semitones that move a WJD key's tonic ('Bb-maj' -> Bb) to C, the shorter way (-5..6);
    0 for a key without a tonic (free pieces)."""
    tonic = key[:2] if key[1:2] in ("b", "#") else key[:1]
    try:
        root = parse_pitch_class(tonic)
    except ValueError:
        return 0
    shift = (-root) % 12
    return shift - 12 if shift > 6 else shift


def read_wjd(folder: Path, subset: str = "all", steps_per_beat: int = 4, to_c: bool = False) -> list[Solo]:
    """Every solo of the WJD export in `folder` (or the 97 of `subset='blues'`) on a grid of
    `steps_per_beat` steps a beat; `to_c` transposes each solo so its key's tonic is C."""
    folder = Path(folder)
    if subset not in SUBSETS:
        raise UserError(f"subset must be one of {SUBSETS}, not {subset!r}")
    if not 1 <= steps_per_beat <= MAX_STEPS_PER_BEAT:
        raise UserError(f"steps_per_beat must be in [1, {MAX_STEPS_PER_BEAT}]")
    if folder.exists() and not folder.is_dir():
        raise UserError(f"{folder}: is a file; expected the WJD folder (wjd_notes.csv.gz, wjd_solos.csv)")
    for name in (NOTES_FILE, SOLOS_FILE):
        if not (folder / name).is_file():
            raise UserError(f"{folder / name}: no such file (expected the WJD CSV export)")
    meta = {_melid(r["melid"], folder / SOLOS_FILE): r for r in _open_rows(folder / SOLOS_FILE, SOLO_COLUMNS)}
    by_solo: dict[int, list[dict]] = {}
    for r in _open_rows(folder / NOTES_FILE, NOTE_COLUMNS):
        by_solo.setdefault(_melid(r["melid"], folder / NOTES_FILE), []).append(r)
    solos = []
    for melid in sorted(by_solo):
        m = meta.get(melid)
        if m is None or (subset == "blues" and m["tonality_type"] != "BLUES"):
            continue
        solos.append(_solo(melid, m, by_solo[melid], steps_per_beat, to_c, folder / NOTES_FILE))
    return solos


def _tempo(m: dict) -> float:
    try:
        tempo = float(m["avgtempo"] or 120.0)
    except ValueError:
        return 120.0
    return tempo if math.isfinite(tempo) and 10 <= tempo <= 1000 else 120.0


def _event(r: dict, beats: int, bar0: int, spb: int) -> tuple[int, int, float, ChordSymbol]:
    """(step, pitch, seconds, chord) of one note row; ValueError or ChordParseError if bad."""
    bar = _int(r["bar"], bar0, bar0 + MAX_BARS - 1, "bar") - bar0
    beat = _int(r["beat"], 1, MAX_BEATS_PER_BAR, "beat")  # past the bar's beats: spills into the next bar
    division = max(1, _int(r["division"], 0, 64, "division"))
    tatum = _int(r["tatum"], 1, 64, "tatum")
    step = bar * beats * spb + round(((beat - 1) + (tatum - 1) / division) * spb)
    dur = float(r["duration_s"])
    if not (math.isfinite(dur) and 0 <= dur <= 3600):
        raise ValueError(f"duration {r['duration_s'][:20]} s")
    chord = parse_wjd_chord(r["chord"]) if r["chord"] else ChordSymbol(None)
    return step, _int(r["pitch"], 0, 127, "pitch"), dur, chord


def _solo(
    melid: int, m: dict, rows: list[dict], spb: int, to_c: bool, where: Path = Path(NOTES_FILE)
) -> Solo:
    try:
        beats = _int(rows[0]["beats_per_bar"] or "4", 0, MAX_BEATS_PER_BAR, "beats_per_bar") or 4
        bar0 = min(int(r["bar"]) for r in rows)
    except ValueError as e:
        raise UserError(f"{where}: solo {melid}: bad row ({e})") from None
    tempo = _tempo(m)
    shift = key_shift_to_c(m["key"]) if to_c else 0
    events: dict[int, tuple[int, float, ChordSymbol]] = {}
    dropped = 0
    for r in rows:
        try:
            step, pitch, dur, chord = _event(r, beats, bar0, spb)
        except (ValueError, ChordParseError) as e:
            raise UserError(f"{where}: solo {melid}: bad row ({str(e)[:120]})") from None
        if step in events:
            dropped += 1
            continue
        events[step] = (min(127, max(0, pitch + shift)), dur, chord.transpose(shift))
    onsets = sorted(events)
    n_steps = (onsets[-1] // (beats * spb) + 1) * beats * spb
    if n_steps > MAX_SOLO_STEPS:
        raise UserError(
            f"{where}: solo {melid} spans {n_steps} grid steps; at most {MAX_SOLO_STEPS} "
            "(fewer bars or a coarser grid)"
        )
    notes, chords = [], []
    for k, step in enumerate(onsets):
        pitch, dur, _ = events[step]
        nxt = onsets[k + 1] if k + 1 < len(onsets) else n_steps
        length = max(1, min(nxt - step, round(dur * tempo / 60 * spb)))
        notes.append(Note(pitch, step, length))
    current = events[onsets[0]][2]
    for t in range(n_steps):
        if t in events:
            current = events[t][2]
        chords.append(current)
    tune = Tune(chords=chords, melody=notes, steps_per_bar=beats * spb, beats_per_bar=beats, tempo_bpm=tempo)
    return Solo(melid, m["performer"], m["title"], m["key"], m["tonality_type"], tune, len(rows), dropped)


def chord_tone_rate(solos: list[Solo]) -> float:
    """Notes whose pitch class is in the sounding chord's triad plus seventh (extensions and
    N.C. left out), over all notes: the WJD blues solos score 0.486 (shared/findings.md)."""
    hits = total = 0
    for s in solos:
        for n in s.tune.melody:
            chord = s.tune.chords[n.start]
            if chord.root is None:
                continue
            total += 1
            hits += (n.pitch - chord.root) % 12 in QUALITIES[chord.quality]
    return hits / total if total else 0.0


def split_by_piece(ids: list, valid: float = 0.1, test: float = 0.1) -> dict[str, list]:
    """A deterministic split by piece (never by step): each id goes by a hash of its name, so
    adding pieces does not move the others."""
    out: dict[str, list] = {"train": [], "valid": [], "test": []}
    for i in ids:
        u = int(hashlib.sha1(str(i).encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
        out["test" if u < test else "valid" if u < test + valid else "train"].append(i)
    return out
