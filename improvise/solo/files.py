"""The files of a solo: solo.mid (swung at the chosen ratio), solo.wav, solo.musicxml, solo.svg,
solo.json and report.html."""

from __future__ import annotations

from pathlib import Path

from improvise.core.music import Tune


def write_solo_files(
    out: Path, tune: Tune, sheet, doc: dict, audio: str | None, swing: float = 0.5, score: bool = True
) -> None:
    """solo.mid (off-beat eighths at `swing`, core.midi), solo.wav (unless `audio` is None),
    solo.musicxml and solo.svg (unless not `score`), solo.json and report.html in `out`."""
    from improvise.core.midi import MidiStyle, write_midi
    from improvise.core.runs import write_json

    style = MidiStyle(chord_program=0, melody_program=65, chord_low=48, swing=swing)
    write_midi(tune, out / "solo.mid", style)
    if audio:
        from improvise.render.audio import midi_to_wav

        doc["audio"] = {
            k: str(v) for k, v in midi_to_wav(out / "solo.mid", out / "solo.wav", synth=audio).items()
        }
    doc["score"] = write_solo_score(tune, sheet, out) if score else None
    write_json(out / "solo.json", doc)
    write_solo_report(out, doc, sheet)


def write_solo_score(tune: Tune, sheet, out: Path) -> dict:
    """solo.musicxml (music21) and solo.svg (verovio): the lead sheet with the solo, the same
    bytes for the same solo (stable ids, no date)."""
    from improvise.core.runs import write_bytes
    from improvise.render.score import musicxml_to_svg, score_to_musicxml, solo_to_score

    write_bytes(out / "solo.musicxml", score_to_musicxml(solo_to_score(tune, sheet.title, sheet.key)))
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
        config={k: doc.get(k) for k in ("choruses", "tempo", "swing", "model", "controls", "regenerated")},
        grid=format_bars(sheet),
        pictures=[],
        audio="solo.wav" if "audio" in doc else None,
        score_svg="solo.svg" if doc.get("score") else None,
        downloads=["solo.mid", "solo.json"] + (["solo.musicxml"] if doc.get("score") else []),
        notes=[
            "Solo drawn by the chord-conditioned LSTM (improvise solo).",
            "In the score, the chord tones (the triad and seventh of the chord under each note's start) "
            "are blue; the audio is swung at the swing ratio above.",
            *doc.get("notes", []),
        ],
    )
