"""MIDI to WAV: FluidSynth (pyfluidsynth over the system libfluidsynth) with a General MIDI
soundfont when both are present, else a small numpy synthesizer, so audio always works.

Both read the MIDI file through mido and render mono 16-bit PCM at `sample_rate`.
"""

from __future__ import annotations

import io
import wave
from pathlib import Path

import mido
import numpy as np

from improvise.core.errors import UserError
from improvise.core.runs import write_bytes

SOUNDFONT_DIRS = (
    "/usr/share/sounds/sf2",
    "/usr/share/soundfonts",
    "/usr/local/share/soundfonts",
    "/usr/share/sounds/sf3",
    "/opt/homebrew/share/soundfonts",
)
PREFERRED = ("TimGM6mb.sf2", "FluidR3_GM.sf2", "default.sf2", "GeneralUser GS.sf2")
TAIL_SECONDS = 0.3  # release time kept after the last note-off
SYNTHS = ("auto", "fluidsynth", "numpy")


def find_soundfont() -> Path | None:
    """The first General MIDI soundfont in the usual folders, preferring small ones."""
    for d in SOUNDFONT_DIRS:
        for name in PREFERRED:
            if (Path(d) / name).is_file():
                return Path(d) / name
    for d in SOUNDFONT_DIRS:
        found = sorted(Path(d).glob("*.sf[23]")) if Path(d).is_dir() else []
        if found:
            return found[0]
    return None


def fluidsynth_available() -> bool:
    try:
        import fluidsynth  # noqa: F401  (raises ImportError without the system library)
    except (ImportError, OSError):
        return False
    return True


def _events(mid: mido.MidiFile) -> list[tuple[float, mido.Message]]:
    """(seconds, message) of every channel message, in time order (mido applies the tempo map)."""
    now, out = 0.0, []
    for msg in mid:
        now += msg.time
        if not msg.is_meta:
            out.append((now, msg))
    return out


def render_fluidsynth(mid: mido.MidiFile, soundfont: Path, sample_rate: int) -> np.ndarray:
    import fluidsynth

    from improvise.render.score import captured_stderr

    check_soundfont(soundfont)
    synth = fluidsynth.Synth(samplerate=float(sample_rate), gain=0.5)
    try:
        with captured_stderr() as log:  # FluidSynth and libinstpatch report on the C-level stderr
            sfid = synth.sfload(str(soundfont))
        if sfid < 0:
            why = next((ln.split("error:", 1)[1].strip() for ln in log if "error:" in ln), "")
            raise UserError(
                f"{soundfont}: FluidSynth could not load this soundfont" + (f" ({why})" if why else "")
            )
        for ch in range(16):
            synth.program_select(ch, sfid, 128 if ch == 9 else 0, 0)
        chunks, done = [], 0
        for when, msg in _events(mid) + [(mid.length + TAIL_SECONDS, None)]:
            target = int(round(when * sample_rate))
            if target > done:
                chunks.append(np.asarray(synth.get_samples(target - done), dtype=np.int16))
                done = target
            if msg is None:
                break
            if msg.type == "note_on":
                synth.noteon(msg.channel, msg.note, msg.velocity)
            elif msg.type == "note_off":
                synth.noteoff(msg.channel, msg.note)
            elif msg.type == "program_change":
                synth.program_select(msg.channel, sfid, 128 if msg.channel == 9 else 0, msg.program)
            elif msg.type == "control_change":
                synth.cc(msg.channel, msg.control, msg.value)
    finally:
        synth.delete()
    stereo = np.concatenate(chunks).astype(np.float64).reshape(-1, 2)
    return stereo.mean(axis=1) / 32768.0


def _voice(freq: float, n: int, sample_rate: int, bright: bool) -> np.ndarray:
    """One note: a few harmonics under an attack-decay-sustain-release envelope."""
    t = np.arange(n) / sample_rate
    partials = (1.0, 0.5, 0.33, 0.2) if bright else (1.0, 0.3, 0.1)
    wave_ = sum(a * np.sin(2 * np.pi * freq * (k + 1) * t) for k, a in enumerate(partials))
    attack, release = int(0.01 * sample_rate), int(0.05 * sample_rate)
    env = np.ones(n)
    env[:attack] = np.linspace(0, 1, min(attack, n))[:n] if attack else 1
    decay = np.exp(-t * (3.0 if bright else 0.8))
    env *= 0.6 + 0.4 * decay
    if n > release:
        env[-release:] *= np.linspace(1, 0, release)
    return wave_ * env


