"""`improvise kern sample`: samples from a trained run, finished, checked and written out.

Per sample i in OUT: sample_i.raw.txt (the model's text), sample_i.krn (finished), .musicxml and
.mid (music21), .svg (verovio), .wav (the package's audio path); OUT/validity.json lists per
sample the validator's findings for the raw sample (given only the preamble, the barline numbers
and the terminators: `with_basics`) and for the finished file.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from improvise.core.checks import file_error
from improvise.core.errors import UserError
from improvise.core.runs import write_bytes, write_json
from improvise.kern.grammar import KernGrammar
from improvise.kern.prepare import KernError, next_spine_types
from improvise.kern.sample import (
    DEFAULT_LAYOUT,
    SampleConfig,
    finish_body,
    meter_of,
    preamble,
    primer_state,
    sample_body,
)
from improvise.kern.validate import validate_kern
from improvise.kern.vocabulary import BARLINE


def with_basics(text: str, layout=DEFAULT_LAYOUT, tempo: int = 120) -> str:
    """The raw sample with only what seed 004 added by hand: a preamble, numbered barlines (one
    field per spine, as far as the spines can be followed) and `*-` on every spine."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    types, out, bar = list(layout), [], 0
    for n, line in enumerate(lines, 1):
        if line == BARLINE:
            bar += 1
            out.append("\t".join(f"={bar}" for _ in types))
            continue
        out.append(line)
        fields = line.split("\t")
        if fields[0].startswith("*") and len(fields) == len(types):
            try:
                types = next_spine_types(fields, types, n) or types
            except KernError:
                pass
    body = ["@" if line.startswith("=") else line for line in out]
    return (
        "\n".join(
            ["!!!OTL: raw sample"]
            + preamble(layout, meter_of(body), tempo)
            + out
            + ["\t".join("*-" for _ in types)]
        )
        + "\n"
    )


def _summary(result: dict) -> dict:
    """The JSON part of validate_kern's result."""
    return {
        "ok": result["ok"],
        "grammar_errors": result["grammar"]["errors"][:20],
        "grammar_error_count": len(result["grammar"]["errors"]),
        "grammar_notes": result["grammar_notes"],
        "verovio": result["verovio"],
        "music21": result["music21"],
        "music21_dropped_notes": result["music21_dropped_notes"],
    }


def score_to_files(score, stem: Path, synth: str | None) -> dict:
    """MusicXML (the same bytes for the same score) and MIDI from a music21 score, then WAV;
    returns what was written. A file that cannot be written is a UserError naming it."""
    from music21.midi.translate import streamToMidiFile

    from improvise.render.score import score_to_musicxml

    written = {}
    write_bytes(stem.with_suffix(".musicxml"), score_to_musicxml(score))
    written["musicxml"] = stem.with_suffix(".musicxml").name
    write_bytes(stem.with_suffix(".mid"), streamToMidiFile(score).writestr())
    written["midi"] = stem.with_suffix(".mid").name
    if synth:
        from improvise.render.audio import midi_to_wav

        wav = stem.with_suffix(".wav")
        try:
            written["audio"] = midi_to_wav(stem.with_suffix(".mid"), wav, synth)
        except OSError as e:
            raise file_error(wav, f"could not write this file ({e.strerror or e})") from None
    return written


def _export(entry: dict, fin: dict, stem: Path, synth: str | None) -> None:
    """score_to_files into the sample's entry; music21 failing to export a score it read is
    recorded in the entry (files_error), a file that cannot be written is raised."""
    if fin["_score"] is None or not fin["music21"]["notes"]:
        return
    try:
        entry["files"] = score_to_files(fin["_score"], stem, synth)
    except (UserError, OSError, MemoryError):
        raise
    except Exception as e:  # noqa: BLE001 - music21's exporters raise many kinds on odd scores
        entry["files_error"] = f"{type(e).__name__}: {str(e)[:200]}"


def check_synth(synth: str) -> None:
    """Refuse --synth fluidsynth where FluidSynth or a soundfont is missing, before any work."""
    if synth != "fluidsynth":
        return
    from improvise.render.audio import find_soundfont, fluidsynth_available

    if not fluidsynth_available():
        raise UserError(
            "--synth fluidsynth: FluidSynth is not installed (Debian: apt-get install fluidsynth); "
            "use --synth numpy"
        )
    if find_soundfont() is None:
        raise UserError("--synth fluidsynth: no General MIDI soundfont found; use --synth numpy")


