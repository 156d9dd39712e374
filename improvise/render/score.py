"""Lead sheets: a Tune to MusicXML through music21 (melody with chord symbols), engraved to
SVG by verovio and to PNG by CairoSVG."""

from __future__ import annotations

import os
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

from improvise.core.errors import UserError
from improvise.core.music import Tune, is_chord_tone
from improvise.core.runs import write_bytes


def tune_to_score(tune: Tune, title: str = "improvise"):
    """A music21 Score: one part, a measure a bar, eighth-note steps, chord symbols at each change."""
    from music21 import metadata, meter, note, stream

    score = stream.Score()
    score.metadata = metadata.Metadata(title=title, composer="improvise (LSTM)")
    part = stream.Part()
    step_ql = 4.0 / tune.steps_per_bar * (tune.beats_per_bar / 4.0)  # quarter lengths a step
    onsets = {n.start: n for n in tune.melody}
    n_bars = -(-tune.steps // tune.steps_per_bar)
    for bar in range(n_bars):
        m = stream.Measure(number=bar + 1)
        if bar == 0:  # the tempo is in the report and the MIDI file, not on the page
            m.insert(0, meter.TimeSignature(f"{tune.beats_per_bar}/4"))
        start = bar * tune.steps_per_bar
        for k in range(tune.steps_per_bar):
            t = start + k
            if t >= tune.steps:
                m.append(note.Rest(quarterLength=step_ql))
                continue
            if t == 0 or tune.chords[t] != tune.chords[t - 1]:
                m.insert(k * step_ql, chord_symbol(tune.chords[t].symbol))
            n = onsets.get(t)
            if n is None:
                m.insert(k * step_ql, note.Rest(quarterLength=step_ql))
            else:
                m.insert(k * step_ql, note.Note(n.pitch, quarterLength=step_ql * n.length))
        part.append(m)
    score.append(part)
    return score


def score_to_musicxml(score) -> bytes:
    """MusicXML bytes of a music21 score, the same for the same score on every run: the random
    part and instrument ids music21 draws become P1, I1, ... in order, and the encoding date
    is left out."""
    import re

    from music21.musicxml.m21ToXml import GeneralObjectExporter

    data = GeneralObjectExporter(score).parse()
    data = re.sub(rb"\s*<encoding-date>[^<]*</encoding-date>", b"", data)
    names: dict[bytes, bytes] = {}

    def stable(m: re.Match) -> bytes:
        kind, old = m.group(1), m.group(0)
        if old not in names:
            names[old] = kind + str(sum(1 for k in names if k[:1] == kind) + 1).encode()
        return names[old]

    return re.sub(rb"\b([PI])[0-9a-f]{32}\b", stable, data)


def write_musicxml(tune: Tune, path: Path, title: str = "improvise") -> None:
    """MusicXML of `tune` at `path` (temporary file, then rename)."""
    write_bytes(Path(path), score_to_musicxml(tune_to_score(tune, title)))


@contextmanager
def captured_stderr():
    """Collect the lines C libraries write to file descriptor 2 while the block runs (the
    yielded list is filled when the block ends)."""
    sys.stderr.flush()
    lines: list[str] = []
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+") as tmp:
        os.dup2(tmp.fileno(), 2)
        try:
            yield lines
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            lines.extend(tmp.read().splitlines())


def musicxml_to_svg(musicxml: Path, svg_path: Path, png_path: Path | None = None, width: int = 2100) -> dict:
    """Engrave with verovio on one tall page; returns the note count and any verovio errors."""
    import verovio

    verovio.enableLog(verovio.LOG_WARNING)
    tk = verovio.toolkit()
    # its fonts from the package's own data folder, whatever the working directory or an earlier
    # toolkit in this process set (the studio engraves in a server thread)
    tk.setResourcePath(str(Path(verovio.__file__).resolve().parent / "data"))
    tk.setOptions(
        {
            "pageWidth": width,
            "pageHeight": 60000,
            "adjustPageHeight": True,
            "scale": 45,
            "header": "auto",
            "footer": "none",
            "breaks": "auto",
            "xmlIdSeed": 1,
        }
    )  # element ids from a fixed seed: the same SVG bytes every run
    try:
        text = Path(musicxml).read_text()
    except (OSError, UnicodeDecodeError) as e:
        raise UserError(f"{musicxml}: cannot read ({e})") from None
    with captured_stderr() as log:  # verovio reports problems only on the C-level stderr
        loaded = tk.loadData(text)
        svg = tk.renderToSVG(1) if loaded and tk.getPageCount() >= 1 else ""
    errors = [line for line in log if "[Error]" in line]
    if not svg or errors and not svg.count('class="note"'):
        raise UserError(f"{musicxml}: verovio could not engrave this MusicXML ({'; '.join(errors)[:200]})")
    write_bytes(Path(svg_path), svg.encode())
    if png_path is not None:
        import cairosvg

        write_bytes(
            Path(png_path),
            cairosvg.svg2png(bytestring=svg.encode(), output_width=1400, background_color="white"),
        )
    return {"pages": tk.getPageCount(), "notes": svg.count('class="note"'), "errors": errors}


def chord_symbol(text: str):
    """music21's ChordSymbol of a chord symbol as the package writes it ("Bb7b9": music21 spells
    the root's flat "-" but an alteration's "b"; "A7(b9)" without its parentheses). The symbol
    only: realizing its pitches (updatePitches) costs about 2 ms a chord and a score shows none
    of them."""
    from music21 import harmony

    figure = text[:1] + "-" + text[2:] if text[1:2] == "b" else text
    figure = figure.replace("(", "").replace(")", "")  # "A7(b9)": music21 reads "A7b9" only
    return harmony.ChordSymbol(figure, updatePitches=False)


CHORD_TONE_COLOUR = "#1565C0"  # a solo's chord tones in the engraved score (blue); the rest black


def key_of(text: str | None):
    """music21's Key of a lead sheet's key as written ('F', 'Bb', 'Dmin', 'C#m', 'Eb-'); None
    when there is none or it is not a key."""
    import re

    from music21 import key

    m = re.match(r"^([A-G])([b#]?)\s*(.*)$", (text or "").strip())
    if not m:
        return None
    mode = "minor" if m.group(3).lower() in ("m", "mi", "min", "minor", "-") else "major"
    try:
        return key.Key(m.group(1) + m.group(2).replace("b", "-"), mode)
    except Exception:  # noqa: BLE001  (music21 refuses a tonic it cannot spell)
        return None


def _key_signature(sharps: int):
    from music21 import key

    return key.KeySignature(sharps)


def _spelled(midi: int, sharps: int):
    """A pitch spelled for a key signature of `sharps`: flats in flat keys, sharps in sharp keys."""
    from music21 import pitch

    p = pitch.Pitch(midi=midi)
    alter = p.accidental.alter if p.accidental else 0
    if (sharps < 0 < alter) or (alter < 0 < sharps):
        p = p.getEnharmonic()
    return p


def solo_to_score(tune: Tune, title: str = "improvise", key_name: str | None = None):
    """A lead sheet with the solo for any grid (sixteenths, triplets) and any chord symbol:
    notes cut at the bar line, gaps as rests, a chord symbol at each change (as text where
    music21 cannot read the figure), the chord tones in CHORD_TONE_COLOUR; with the key
    signature of `key_name` (the lead sheet's key) and the notes spelled for it."""
    from fractions import Fraction

    from music21 import expressions, metadata, meter, note, stream

    key = key_of(key_name)
    sharps = key.sharps if key is not None else 0

    score = stream.Score()
    score.metadata = metadata.Metadata(title=title, composer="improvise (chord-conditioned LSTM)")
    part = stream.Part()
    step = Fraction(tune.beats_per_bar * 4, tune.steps_per_bar) / 4  # quarter lengths a step (x/4 time)
    spb = tune.steps_per_bar
    by_bar: dict[int, list] = {}
    for n in sorted(tune.melody, key=lambda n: n.start):
        by_bar.setdefault(n.start // spb, []).append(n)
    for bar in range(-(-tune.steps // spb)):
        m = stream.Measure(number=bar + 1)
        if bar == 0:
            m.insert(0, meter.TimeSignature(f"{tune.beats_per_bar}/4"))
            if key is not None:
                m.insert(0, _key_signature(sharps))
        start = bar * spb
        for k in range(min(spb, tune.steps - start)):
            t = start + k
            if t == 0 or tune.chords[t] != tune.chords[t - 1]:
                text = tune.chords[t].symbol
                try:
                    m.insert(k * step, chord_symbol(text))
                except Exception:  # noqa: BLE001  (music21 rejects some figures: show them as text)
                    m.insert(k * step, expressions.TextExpression(text))
        pos = 0
        for n in by_bar.get(bar, []):
            k = n.start - start
            if k < pos:
                continue
            if k > pos:
                m.insert(pos * step, note.Rest(quarterLength=(k - pos) * step))
            length = max(1, min(n.length, spb - k))
            played = note.Note(_spelled(n.pitch, sharps), quarterLength=length * step)
            if is_chord_tone(n.pitch, tune.chords[n.start]):
                played.style.color = CHORD_TONE_COLOUR
            m.insert(k * step, played)
            pos = k + length
        if pos < spb:
            m.insert(pos * step, note.Rest(quarterLength=(spb - pos) * step))
        part.append(m)
    score.append(part)
    return score