def render_numpy(mid: mido.MidiFile, sample_rate: int) -> np.ndarray:
    """A plain additive synthesizer: channel 0 soft (chords), others brighter (melody)."""
    out = np.zeros(int((mid.length + TAIL_SECONDS) * sample_rate) + 1)
    sounding: dict[tuple[int, int], tuple[float, int]] = {}
    for when, msg in _events(mid):
        key = (msg.channel, msg.note) if msg.type in ("note_on", "note_off") else None
        if key is None:
            continue
        if msg.type == "note_on" and msg.velocity > 0:
            sounding[key] = (when, msg.velocity)
        elif key in sounding:
            start, velocity = sounding.pop(key)
            a, n = int(start * sample_rate), int((when - start + 0.05) * sample_rate)
            n = min(n, len(out) - a)
            freq = 440.0 * 2 ** ((msg.note - 69) / 12)
            gain = (velocity / 127) * (0.12 if msg.channel == 0 else 0.25)
            out[a : a + n] += gain * _voice(freq, n, sample_rate, bright=msg.channel != 0)
    return out


def wav_bytes(samples: np.ndarray, sample_rate: int) -> bytes:
    peak = np.abs(samples).max(initial=0.0)
    if peak > 0:
        samples = samples * (0.9 / peak)  # both synthesizers end up equally loud
    pcm = np.clip(samples * 32767, -32768, 32767).astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(pcm.tobytes())
    return buf.getvalue()


def check_soundfont(path: Path) -> Path:
    """A readable SoundFont 2 file (a RIFF 'sfbk' chunk as long as the file says), checked before
    FluidSynth sees it; a UserError naming the file otherwise."""
    path = Path(path)
    if path.is_dir():
        raise UserError(f"{path}: is a folder, not a soundfont")
    if not path.is_file():
        raise UserError(f"{path}: no such soundfont")
    try:
        with open(path, "rb") as f:
            head = f.read(12)
    except OSError as e:
        raise UserError(f"{path}: cannot read ({e.strerror})") from None
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"sfbk":
        raise UserError(f"{path}: not a SoundFont 2 file (no RIFF sfbk header)")
    if int.from_bytes(head[4:8], "little") + 8 > path.stat().st_size:
        raise UserError(f"{path}: a truncated SoundFont 2 file (shorter than its header says)")
    return path


def midi_to_wav(
    midi_path: Path,
    wav_path: Path,
    synth: str = "auto",
    soundfont: Path | None = None,
    sample_rate: int = 22050,
) -> dict:
    """Render `midi_path` to `wav_path`; returns which synthesizer and soundfont were used."""
    if synth not in SYNTHS:
        raise UserError(f"synth must be one of {SYNTHS}, not {synth!r}")
    if soundfont is not None:
        check_soundfont(soundfont)
    try:
        mid = mido.MidiFile(midi_path)
    except (OSError, EOFError, ValueError, KeyError) as e:
        raise UserError(f"{midi_path}: not a readable MIDI file ({e})") from None
    font = Path(soundfont) if soundfont else find_soundfont()
    use_fluid = synth == "fluidsynth" or (synth == "auto" and font is not None and fluidsynth_available())
    if use_fluid:
        if font is None:
            raise UserError("no General MIDI soundfont found: pass --soundfont PATH or use --synth numpy")
        if not fluidsynth_available():
            raise UserError(
                "FluidSynth is not installed (Debian: apt-get install fluidsynth): use --synth numpy"
            )
        samples = render_fluidsynth(mid, font, sample_rate)
    else:
        samples = render_numpy(mid, sample_rate)
    write_bytes(Path(wav_path), wav_bytes(samples, sample_rate))
    return {
        "synth": "fluidsynth" if use_fluid else "numpy",
        "soundfont": str(font) if use_fluid else None,
        "seconds": len(samples) / sample_rate,
        "sample_rate": sample_rate,
        "midi_seconds": mid.length,
    }