def to_last_barline(text: str) -> str | None:
    """The sample up to and including its last barline (None when it has none)."""
    lines = text.split("\n")
    bars = [i for i, line in enumerate(lines) if line == BARLINE]
    return "\n".join(lines[: bars[-1] + 1]) + "\n" if bars else None


def finish_and_check(
    text: str, layout, tempo: int, title: str, path: Path, svg: Path | None
) -> tuple[dict, dict]:
    """finish_body, then the validator; a finished file the validator fails (in the last,
    unfinished measure, where the grammar's rhythm count and verovio's can part by a grace note's
    worth) is cut back to its last barline once and checked again."""
    finished = finish_body(text, layout, tempo, title=title)
    write_bytes(path, finished["kern"].encode())
    fin = validate_kern(finished["kern"], path, svg)
    shorter = None if fin["ok"] else to_last_barline(text)
    if shorter is not None and shorter != text:
        again = finish_body(shorter, layout, tempo, title=title)
        write_bytes(path, again["kern"].encode())
        checked = validate_kern(again["kern"], path, svg)
        if checked["ok"]:
            again["repairs"].append("cut back to the last barline (the validator failed the last measure)")
            again["dropped_lines"] += [
                {"line": None, "text": line[:120], "reason": "after the last barline"}
                for line in text[len(shorter) :].split("\n")
                if line
            ]
            return again, checked
        write_bytes(path, finished["kern"].encode())
        fin = validate_kern(finished["kern"], path, svg)  # the first verdict (and its SVG) stand
    return finished, fin


def _one_sample(i: int, s: dict, out: Path, cfg: SampleConfig, layout, files: bool) -> dict:
    """Write sample i's raw text and finished files; its validity.json entry."""
    stem = out / f"sample_{i:03d}"
    write_bytes(stem.with_suffix(".raw.txt"), s["text"].encode())
    t0 = time.perf_counter()
    raw = validate_kern(with_basics(s["text"], layout, cfg.tempo))
    svg_tmp = out / f".{stem.name}.svg.tmp"
    finished, fin = finish_and_check(
        s["text"],
        layout,
        cfg.tempo,
        f"improvise kern sample {i} (seed {cfg.seed})",
        stem.with_suffix(".krn"),
        svg_tmp if files else None,
    )
    entry = {
        "index": i,
        "characters": len(s["text"]),
        "sample_seconds": s["seconds"],
        "dead_end": s["dead_end"],
        "repairs": finished["repairs"],
        "dropped_lines": finished["dropped_lines"][:20],
        "raw_with_basics": _summary(raw),
        "finished": _summary(fin),
        "validate_seconds": time.perf_counter() - t0,
    }
    if files:
        if svg_tmp.is_file():
            os.replace(svg_tmp, stem.with_suffix(".svg"))
        _export(entry, fin, stem, None if cfg.synth == "none" else cfg.synth)
    return entry


def sample_run(run: Path, out: Path, cfg: SampleConfig, files: bool = True) -> dict:
    """Draw cfg.n samples from a run folder into `out`; returns validity.json's content. The
    settings, the run folder and the primer are checked before `out` is made."""
    from improvise.kern.runfolder import load_kern_model
    from improvise.nn.char_lstm import NumpyCharStep

    cfg.validate()
    check_synth(cfg.synth)
    model, chars, config = load_kern_model(run)
    layout = tuple(config.get("layout", DEFAULT_LAYOUT))
    primer_state(cfg.primer, chars, cfg.grammar, layout, cfg.splits)
    stepper, grammar = NumpyCharStep(model), KernGrammar(chars)
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise file_error(out, f"cannot make this folder ({e.strerror or e})") from None
    samples = [
        _one_sample(i, sample_body(stepper, chars, cfg, i, layout, grammar), out, cfg, layout, files)
        for i in range(cfg.n)
    ]
    doc = {
        "run": str(run),
        "config": cfg.to_dict(),
        "layout": list(layout),
        "samples": samples,
        "finished_ok": sum(e["finished"]["ok"] for e in samples),
        "raw_ok_with_basics": sum(e["raw_with_basics"]["ok"] for e in samples),
    }
    write_json(out / "validity.json", doc)
    return doc
