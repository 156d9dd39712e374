"""The Weimar Jazz Database (CSV export): 456 transcribed solos, each note with its metrical
position and the chord sounding under it, read into Tunes on a step grid.

A note's grid step comes from its bar, beat, tatum and the beat's division; two notes that
land on one step keep the first (the count of dropped notes is reported). Lengths come from
the note's duration at the solo's average tempo, cut at the next onset. The chord track is
the chord of the latest note onset, carried forward. Chord spellings follow the WJD's own
postfix style (`C79b`, `Ebj7911#`), read by `improvise.chords.parse_wjd_chord`.
"""
from __future__ import annotations

import csv
import gzip
import hashlib
from dataclasses import dataclass
from pathlib import Path

from improvise.chords import ChordParseError, ChordSymbol, parse_wjd_chord
from improvise.errors import UserError
from improvise.music import QUALITIES, Note, Tune, parse_pitch_class

NOTES_FILE, SOLOS_FILE = "wjd_notes.csv.gz", "wjd_solos.csv"
SUBSETS = ("all", "blues")


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


def _open_rows(path: Path):
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", newline="") as f:
            yield from csv.DictReader(f)
    except (OSError, EOFError, gzip.BadGzipFile, csv.Error) as e:
        raise UserError(f"{path}: cannot read ({e})") from None


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
    if steps_per_beat < 1:
        raise UserError("steps_per_beat must be at least 1")
    for name in (NOTES_FILE, SOLOS_FILE):
        if not (folder / name).is_file():
            raise UserError(f"{folder / name}: no such file (expected the WJD CSV export)")
    meta = {int(r["melid"]): r for r in _open_rows(folder / SOLOS_FILE)}
    by_solo: dict[int, list[dict]] = {}
    for r in _open_rows(folder / NOTES_FILE):
        by_solo.setdefault(int(r["melid"]), []).append(r)
    solos = []
    for melid in sorted(by_solo):
        m = meta.get(melid)
        if m is None or (subset == "blues" and m["tonality_type"] != "BLUES"):
            continue
        solos.append(_solo(melid, m, by_solo[melid], steps_per_beat, to_c))
    return solos


def _solo(melid: int, m: dict, rows: list[dict], spb: int, to_c: bool) -> Solo:
    beats = int(rows[0]["beats_per_bar"]) or 4
    bar0 = min(int(r["bar"]) for r in rows)
    tempo = float(m["avgtempo"] or 120.0)
    shift = key_shift_to_c(m["key"]) if to_c else 0
    events: dict[int, tuple[int, float, ChordSymbol]] = {}
    dropped = 0
    for r in rows:
        try:
            pos = (int(r["beat"]) - 1) + (int(r["tatum"]) - 1) / max(1, int(r["division"]))
            step = (int(r["bar"]) - bar0) * beats * spb + round(pos * spb)
            chord = parse_wjd_chord(r["chord"]) if r["chord"] else ChordSymbol(None)
            pitch, dur = int(r["pitch"]), float(r["duration_s"])
        except (ValueError, KeyError, ChordParseError) as e:
            raise UserError(f"{NOTES_FILE}: solo {melid}: bad row ({e})") from None
        if step in events:
            dropped += 1
            continue
        events[step] = (pitch + shift, dur, chord.transpose(shift))
    onsets = sorted(events)
    n_steps = (onsets[-1] // (beats * spb) + 1) * beats * spb
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
