"""The Solo tab: a solo over a lead sheet by the package's soloist (improvise.solo.soloist),
written as the run folder `improvise solo` writes (solo.mid, solo.wav, solo.musicxml, solo.svg,
solo.json, report.html), and its notes for the page to play and draw.

A request names the tune by its text (pasted changes or a lead-sheet file's contents, written
into the run folder and read from there) or by a title in the studio's jazz-standards file; a
path is never taken from the page. Every field is checked here; a bad one is a UserError.
"""

from __future__ import annotations

import re
import secrets
import time
from pathlib import Path

import mido

from improvise.core.errors import UserError

MAX_TEXT = 2_000_000  # characters of a lead sheet sent by the page
TEXT_SUFFIXES = ("txt", "ls", "musicxml", "xml", "html")
FOLDER = re.compile(r"^solo-[0-9A-Za-z-]{1,60}$")
MAX_CHORUSES = 16


def _field(req: dict, name: str, kind, lo=None, hi=None, default=None):
    value = req.get(name, default)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise UserError(f"solo: {name} must be a {kind.__name__}")
    if lo is not None and not lo <= value <= hi:
        raise UserError(f"solo: {name} must be {lo} to {hi}, not {value}")
    return value


def _tune_source(req: dict, folder: Path, standards: Path | None) -> str:
    """What solo_over_leadsheet reads: the text written to the run folder, or a checked title."""
    if req.get("text"):
        text = _field(req, "text", str)
        if len(text) > MAX_TEXT:
            raise UserError(f"solo: a lead sheet of at most {MAX_TEXT} characters")
        ext = _field(req, "ext", str, default="txt").lower().lstrip(".")
        if ext not in TEXT_SUFFIXES:
            raise UserError(
                f"solo: a lead-sheet file is one of .{', .'.join(TEXT_SUFFIXES)}, not .{ext[:10]}"
            )
        if ext == "txt" and "|" in text and "title:" not in text:
            text = "title: pasted changes\ntime: 4/4\n" + text  # bare changes pasted in the box
        path = folder / f"leadsheet.{ext}"
        path.write_text(text, encoding="utf-8")
        return str(path)
    title = _field(req, "title", str, default="")
    if not title or len(title) > 200 or re.search(r"[/\\]|^\.|^(wjd|irealb|irealbook):", title, re.I):
        raise UserError("solo: give the changes (text) or a tune title from the standards file")
    from improvise.solo.builtin import find_builtin

    if find_builtin(title) is not None:
        return str(find_builtin(title))
    if standards is None:
        raise UserError(
            f"solo: {title[:60]!r} is not a shipped tune (start the studio with --standards FILE)"
        )
    if Path(title).exists():
        raise UserError(f"solo: {title!r} is not a title")
    return title


def midi_notes(path: Path) -> dict:
    """The notes of a MIDI file for the page: [start s, length s, channel, pitch, velocity, program]
    and the first tempo (seconds a beat)."""
    mid = mido.MidiFile(path)
    now, notes, open_, programs, beat = 0.0, [], {}, {}, None
    for msg in mid:
        now += msg.time
        if msg.type == "set_tempo" and beat is None:
            beat = msg.tempo / 1e6
        elif msg.type == "program_change":
            programs[msg.channel] = msg.program
        elif msg.type == "note_on" and msg.velocity > 0:
            open_.setdefault((msg.channel, msg.note), []).append((now, msg.velocity))
        elif msg.type in ("note_on", "note_off") and open_.get((msg.channel, msg.note)):
            start, vel = open_[(msg.channel, msg.note)].pop(0)
            ch = msg.channel
            notes.append([round(start, 4), round(now - start, 4), ch, msg.note, vel, programs.get(ch, 0)])
    notes.sort()
    return {"notes": notes, "beat_seconds": beat or 0.5, "seconds": round(mid.length, 3)}


def check_model(model: Path | None) -> None:
    """A soloist is there: the run folder given, or the one shipped with the package."""
    from improvise.solo.runs import PRETRAINED

    where = Path(model) if model is not None else PRETRAINED
    if not (where / "model.pt").is_file():
        raise UserError(
            f"{where}: no trained soloist there; train one ('improvise solo-train --wjd WJD --out runs/solo')"
            " and start the studio with --solo-model runs/solo"
        )


def solo_request(
    req: dict, out_root: Path, model: Path | None, standards: Path | None, synth: str = "auto"
) -> dict:
    """Generate (or regenerate bars of) a solo as the page asks; the run folder's file names and
    the notes to play. `model`: a run folder of `improvise solo-train` (None: the shipped one)."""
    from improvise.solo.soloist import SoloControls, SoloJob, parse_bars, solo_over_leadsheet

    check_model(model)
    regenerate = parse_bars(req["regenerate"]) if req.get("regenerate") else None
    if regenerate:
        name = _field(req, "folder", str)
        if not FOLDER.match(name) or not (out_root / name / "solo.json").is_file():
            raise UserError("solo: regenerate needs the folder of a solo made here")
    else:
        name = f"solo-{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}"
    folder = out_root / name
    folder.mkdir(parents=True, exist_ok=True)
    source = (
        _tune_source(req, folder, standards) if not regenerate else _previous_source(folder, req, standards)
    )
    seed = _field(req, "seed", int, 0, 2**32 - 1, default=secrets.randbits(32))
    controls = SoloControls(temperature=_field(req, "temperature", float, 0.0, 5.0, 1.0), seed=seed)
    key = req.get("key") or None
    if key is not None and (not isinstance(key, str) or not re.fullmatch(r"[A-Ga-g][#b]?", key)):
        raise UserError("solo: key is a pitch name such as C, Bb or F#")
    job = SoloJob(
        key=key,
        choruses=_field(req, "choruses", int, 1, MAX_CHORUSES, 1),
        tempo=_field(req, "tempo", float, 40.0, 320.0, 160.0),
        swing=_field(req, "swing", float, 0.5, 0.8, 0.6),
        regenerate=regenerate,
        audio=synth,
    )
    doc = solo_over_leadsheet(model, source, folder, standards, job=job, controls=controls)
    files = [
        f
        for f in ("solo.svg", "solo.wav", "solo.mid", "solo.musicxml", "solo.json")
        if (folder / f).is_file()
    ]
    return {
        "folder": name,
        "files": files,
        "seed": seed,
        "leadsheet": doc["leadsheet"],
        "key": doc["key"],
        "bars": doc["bars"],
        "metrics": {k: v for k, v in doc["metrics"].items() if isinstance(v, int | float) and k != "seconds"},
        "midi": midi_notes(folder / "solo.mid"),
    }


def titles(standards: Path | None) -> list[str]:
    """The tunes the page offers: the shipped lead sheets, then the standards file's titles."""
    from improvise.solo.builtin import builtin_titles

    out = builtin_titles()
    if standards is not None:
        from improvise.leadsheet.sources import load_standards

        try:
            out += sorted(
                {str(t.get("Title", "")) for t in load_standards(Path(standards)) if t.get("Title")}
            )
        except (UserError, AttributeError, TypeError):
            pass
    return out[:5000]


def _previous_source(folder: Path, req: dict, standards: Path | None) -> str:
    """Regenerating bars reads the same tune: the lead sheet written there, else the title again."""
    for path in sorted(folder.glob("leadsheet.*")):
        return str(path)
    return _tune_source(req, folder, standards)
