"""`improvise render SESSION`: a jam session folder (written by `improvise jam --out` or by the
studio) to sound and pictures, as `render` does for a blues run.

From session.mid (a track per role: performer, machine, bass, chords, drums, click; see
improvise.live.session) and session.json it writes session.wav (FluidSynth or the numpy synth,
as `--synth` says), session_roll.png (every role's notes over time, each in its own colour, the
machine's beside the performer's), report.html and render.json. Every file is read and checked
before anything is written.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import mido

from improvise.core.errors import UserError
from improvise.core.runs import read_json, write_json

ROLE_COLOURS = {  # a colour a role, the performer and the machine far apart
    "performer": "#1f77b4",
    "human": "#6baed6",
    "machine": "#d62728",
    "bass": "#2ca02c",
    "chords": "#9467bd",
    "drums": "#7f7f7f",
    "click": "#c7c7c7",
}
MAX_ROLL_SECONDS = 600.0  # the piano roll shows at most the first 10 minutes


def session_notes(mid: mido.MidiFile) -> dict[str, list[tuple[float, float, int]]]:
    """{role: [(start s, end s, MIDI pitch), ...]} from a session file: a track per role, named by
    its track_name, one tempo (set in the first track). A note still sounding at the end of its
    track ends there."""
    tempo = 500_000
    for m in mid.tracks[0] if mid.tracks else []:
        if m.type == "set_tempo":
            tempo = m.tempo
            break
    seconds = tempo / 1e6 / mid.ticks_per_beat
    notes: dict[str, list[tuple[float, float, int]]] = {}
    for i, track in enumerate(mid.tracks):
        role = next((m.name for m in track if m.type == "track_name"), f"track {i}")
        sounding: dict[tuple[int, int], float] = {}
        out, tick = notes.setdefault(role, []), 0
        for m in track:
            tick += m.time
            now = tick * seconds
            if m.type == "note_on" and m.velocity > 0:
                sounding[(m.channel, m.note)] = now
            elif m.type in ("note_off", "note_on") and (m.channel, m.note) in sounding:
                out.append((sounding.pop((m.channel, m.note)), now, m.note))
        out += [(start, tick * seconds, note) for (_, note), start in sounding.items()]
    return {role: sorted(n) for role, n in notes.items() if n}


def open_session(run_dir: Path) -> dict:
    """session.json and session.mid of a jam folder, checked; a one-line UserError otherwise."""
    from improvise.live.midifile import read_midi

    doc = read_json(run_dir / "session.json")
    if not isinstance(doc.get("notes", {}), dict):
        raise UserError(f"{run_dir / 'session.json'}: 'notes' should map each role to a count")
    mid_path = run_dir / "session.mid"
    if not mid_path.is_file():
        raise UserError(f"{run_dir}: a jam session without session.mid (it was written without --out?)")
    notes = session_notes(read_midi(mid_path, "session MIDI file"))
    if not notes:
        raise UserError(f"{mid_path}: no notes to render")
    return {"doc": doc, "notes": notes}


def session_roll(notes: dict[str, list[tuple[float, float, int]]], path: Path, title: str) -> None:
    """Every role's notes as bars (time in seconds across, MIDI pitch up), drums and click
    left out of the pitch axis (they are drum-kit keys, not pitches)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    from improvise.render.plots import save

    fig, ax = plt.subplots(figsize=(12, 4.5))
    for role, spans in notes.items():
        if role in ("drums", "click"):
            continue
        spans = [s for s in spans if s[0] < MAX_ROLL_SECONDS]
        colour = ROLE_COLOURS.get(role, "#444444")
        for a, b, p in spans:
            ax.add_patch(Rectangle((a, p - 0.4), max(b - a, 0.02), 0.8, color=colour, lw=0))
        ax.plot([], [], color=colour, lw=6, label=f"{role} ({len(notes[role])} notes)")
    ax.autoscale()
    ax.set_xlabel("seconds")
    ax.set_ylabel("MIDI pitch")
    ax.set_title(title)
    ax.legend(loc="upper right", fontsize=8)
    save(fig, path)


def render_session(run_dir: Path, cfg) -> dict:
    """session.wav, session_roll.png, report.html and render.json of a jam folder (`cfg` a
    render.run.RenderConfig: its synth and soundfont are used; a session keeps its own tempo)."""
    from improvise.render.audio import midi_to_wav
    from improvise.render.report import write_report

    session = open_session(run_dir)
    soundfont = Path(cfg.soundfont) if cfg.soundfont else None
    audio = midi_to_wav(
        run_dir / "session.mid", run_dir / "session.wav", synth=cfg.synth, soundfont=soundfont
    )
    session_roll(session["notes"], run_dir / "session_roll.png", f"improvise jam: {run_dir.name}")
    counts = {role: len(n) for role, n in session["notes"].items()}
    write_report(
        run_dir,
        title=f"improvise jam: {run_dir.name}",
        metrics={"generation": {f"notes: {role}": n for role, n in counts.items()}},
        config=session["doc"].get("config", {}),
        grid="\n".join(f"{role:>10}: {n} notes" for role, n in counts.items()),
        pictures=[("who played what, when", "session_roll.png")],
        audio="session.wav",
        score_svg=None,
        downloads=[f for f in ("session.mid", "session.wav", "session.json") if (run_dir / f).is_file()],
        notes=[],
    )
    written = ["session.wav", "session_roll.png", "report.html"]
    result = {
        "kind": "jam",
        "written": written,
        "notes": counts,
        "audio": {k: str(v) for k, v in audio.items()},
        "config": asdict(cfg),
    }
    write_json(run_dir / "render.json", result)
    return result
