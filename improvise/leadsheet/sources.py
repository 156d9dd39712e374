"""More places lead sheets come from: MusicXML with chord symbols (through music21, parsed from
source: see `improvise.data.music21_io`), the jazz-standards JSON (iReal Pro playlists
collected as JSON), and the chord changes under a Weimar Jazz Database solo. All give
`leadsheet.LeadSheet`s; where the harmony moves inside a bar, a bar gets as many equal slots
as its changes need (a beat, or a fraction of one)."""

from __future__ import annotations

import json
import re
from fractions import Fraction
from pathlib import Path

from improvise.core.chords import ChordParseError, ChordSymbol, parse_chord
from improvise.core.errors import UserError
from improvise.leadsheet.model import FormBuilder, LeadSheet, quarter_beats, read_text

_SUBDIVISIONS = (1, 2, 3, 4, 6, 8, 12)  # slots a beat that a bar's changes may need


def _bar_slots(changes: list[tuple[float, ChordSymbol]], beats: int, previous: ChordSymbol | None) -> list:
    """One bar's slots from (beat offset, chord) changes: the fewest equal slots that place
    every change where it is (to a twelfth of a beat), merged where they agree."""
    k = next(
        (k for k in _SUBDIVISIONS if all(abs(off * k - round(off * k)) < 1e-6 for off, _ in changes)), 12
    )
    n = beats * k
    slots = []
    for s in range(n):
        here = [c for off, c in changes if round(off * k) <= s]
        previous = here[-1] if here else previous
        slots.append(previous)
    if any(s is None for s in slots):
        return []
    for m in range(1, n + 1):  # the fewest equal slots that say the same
        if n % m == 0:
            size = n // m
            if all(slots[j] == slots[j - j % size] for j in range(n)):
                return slots[::size]
    return slots


def music21_figure_to_text(figure: str) -> str:
    """music21 spells a flat root with '-' ('B-7'); ours reads '-' as minor: 'B-7' -> 'Bb7';
    its degree words go ('C7 add #9' -> 'C7add#9', 'C7 alter b5' -> 'C7b5')."""
    figure = re.sub(r"\s*\balter\s*", "", figure.strip())
    figure = re.sub(r"\s*\badd\s*", "add", figure).replace(" ", "")
    return re.sub(r"/([A-G])-", r"/\1b", re.sub(r"^([A-G])-", r"\1b", figure))


def _measure_changes(m, beats: int, bar: int, unparsed: list, warnings: list) -> list:
    from music21 import harmony

    changes = []
    for cs in m.recurse().getElementsByClass(harmony.ChordSymbol):
        text = "N.C." if isinstance(cs, harmony.NoChord) else music21_figure_to_text(cs.figure)
        off = float(cs.offset)
        if not 0 <= off < beats:
            warnings.append(
                f"bar {bar}: {text} at beat {off + 1:g} of a {beats}-beat bar, moved to its last beat"
            )
            off = min(max(off, 0.0), beats - 1.0)
        try:
            changes.append((off, parse_chord(text)))
        except ChordParseError:
            unparsed.append(f"{text[:40]} (bar {bar})")
    return sorted(changes, key=lambda c: c[0])


def _beats_of(part, path: Path) -> int:
    """Quarter beats a bar from the part's time signature; a change of signature is refused."""
    from music21 import meter

    sigs = list(part.recurse().getElementsByClass(meter.TimeSignature))
    if not sigs:
        return 4
    first = (sigs[0].numerator, sigs[0].denominator)
    for ts in sigs[1:]:
        if (ts.numerator, ts.denominator) != first:
            raise UserError(
                f"{path}: the time signature changes from {first[0]}/{first[1]} to "
                f"{ts.numerator}/{ts.denominator}; one signature a lead sheet"
            )
    return quarter_beats(first[0], first[1], str(path))


def read_musicxml_leadsheet(path: Path):
    """The chord symbols of a MusicXML (or .mxl) file's first part, bar by bar."""
    from music21 import key

    from improvise.data.music21_io import load_musicxml

    path = Path(path)
    score = load_musicxml(path)
    part = score.parts[0] if getattr(score, "parts", None) else score
    beats = _beats_of(part, path)
    form, unparsed, warnings, previous = FormBuilder(str(path)), [], [], None
    endings = {
        id(el): rb.number
        for rb in part.spannerBundle.getByClass("RepeatBracket")
        for el in rb.getSpannedElements()[:1]
    }
    for number, m in enumerate(part.getElementsByClass("Measure"), 1):
        if getattr(m.leftBarline, "direction", None) == "start":
            form.repeat_start()
        if id(m) in endings:
            form.ending(int(re.match(r"\d*", str(endings[id(m)])).group(0) or 1))
        slots = _bar_slots(_measure_changes(m, beats, number, unparsed, warnings), beats, previous)
        if slots:
            form.bar(slots)
            previous = slots[-1]
        if getattr(m.rightBarline, "direction", None) == "end":
            times = getattr(m.rightBarline, "times", None)
            form.repeat_end(min(int(times), 16) if isinstance(times, int) and times > 1 else 2)
    if not form.bars:
        raise UserError(
            f"{path}: no chord symbols found"
            + (f" that parse ({', '.join(unparsed[:5])})" if unparsed else "")
        )
    title = score.metadata.title if score.metadata and score.metadata.title else path.stem
    ks = next(iter(part.recurse().getElementsByClass(key.KeySignature)), None)
    tonic = ks.asKey().tonic.name.replace("-", "b") if ks is not None else None
    for text in warnings[:20]:
        form.warn(text)
    bars = form.finish()
    return LeadSheet(str(title)[:200], bars, beats, tonic, unparsed, form.sections, form.warnings)


