"""The page's instruments: short WAV samples of piano, bass, alto sax and drums, rendered once
from the General MIDI soundfont the package already uses (FluidSynth), or by the numpy
synthesizer where FluidSynth or a soundfont is missing, and cached.

The cache is a folder per synthesizer and soundfont under $XDG_CACHE_HOME/improvise/studio (or
~/.cache/improvise/studio): it is written to a temporary folder beside it and renamed when
complete, so a half-rendered set is never used. `manifest.json` in it lists every sample: the
page picks the nearest sample of an instrument and changes its playback rate for the pitch.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import mido
import numpy as np

SAMPLE_RATE = 22050
SET_VERSION = 1  # bump when the sample set below changes: a new cache folder
# name -> (GM program, pitches sampled, seconds held); the page plays channel 0 and 3 on the
# piano, 1 on the sax (the machine), 2 on the bass, 9 on the drums
INSTRUMENTS = {
    "piano": (0, list(range(24, 109, 6)), 1.6),
    "bass": (33, list(range(28, 65, 6)), 1.2),
    "sax": (65, list(range(49, 86, 6)), 1.6),
}
DRUMS = (36, 38, 42, 37, 76, 77)  # kick, snare, closed hat, side stick, high and low wood block
DRUM_SECONDS = 0.5
RELEASE = 0.4  # seconds kept after each note-off
CHANNEL_INSTRUMENT = {0: "piano", 1: "sax", 2: "bass", 3: "piano", 9: "drums"}


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "improvise" / "studio"


def _synth_choice(synth: str) -> tuple[str, Path | None]:
    """("fluidsynth", soundfont) when both are there (and not refused), else ("numpy", None)."""
    from improvise.render.audio import find_soundfont, fluidsynth_available

    font = find_soundfont() if synth in ("auto", "fluidsynth") else None
    if font is not None and fluidsynth_available():
        return "fluidsynth", font
    return "numpy", None


def _cache_name(kind: str, font: Path | None) -> str:
    ident = f"{SET_VERSION}:{kind}:{SAMPLE_RATE}"
    if font is not None:
        st = font.stat()
        ident += f":{font.resolve()}:{st.st_size}:{int(st.st_mtime)}"
    return f"{kind}-{hashlib.sha256(ident.encode()).hexdigest()[:12]}"


def _midi(channel: int, program: int, notes: list[int], hold: float, slot: float) -> mido.MidiFile:
    """One note after another, `slot` seconds apart, at 120 bpm (480 ticks a beat: 960 a second)."""
    mid = mido.MidiFile(ticks_per_beat=480)
    tr = mido.MidiTrack()
    mid.tracks.append(tr)
    tr.append(mido.Message("program_change", channel=channel, program=program, time=0))
    now = 0
    for k, p in enumerate(notes):
        on, off = int(k * slot * 960), int((k * slot + hold) * 960)
        tr.append(mido.Message("note_on", channel=channel, note=p, velocity=100, time=on - now))
        tr.append(mido.Message("note_off", channel=channel, note=p, time=off - on))
        now = off
    return mid


def _numpy_drum(note: int, n: int) -> np.ndarray:
    """A plain drum for the numpy set: a falling sine (kick), noise (snare, hat), a click."""
    t = np.arange(n) / SAMPLE_RATE
    rng = np.random.default_rng(note)
    if note == 36:
        return np.sin(2 * np.pi * (50 + 80 * np.exp(-t * 30)) * t) * np.exp(-t * 8)
    if note in (38, 42):
        return rng.standard_normal(n) * np.exp(-t * (25 if note == 38 else 60))
    return np.sin(2 * np.pi * (800 if note == 76 else 600 if note == 77 else 1200) * t) * np.exp(-t * 40)


def _render(kind: str, font: Path | None, channel: int, program: int, notes, hold: float) -> list[np.ndarray]:
    """One sample a note: the whole run rendered at once, then cut."""
    from improvise.render.audio import render_fluidsynth, render_numpy

    slot = hold + RELEASE
    n = int(slot * SAMPLE_RATE)
    if kind == "numpy" and channel == 9:
        return [_numpy_drum(p, n) for p in notes]
    mid = _midi(channel, program, notes, hold, slot)
    audio = (
        render_fluidsynth(mid, font, SAMPLE_RATE) if kind == "fluidsynth" else render_numpy(mid, SAMPLE_RATE)
    )
    audio = np.pad(audio, (0, max(0, len(notes) * n - len(audio))))
    return [audio[k * n : (k + 1) * n] for k in range(len(notes))]


def _write_set(folder: Path, kind: str, font: Path | None) -> dict:
    from improvise.render.audio import wav_bytes

    manifest = {"synth": kind, "soundfont": str(font) if font else None, "sample_rate": SAMPLE_RATE}
    manifest["channels"] = {str(k): v for k, v in CHANNEL_INSTRUMENT.items()}
    instruments = {}
    specs = {name: (0, prog, pitches, hold) for name, (prog, pitches, hold) in INSTRUMENTS.items()}
    specs["drums"] = (9, 0, list(DRUMS), DRUM_SECONDS)
    for name, (channel, program, pitches, hold) in specs.items():
        samples = _render(kind, font, channel, program, pitches, hold)
        entries = []
        for p, s in zip(pitches, samples):
            fade = min(len(s), int(0.02 * SAMPLE_RATE))
            s = s.copy()
            s[len(s) - fade :] *= np.linspace(1, 0, fade)
            (folder / f"{name}-{p}.wav").write_bytes(wav_bytes(s, SAMPLE_RATE))
            entries.append({"pitch": p, "file": f"{name}-{p}.wav"})
        instruments[name] = {"samples": entries, "hold": hold}
    manifest["instruments"] = instruments
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest


def ensure_samples(synth: str = "auto", root: Path | None = None) -> Path:
    """The folder of the sample set (rendered now if it is not cached yet)."""
    kind, font = _synth_choice(synth)
    root = Path(root) if root is not None else cache_root()
    folder = root / _cache_name(kind, font)
    if (folder / "manifest.json").is_file():
        return folder
    root.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".render-", dir=root))
    try:
        _write_set(stage, kind, font)
        try:
            os.replace(stage, folder)  # atomic; another studio that finished first wins
        except OSError:
            if not (folder / "manifest.json").is_file():
                raise
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return folder
