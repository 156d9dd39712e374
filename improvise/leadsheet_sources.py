"""More places lead sheets come from: MusicXML with chord symbols (through music21) and the
chord changes under a Weimar Jazz Database solo. Both give `leadsheet.LeadSheet`s, a chord
slot a beat where the harmony moves inside a bar."""
from __future__ import annotations

import re
from pathlib import Path

from improvise.chords import ChordParseError, ChordSymbol, parse_chord
from improvise.errors import UserError


def _bar_slots(changes: list[tuple[float, ChordSymbol]], beats: int, previous: ChordSymbol | None) -> list:
    """One bar's slots from (beat offset, chord) changes: a slot a beat, merged when all agree."""
    slots = []
    for b in range(beats):
        here = [c for off, c in changes if off <= b + 1e-6]
        previous = here[-1] if here else previous
        slots.append(previous)
    if any(s is None for s in slots):
        return []
    for n in range(1, beats + 1):  # the fewest equal slots that say the same
        if beats % n == 0:
            size = beats // n
            if all(slots[k] == slots[k - k % size] for k in range(beats)):
                return slots[::size]
    return slots


def music21_figure_to_text(figure: str) -> str:
    """music21 spells a flat root with '-' ('B-7'); ours reads '-' as minor: 'B-7' -> 'Bb7'."""
    return re.sub(r"/([A-G])-", r"/\1b", re.sub(r"^([A-G])-", r"\1b", figure.strip()))


def read_musicxml_leadsheet(path: Path):
    """The chord symbols of a MusicXML (or .mxl) file's first part, bar by bar."""
    from music21 import converter, harmony, key, meter

    from improvise.leadsheet import LeadSheet

    path = Path(path)
    try:
        score = converter.parse(str(path))
    except Exception as e:  # noqa: BLE001  (music21 raises many kinds on a bad file)
        raise UserError(f"{path}: not a readable MusicXML file ({str(e).splitlines()[0][:120] if str(e) else type(e).__name__})") from None
    part = score.parts[0] if getattr(score, "parts", None) else score
    ts = next(iter(part.recurse().getElementsByClass(meter.TimeSignature)), None)
    beats = ts.numerator * 4 // ts.denominator if ts is not None else 4
    bars, unparsed, previous = [], [], None
    for m in part.getElementsByClass("Measure"):
        changes = []
        for cs in m.recurse().getElementsByClass(harmony.ChordSymbol):
            text = music21_figure_to_text(cs.figure)
            try:
                changes.append((float(cs.offset), parse_chord(text)))
            except ChordParseError:
                unparsed.append(text)
        slots = _bar_slots(changes, beats, previous)
        if slots:
            bars.append(slots)
            previous = slots[-1]
    if not bars:
        raise UserError(f"{path}: no chord symbols found")
    title = (score.metadata.title if score.metadata and score.metadata.title else path.stem)
    ks = next(iter(part.recurse().getElementsByClass(key.KeySignature)), None)
    tonic = ks.asKey().tonic.name.replace("-", "b") if ks is not None else None
    return LeadSheet(title, bars, beats, tonic, unparsed)


def wjd_leadsheet(folder: Path, melid: int):
    """The changes under WJD solo `melid`, in the solo's own key, a slot a beat where they move."""
    from improvise.corpora.wjd import read_wjd
    from improvise.leadsheet import LeadSheet

    solo = next((s for s in read_wjd(Path(folder), "all") if s.melid == melid), None)
    if solo is None:
        raise UserError(f"{folder}: no WJD solo with melid {melid}")
    t = solo.tune
    spb, beats = t.steps_per_bar, t.steps_per_bar // t.steps_per_beat
    bars, previous = [], None
    for start in range(0, t.steps, spb):
        changes = [(k / t.steps_per_beat, t.chords[start + k]) for k in range(0, min(spb, t.steps - start))
                   if start + k == 0 or t.chords[start + k] != t.chords[start + k - 1]]
        slots = _bar_slots(changes, beats, previous)
        if slots:
            bars.append(slots)
            previous = slots[-1]
    key = solo.key.split("-")[0] if solo.key else None
    return LeadSheet(f"{solo.performer}: {solo.title} (WJD {melid})", bars, beats, key or None)