# ---- the jazz-standards JSON ----------------------------------------------------------------
def _segment(chords, where: str, form, unparsed: list[str]) -> None:
    """One chords string (`C7|F7,G7|`) into `form`, bar by bar; alternates `(A7)` are not
    played but must parse too."""
    if not isinstance(chords, str):
        raise UserError(f"{where}: 'Chords' must be a string, not {type(chords).__name__}")
    for alt in re.findall(r"\(([^)]*)\)", chords):
        for tok in alt.split(","):
            try:
                if tok.strip():
                    parse_chord(tok)
            except ChordParseError:
                unparsed.append(f"({tok.strip()[:40]})")
    for bar in re.sub(r"\([^)]*\)", "", chords).split("|"):
        previous = form.bars[-1][-1] if form.bars else None
        slots = []
        for tok in bar.split(","):
            tok = tok.strip()
            if not tok:
                if previous is not None:
                    slots.append(previous)
                continue
            try:
                previous = parse_chord(tok)
                slots.append(previous)
            except ChordParseError:
                unparsed.append(tok[:40])
        if slots:
            form.bar(slots)


def _field(obj, key: str, kind, where: str, default=None):
    value = obj.get(key, default) if isinstance(obj, dict) else None
    if not isinstance(value, kind):
        raise UserError(f"{where}: {key!r} must be a {kind.__name__}, not {type(value).__name__}")
    return value


def expand_standard(tune: dict):
    """One tune of JazzStandards.json as played: sections in order, a section with endings
    played once per ending (main part, then that ending)."""
    title = str(tune.get("Title") if tune.get("Title") is not None else "?")[:200]
    ts = re.match(r"^\s*(\d{1,3})\s*/\s*(\d{1,3})\s*$", str(tune.get("TimeSignature") or "4/4"))
    if not ts:
        raise UserError(f"{title}: bad TimeSignature {str(tune.get('TimeSignature'))[:20]!r}")
    beats = quarter_beats(int(ts.group(1)), int(ts.group(2)), title)
    form, unparsed = FormBuilder(title), []
    for k, section in enumerate(_field(tune, "Sections", list, title, [])):
        where = f"{title}: section {k + 1}"
        main = _field(_field(section, "MainSegment", dict, where, {}), "Chords", str, where, "")
        endings = _field(section, "Endings", list, where, []) or [None]
        form.section(str(section.get("Label") or k + 1))
        for ending in endings:
            _segment(main, where, form, unparsed)
            if ending is not None:
                _segment(_field(ending, "Chords", str, where, ""), where, form, unparsed)
    key = tune.get("Key")
    return LeadSheet(title, form.finish(), beats, str(key)[:20] if key else None, unparsed, form.sections)


def load_standards(path: Path) -> list[dict]:
    path = Path(path)
    try:
        data = json.loads(read_text(path, "JSON file"))
    except (json.JSONDecodeError, RecursionError) as e:
        raise UserError(f"{path}: not a readable JSON file ({str(e).splitlines()[0][:120]})") from None
    if not isinstance(data, list) or not all(isinstance(t, dict) and "Sections" in t for t in data):
        raise UserError(f"{path}: expected a list of tunes with 'Sections' (JazzStandards.json)")
    return data


def _title(tune: dict) -> str:
    value = tune.get("Title")
    return value if isinstance(value, str) else "" if value is None else str(value)


def find_standard(standards: Path, title: str):
    """The tune titled `title` (case-insensitively) in a standards file, as played."""
    tunes = load_standards(standards)
    matches = [t for t in tunes if _title(t).lower() == title.lower()]
    if not matches:
        near = [_title(t) for t in tunes if title.lower() in _title(t).lower()][:5]
        hint = f"; did you mean {', '.join(near)}?" if near else ""
        raise UserError(f"{standards}: no tune titled {title[:80]!r}{hint}")
    return expand_standard(matches[0])


def parse_rate(tunes: list[dict]) -> dict:
    """How many chord tokens of a standards file parse, and which do not."""
    total, bad = 0, []
    for tune in tunes:
        sheet = expand_standard(tune)
        bad += [(_title(tune) or "?", tok) for tok in sheet.unparsed]
        total += sum(len(b) for b in sheet.bars) + len(sheet.unparsed)
    return {
        "tunes": len(tunes),
        "tokens": total,
        "unparsed": len(bad),
        "parsed_rate": 1 - len(bad) / total if total else 1.0,
        "examples": bad[:20],
    }


# ---- the WJD ------------------------------------------------------------------------------
def wjd_leadsheet(folder: Path, melid: int):
    """The changes under WJD solo `melid`, in the solo's own key, a slot a beat where they move."""
    from improvise.data.wjd import read_wjd

    solo = next((s for s in read_wjd(Path(folder), "all") if s.melid == melid), None)
    if solo is None:
        raise UserError(f"{folder}: no WJD solo with melid {melid}")
    t = solo.tune
    spb, beats = t.steps_per_bar, t.steps_per_bar // t.steps_per_beat
    bars, previous = [], None
    for start in range(0, t.steps, spb):
        changes = [
            (float(Fraction(k, t.steps_per_beat)), t.chords[start + k])
            for k in range(0, min(spb, t.steps - start))
            if start + k == 0 or t.chords[start + k] != t.chords[start + k - 1]
        ]
        slots = _bar_slots(changes, beats, previous)
        if slots:
            bars.append(slots)
            previous = slots[-1]
    key = solo.key.split("-")[0] if solo.key else None
    return LeadSheet(f"{solo.performer}: {solo.title} (WJD {melid})", bars, beats, key or None)
