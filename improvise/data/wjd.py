"""The Weimar Jazz Database (CSV export): 456 transcribed solos, each note with its metrical
position and the chord sounding under it, read into Tunes on a step grid.

A note's grid step comes from its bar, beat, tatum and the beat's division; two notes that
land on one step keep the first (the count of dropped notes is reported). With `grid="swing"`
(four steps a beat) the swing is read as the players' eighths, not as sixteenths: a beat
divided in three (or six) puts its tatums on 0, 1/3, 2/3, 5/6 of a swung beat, i.e. steps 0,
1, 2, 3, so a swung off-beat eighth (the triplet's third tatum) is step 2, the eighth, not the
last sixteenth; and a beat divided in four whose only off-beat onset is its last tatum (a
dotted eighth and a sixteenth, the WJD's spelling of a hard-swung eighth pair) puts that onset
on step 2 too. Beats with real sixteenths keep them. `core.midi` plays step 2 of a beat
without a step-3 onset at the swing ratio. Lengths come from
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
from improvise.core.music import Note, Tune, parse_pitch_class

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


def read_wjd(
    folder: Path, subset: str = "all", steps_per_beat: int = 4, to_c: bool = False, grid: str = "straight"
) -> list[Solo]:
    """Every solo of the WJD export in `folder` (or the 97 of `subset='blues'`) on a grid of
    `steps_per_beat` steps a beat; `to_c` transposes each solo so its key's tonic is C;
    `grid="swing"` (with 4 steps a beat) reads swung eighths as eighths (module doc)."""
    folder = Path(folder)
    if subset not in SUBSETS:
        raise UserError(f"subset must be one of {SUBSETS}, not {subset!r}")
    if grid not in ("straight", "swing") or (grid == "swing" and steps_per_beat != 4):
        raise UserError(f"grid must be 'straight' or 'swing' (4 steps a beat), not {grid!r}")
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
        solos.append(_solo(melid, m, by_solo[melid], steps_per_beat, to_c, folder / NOTES_FILE, grid))
    return solos


def _tempo(m: dict) -> float:
    try:
        tempo = float(m["avgtempo"] or 120.0)
    except ValueError:
        return 120.0
    return tempo if math.isfinite(tempo) and 10 <= tempo <= 1000 else 120.0


SWUNG = (0.0, 1 / 3, 2 / 3, 5 / 6)  # steps 0-3 of a beat in three (or six): the swung grid


def _in_beat(tatum: int, division: int, late_eighth: bool, spb: int, swing: bool) -> int:
    """Steps from the beat's start to a tatum (spb steps a beat; may be spb: the next beat)."""
    f = (tatum - 1) / division
    if not swing:
        return round(f * spb)
    if division % 3 == 0:
        return min(range(5), key=lambda k: abs((SWUNG + (1.0,))[k] - f))
    if late_eighth and division == 4 and tatum == 4:
        return 2
    return round(f * spb)


def _event(
    r: dict, beats: int, bar0: int, spb: int, late: frozenset = frozenset(), swing: bool = False
) -> tuple[int, int, float, ChordSymbol]:
    """(step, pitch, seconds, chord) of one note row; ValueError or ChordParseError if bad.
    `late`: the (bar, beat)s whose only off-beat onset is the last of four tatums."""
    bar = _int(r["bar"], bar0, bar0 + MAX_BARS - 1, "bar") - bar0
    beat = _int(r["beat"], 1, MAX_BEATS_PER_BAR, "beat")  # past the bar's beats: spills into the next bar
    division = max(1, _int(r["division"], 0, 64, "division"))
    tatum = _int(r["tatum"], 1, 64, "tatum")
    inner = _in_beat(tatum, division, (bar, beat) in late, spb, swing)
    step = bar * beats * spb + (beat - 1) * spb + inner
    dur = float(r["duration_s"])
    if not (math.isfinite(dur) and 0 <= dur <= 3600):
        raise ValueError(f"duration {r['duration_s'][:20]} s")
    chord = parse_wjd_chord(r["chord"]) if r["chord"] else ChordSymbol(None)
    return step, _int(r["pitch"], 0, 127, "pitch"), dur, chord


def _late_eighths(rows: list[dict], bar0: int) -> frozenset:
    """(bar, beat)s divided in four whose onsets after the first tatum are only the fourth."""
    tatums: dict[tuple[int, int], set] = {}
    for r in rows:
        if r["division"] == "4":
            tatums.setdefault((int(r["bar"]) - bar0, int(r["beat"])), set()).add(r["tatum"])
    return frozenset(k for k, v in tatums.items() if "4" in v and v <= {"1", "4"})


def _solo(
    melid: int,
    m: dict,
    rows: list[dict],
    spb: int,
    to_c: bool,
    where: Path = Path(NOTES_FILE),
    grid: str = "straight",
) -> Solo:
    try:
        beats = _int(rows[0]["beats_per_bar"] or "4", 0, MAX_BEATS_PER_BAR, "beats_per_bar") or 4
        bar0 = min(int(r["bar"]) for r in rows)
    except ValueError as e:
        raise UserError(f"{where}: solo {melid}: bad row ({e})") from None
    tempo = _tempo(m)
    shift = key_shift_to_c(m["key"]) if to_c else 0
    swing = grid == "swing"
    try:
        late = _late_eighths(rows, bar0) if swing else frozenset()
    except ValueError as e:
        raise UserError(f"{where}: solo {melid}: bad row ({e})") from None
    events: dict[int, tuple[int, float, ChordSymbol]] = {}
    dropped = 0
    for r in rows:
        try:
            step, pitch, dur, chord = _event(r, beats, bar0, spb, late, swing)
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
    N.C. left out), over all notes: the WJD blues solos score 0.486 (shared/findings.md). The
    one definition is `improvise.solo.measures.chord_tone_counts`."""
    from improvise.solo.measures import chord_tone_counts

    counts = [chord_tone_counts(s.tune) for s in solos]
    total = sum(t for _, t in counts)
    return sum(h for h, _ in counts) / total if total else 0.0


def split_by_piece(ids: list, valid: float = 0.1, test: float = 0.1) -> dict[str, list]:
    """A deterministic split by piece (never by step): each id goes by a hash of its name, so
    adding pieces does not move the others."""
    out: dict[str, list] = {"train": [], "valid": [], "test": []}
    for i in ids:
        u = int(hashlib.sha1(str(i).encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
        out["test" if u < test else "valid" if u < test + valid else "train"].append(i)
    return out
