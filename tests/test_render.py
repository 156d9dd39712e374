import json
import shutil
import subprocess
import time
import wave

import mido
import numpy as np
import pytest

from improvise.cli.main import dispatch
from improvise.core.midi import MidiStyle, tune_to_midi
from improvise.encodings.blues import BluesEncoding
from improvise.render.audio import find_soundfont, fluidsynth_available, midi_to_wav
from improvise.render.run import RenderConfig, render_run

DEMO_FILES = (
    "chorus.mid",
    "chorus.wav",
    "score.musicxml",
    "score.svg",
    "pianoroll.png",
    "training_curves.png",
    "weights.png",
    "training.gif",
    "report.html",
)


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """What `make demo` makes: train (with GIF snapshots), generate 4 choruses, render."""
    run = tmp_path_factory.mktemp("demo")
    assert (
        dispatch(["blues", "train", "--out", str(run), "--quiet", "--epochs", "60", "--snapshot-every", "20"])
        == 0
    )
    assert dispatch(["blues", "generate", str(run), "--choruses", "4"]) == 0
    assert dispatch(["render", str(run)]) == 0
    return run


def _wav(path):
    with wave.open(str(path)) as w:
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2") / 32768.0
        return data, w.getnframes() / w.getframerate()


def test_render_writes_every_file(demo_run):
    for name in DEMO_FILES:
        assert (demo_run / name).is_file() and (demo_run / name).stat().st_size > 0, name
    from PIL import Image

    assert Image.open(demo_run / "training.gif").n_frames == 4  # epochs 1, 20, 40, 60


@pytest.mark.parametrize("synth", ["numpy", "fluidsynth"])
def test_wav_is_audible_and_as_long_as_the_midi(demo_run, tmp_path, synth):
    if synth == "fluidsynth" and not (fluidsynth_available() and find_soundfont()):
        pytest.skip("FluidSynth or a soundfont is not installed (make sysdeps)")
    out = tmp_path / f"{synth}.wav"
    info = midi_to_wav(demo_run / "chorus.mid", out, synth=synth)
    samples, seconds = _wav(out)
    assert info["synth"] == synth
    assert np.sqrt(np.mean(samples**2)) > 0.02  # well above silence
    assert abs(seconds - mido.MidiFile(demo_run / "chorus.mid").length) < 0.5


def test_missing_soundfont_is_a_user_error(demo_run, tmp_path):
    assert dispatch(["render", str(demo_run), "--soundfont", str(tmp_path / "none.sf2")]) == 2


def test_score_engraves_and_reads_back(demo_run):
    from music21 import converter, note

    from improvise.render.score import musicxml_to_svg

    tokens = json.loads((demo_run / "tokens.json").read_text())
    vocab = tokens["pitch_vocab"]
    expected = [vocab[p] for p in tokens["pitches"] if vocab[p] != "REST"]
    info = musicxml_to_svg(demo_run / "score.musicxml", demo_run / "check.svg")
    assert info["errors"] == [] and info["notes"] == len(expected)
    assert (demo_run / "check.svg").read_text().count('class="note"') == len(expected)
    score = converter.parse(str(demo_run / "score.musicxml"))
    assert [n.pitch.midi for n in score.flatten().getElementsByClass(note.Note)] == expected


def test_swing_moves_the_off_beat_eighth():
    enc = BluesEncoding()
    tune = enc.tokens_to_tune(np.zeros(4, dtype=int), np.zeros(4, dtype=int))
    ticks, now = [], 0
    for msg in tune_to_midi(tune, MidiStyle(swing=0.67)).tracks[1]:
        now += msg.time
        if msg.type == "note_on":
            ticks.append(now)
    assert ticks == [0, 322, 480, 802]
    with pytest.raises(ValueError):
        MidiStyle(swing=0.3).validate()


def _chromium():
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def test_report_loads_in_headless_chromium(demo_run, tmp_path):
    browser = _chromium()
    if browser is None:
        pytest.skip("Chromium is not installed (make sysdeps)")
    flags = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    url = (demo_run / "report.html").as_uri()
    dom = subprocess.run(
        flags + ["--virtual-time-budget=15000", "--dump-dom", url],
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    assert 'data-checked="yes"' in dom, dom[:500]
    images = int(dom.split('data-images="')[1].split('"')[0])
    broken = int(dom.split('data-broken-images="')[1].split('"')[0])
    duration = float(dom.split('data-audio-duration="')[1].split('"')[0])
    assert images >= 6 and broken == 0
    assert duration > 0
    shot = tmp_path / "report.png"
    subprocess.run(
        flags + ["--window-size=1200,2400", f"--screenshot={shot}", url], capture_output=True, timeout=120
    )
    assert shot.is_file() and shot.stat().st_size > 10_000


@pytest.mark.realtime
def test_render_of_100_choruses_is_quick(run_dir, tmp_path):
    out = tmp_path / "long"
    assert dispatch(["blues", "generate", str(run_dir), "--choruses", "100", "--out", str(out)]) == 0
    for name in ("config.json", "model.pt", "history.json"):
        shutil.copy(run_dir / name, out / name)
    t0 = time.perf_counter()
    result = render_run(out, RenderConfig(synth="numpy"))
    assert time.perf_counter() - t0 < 30  # about 4 s here (2 cores)
    assert result["shown"] == 8 and result["choruses"] == 100
    assert (out / "excerpt.mid").is_file() and (out / "chord_match.png").is_file()
    _, seconds = _wav(out / "chorus.wav")
    assert abs(seconds - mido.MidiFile(out / "excerpt.mid").length) < 0.5


def test_render_needs_tokens(tmp_path, capsys):
    assert dispatch(["render", str(tmp_path)]) == 2
    assert "no tokens.json" in capsys.readouterr().err
