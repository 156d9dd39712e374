"""ABC, MusicXML and **kern through music21, into Tunes: the top voice as the melody and the
chord symbols (ABC "Am" annotations, MusicXML <harmony>) as the chord track.

Files with many tunes (an ABC book) give one Tune each. Offsets are quantised to
`steps_per_beat` steps a quarter note; where notes share a step the highest is kept.

Safety: music21 keeps pickled parses of the files it reads in its scratch folder and loads
them back by file name, so a pickle planted there would run its code. Every file here is
parsed from its source with the cache bypassed (`parse_source`, `load_musicxml`): nothing is
read from or written to that cache. Before music21 sees a file, what could make it loop for
ever is checked against the package's bounds (time signatures, bar counts, note lengths).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from improvise.core.checks import MAX_BARS, MAX_BEATS_PER_BAR, check_in_file
from improvise.core.chords import ChordParseError, ChordSymbol, parse_chord
from improvise.core.errors import UserError
from improvise.core.music import Note, Tune

MAX_SOURCE_BYTES = 16 << 20  # a score file read whole, or the XML inside an .mxl
_DENOMINATORS = ("1", "2", "4", "8", "16", "32", "64")


def _figure(cs) -> str:
    fig = cs.figure
    return fig[0] + "b" + fig[2:] if fig[1:2] == "-" else fig  # music21 writes B-flat as 'B-'


def score_to_tune(score, steps_per_beat: int = 4) -> Tune:
    from music21 import chord as m21chord
    from music21 import harmony, meter

    flat = score.stripTies().flatten()
    ts = next(iter(flat.getElementsByClass(meter.TimeSignature)), None)
    bar_ql = float(ts.barDuration.quarterLength) if ts else 4.0
    spb_bar = max(1, round(bar_ql * steps_per_beat))
    onsets: dict[int, Note] = {}
    for el in flat.notes:
        if isinstance(el, harmony.ChordSymbol):
            continue
        pitch = max(p.midi for p in el.pitches) if isinstance(el, m21chord.Chord) else el.pitch.midi
        start = round(float(el.offset) * steps_per_beat)
        length = max(1, round(float(el.quarterLength) * steps_per_beat))
        if start not in onsets or pitch > onsets[start].pitch:  # the top voice wins a shared step
            onsets[start] = Note(pitch, start, length)
    end = max((n.start + n.length for n in onsets.values()), default=spb_bar)
    n_steps = -(-end // spb_bar) * spb_bar
    marks = []
    for cs in flat.getElementsByClass(harmony.ChordSymbol):
        try:
            marks.append((round(float(cs.offset) * steps_per_beat), parse_chord(_figure(cs))))
        except ChordParseError:
            marks.append((round(float(cs.offset) * steps_per_beat), ChordSymbol(None, text=cs.figure)))
    marks.sort(key=lambda m: m[0])
    chords, current, k = [], marks[0][1] if marks else ChordSymbol(None), 0
    for t in range(n_steps):
        while k < len(marks) and marks[k][0] <= t:
            current = marks[k][1]
            k += 1
        chords.append(current)
    melody = sorted(onsets.values(), key=lambda n: n.start)
    melody = [
        Note(
            n.pitch,
            n.start,
            min(n.length, (melody[i + 1].start if i + 1 < len(melody) else n_steps) - n.start),
        )
        for i, n in enumerate(melody)
    ]
    beats = ts.numerator if ts else 4
    return Tune(chords=chords, melody=melody, steps_per_bar=spb_bar, beats_per_bar=beats)


def _why(e: BaseException) -> str:
    text = str(e).strip().splitlines()[0][:160] if str(e).strip() else type(e).__name__
    return text


def _check_meters(path: Path, text: str, fmt: str) -> None:
    """Refuse time signatures and lengths beyond the package's bounds before music21 sees
    them (it loops for minutes on `M:99999999/4`)."""
    pattern = {"abc": r"(?:^|\[)\s*M:\s*(\d+)\s*/\s*(\d+)", "humdrum": r"\*M(\d+)/(\d+)"}.get(fmt)
    if pattern:
        for num, den in re.findall(pattern, text, re.M):
            if len(num) > 3 or not 1 <= int(num) <= MAX_BEATS_PER_BAR or den.lstrip("0") not in _DENOMINATORS:
                raise UserError(
                    f"{path}: time signature {num[:12]}/{den[:12]} is out of range "
                    f"(at most {MAX_BEATS_PER_BAR} beats of a whole ... 64th note)"
                )
    if fmt == "abc":
        for num, den in re.findall(r"(?:^|\[)\s*L:\s*(\d+)\s*/\s*(\d+)", text, re.M):
            if len(num) > 3 or len(den) > 3 or int(num) == 0 or int(den) == 0:
                raise UserError(f"{path}: unit note length {num[:12]}/{den[:12]} is out of range")
        if re.search(r"[A-Ga-gz][,']*\d{4,}", text):
            raise UserError(f"{path}: a note longer than 999 unit lengths")


def parse_source(path: Path, fmt: str):
    """A music21 stream of the file at `path`, parsed from its source: music21's pickle cache
    is never read or written (`parseFileNoPickle`)."""
    from music21 import converter

    if fmt == "musicxml":
        return load_musicxml(path)
    path = check_in_file(path)
    if path.stat().st_size > MAX_SOURCE_BYTES:
        raise UserError(f"{path}: larger than {MAX_SOURCE_BYTES >> 20} MiB")
    try:
        _check_meters(path, path.read_text(errors="replace"), fmt)
        c = converter.Converter()
        c.parseFileNoPickle(path, format=fmt, forceSource=True)
        return c.stream
    except UserError:
        raise
    except Exception as e:  # noqa: BLE001  (music21 raises many kinds on malformed input)
        raise UserError(f"{path}: music21 cannot read it ({_why(e)})") from None


def _mxl_xml(path: Path) -> bytes:
    """The score inside a compressed MusicXML file (its container names it), size-bounded."""
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            if sum(i.file_size for i in z.infolist()) > 4 * MAX_SOURCE_BYTES:
                raise UserError(f"{path}: unpacks to more than {4 * MAX_SOURCE_BYTES >> 20} MiB")
            root = None
            if "META-INF/container.xml" in names:
                m = re.search(rb'full-path="([^"]+)"', z.read("META-INF/container.xml")[:65536])
                root = m.group(1).decode("utf-8", "replace") if m else None
            if root not in names:
                root = next(
                    (
                        n
                        for n in names
                        if n.lower().endswith((".xml", ".musicxml")) and not n.startswith("META-INF")
                    ),
                    None,
                )
            if root is None:
                raise UserError(f"{path}: a zip file without a MusicXML score in it")
            with z.open(root) as f:
                data = f.read(MAX_SOURCE_BYTES + 1)
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        EOFError,
        NotImplementedError,
        ValueError,
        OSError,
    ) as e:
        raise UserError(f"{path}: not a readable .mxl file ({_why(e)})") from None
    if len(data) > MAX_SOURCE_BYTES:
        raise UserError(f"{path}: its score is larger than {MAX_SOURCE_BYTES >> 20} MiB")
    return data


def _number(el, path: Path, what: str, hi: float) -> float:
    text = (el.text or "").strip()
    try:
        value = float(text)
    except ValueError:
        raise UserError(f"{path}: <{what}> is not a number: {text[:20]!r}") from None
    if not 0 <= value <= hi:
        raise UserError(f"{path}: <{what}> {text[:20]} is out of range (0 to {hi:g})")
    return value


def _check_musicxml(root, path: Path) -> None:
    """The bounds music21 needs to finish: bars, time signatures, divisions, note lengths."""
    if root.tag != "score-partwise":
        raise UserError(f"{path}: not a partwise MusicXML score (root element <{root.tag[:40]}>)")
    for part in root.iter("part"):
        if len(part.findall("measure")) > MAX_BARS:
            raise UserError(f"{path}: more than {MAX_BARS} bars in a part")
    for time in root.iter("time"):
        for beats, kind in zip(time.findall("beats"), time.findall("beat-type")):
            parts = (beats.text or "").strip().split("+")
            if (
                not all(p.isdigit() and len(p) <= 3 for p in parts)
                or not 1 <= sum(map(int, parts)) <= MAX_BEATS_PER_BAR
                or (kind.text or "").strip() not in _DENOMINATORS
            ):
                raise UserError(
                    f"{path}: time signature {(beats.text or '')[:12]}/{(kind.text or '')[:12]} is out "
                    f"of range (at most {MAX_BEATS_PER_BAR} beats of a whole ... 64th note)"
                )
    top = max([_number(d, path, "divisions", 1e6) for d in root.iter("divisions")] or [1.0])
    if top <= 0:
        raise UserError(f"{path}: <divisions> must be positive")
    for d in root.iter("duration"):
        _number(d, path, "duration", top * 4 * MAX_BEATS_PER_BAR)


def load_musicxml(path: Path):
    """A music21 Score of a MusicXML or .mxl file: read and checked here, then converted by
    music21's importer from the parsed tree (no file name reaches music21, so no cache)."""
    import xml.etree.ElementTree as ET

    from music21.musicxml import xmlToM21

    path = check_in_file(path)
    if path.stat().st_size > MAX_SOURCE_BYTES:
        raise UserError(f"{path}: larger than {MAX_SOURCE_BYTES >> 20} MiB")
    data = path.read_bytes()
    if data.startswith(b"PK"):
        data = _mxl_xml(path)
    try:
        root = ET.fromstring(data)
    except (ET.ParseError, ValueError) as e:
        raise UserError(f"{path}: not a readable MusicXML file ({_why(e)})") from None
    _check_musicxml(root, path)
    try:
        c = xmlToM21.MusicXMLImporter()
        c.xmlRoot = root
        c.xmlRootToScore(root, c.stream)
        return c.stream
    except Exception as e:  # noqa: BLE001  (music21 raises many kinds on malformed input)
        raise UserError(f"{path}: not a readable MusicXML file ({_why(e)})") from None


_FORMATS = {
    ".abc": "abc",
    ".krn": "humdrum",
    ".kern": "humdrum",
    ".xml": "musicxml",
    ".musicxml": "musicxml",
    ".mxl": "musicxml",
}


def read_music21(path: Path, steps_per_beat: int = 4) -> list[tuple[str, Tune]]:
    """(title, Tune) of every piece in an ABC, MusicXML or **kern file."""
    from music21 import stream

    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such file")
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise UserError(f"{path}: not an ABC, MusicXML or **kern file (by its extension)")
    parsed = parse_source(path, fmt)
    scores = list(parsed.scores) if isinstance(parsed, stream.Opus) else [parsed]
    out = []
    for i, sc in enumerate(scores):
        title = sc.metadata.title if sc.metadata and sc.metadata.title else f"{path.stem} #{i + 1}"
        try:
            out.append((title, score_to_tune(sc, steps_per_beat)))
        except (ValueError, TypeError, AttributeError, ZeroDivisionError) as e:
            raise UserError(f"{path}: piece {i + 1} cannot be read ({_why(e)})") from None
    return out
