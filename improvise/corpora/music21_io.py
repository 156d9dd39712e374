"""ABC, MusicXML and **kern through music21, into Tunes: the top voice as the melody and the
chord symbols (ABC "Am" annotations, MusicXML <harmony>) as the chord track.

Files with many tunes (an ABC book) give one Tune each. Offsets are quantised to
`steps_per_beat` steps a quarter note; where notes share a step the highest is kept.
"""
from __future__ import annotations

from pathlib import Path

from improvise.chords import ChordParseError, ChordSymbol, parse_chord
from improvise.errors import UserError
from improvise.music import Note, Tune


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
    melody = [Note(n.pitch, n.start, min(n.length, (melody[i + 1].start if i + 1 < len(melody) else n_steps) - n.start))
              for i, n in enumerate(melody)]
    beats = ts.numerator if ts else 4
    return Tune(chords=chords, melody=melody, steps_per_bar=spb_bar, beats_per_bar=beats)


def read_music21(path: Path, steps_per_beat: int = 4) -> list[tuple[str, Tune]]:
    """(title, Tune) of every piece in an ABC, MusicXML or **kern file."""
    from music21 import converter, stream

    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such file")
    try:
        parsed = converter.parse(str(path))
    except Exception as e:  # music21 raises many kinds on malformed input
        raise UserError(f"{path}: music21 cannot read it ({str(e).splitlines()[0][:160] if str(e) else type(e).__name__})") from None
    scores = list(parsed.scores) if isinstance(parsed, stream.Opus) else [parsed]
    out = []
    for i, sc in enumerate(scores):
        title = (sc.metadata.title if sc.metadata and sc.metadata.title else f"{path.stem} #{i + 1}")
        out.append((title, score_to_tune(sc, steps_per_beat)))
    return out
