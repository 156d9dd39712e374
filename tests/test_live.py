"""The jam engine in simulated time with in-memory ports (issue 7); its robustness to floods and
bad input (issue 13). Tests marked `realtime` run on the wall clock."""

import random

import mido
import numpy as np
import pytest

from improvise.live import JamConfig, JamEngine, LoopSpec, MemoryPort, SimClock, tap_tempo
from improvise.live.pitches import CyclePitchSource, fit_pitch
from improvise.live.session import performance_from_midi, session_to_midi, simulate

SPEC = LoopSpec(bars=2, beats_per_bar=4, beat_unit=4, tempo_bpm=120)  # 32 steps of 0.125 s
DT = SPEC.step_seconds


def notes(spec, start_step=0, jitter=0.0, seed=0, channel=0):
    """(time, msg) for each (step, length, pitch, velocity) in spec, played `jitter` s off the grid."""
    rng = random.Random(seed)
    out = []
    for step, length, pitch, vel in spec:
        t = (start_step + step) * DT + rng.uniform(-jitter, jitter)
        out.append((t, mido.Message("note_on", channel=channel, note=pitch, velocity=vel)))
        out.append((t + length * DT - 0.01, mido.Message("note_off", channel=channel, note=pitch)))
    return out


BASS = [(0, 4, 36, 100), (6, 2, 43, 90), (8, 8, 41, 95), (16, 4, 36, 100), (22, 2, 38, 80), (24, 6, 43, 90)]
CHORDS = [
    (0, 16, 60, 70),
    (0, 16, 64, 70),
    (0, 16, 67, 70),
    (16, 16, 65, 70),
    (16, 16, 69, 70),
    (16, 16, 72, 70),
]


def by_role(rec, role, kind="note_on"):
    return [
        (round(t / DT), m.note, m.velocity)
        for t, r, m in rec.events
        if r == role and m.type == kind and (kind != "note_on" or m.velocity > 0)
    ]


def test_tap_tempo_and_meter():
    assert tap_tempo([0.0, 0.5, 1.0, 1.52, 2.0]) == pytest.approx(120.0, rel=0.01)
    assert LoopSpec(bars=1, beats_per_bar=7, beat_unit=8).loop_steps == 14
    with pytest.raises(ValueError):
        tap_tempo([1.0])


def test_recorded_bass_and_chords_loop_exactly():
    perf = notes(BASS, 0, jitter=0.02) + notes(CHORDS, 32, jitter=0.02)
    engine, rec, port = simulate(
        JamConfig(loop=SPEC, click=False, drums="off"), perf, modes={0: "bass", 1: "chords"}, extra_loops=3
    )
    assert [e["layer"] for e in engine.log if e["kind"] == "recorded"] == ["bass", "chords"]
    bass = by_role(rec, "bass")
    played = [(s, p, v) for s, p, v in bass if s >= 32]  # the passes after the recorded one
    want = [(32 * k + s, p, v) for k in (1, 2, 3, 4) for s, _, p, v in BASS]
    assert sorted(played)[: len(want)] == sorted(want)
    chords = [(s, p, v) for s, p, v in by_role(rec, "chords") if s >= 64]
    want = [(32 * k + s, p, v) for k in (2, 3, 4) for s, _, p, v in CHORDS]
    assert sorted(chords)[: len(want)] == sorted(want)
    assert port.sounding() == set()


def test_drum_rule_note_for_note():
    engine, rec, _ = simulate(
        JamConfig(loop=SPEC, click=False), notes(BASS), modes={0: "bass"}, extra_loops=2
    )
    drums = [(s, p) for s, p, _ in by_role(rec, "drums")]
    onsets = {s for s, *_ in BASS}
    want = []
    for k in (1, 2):
        for s in range(32):
            if s % 16 == 0:
                want.append((32 * k + s, 36))
            if s in onsets:
                want.append((32 * k + s, 38))
            if s % 2 == 0:
                want.append((32 * k + s, 42))
    assert sorted(d for d in drums if 32 <= d[0] < 96) == sorted(want)
    assert not [d for d in drums if d[0] < 32]  # no drums before there is a bassline


def test_click_has_three_sounds():
    _, rec, _ = simulate(JamConfig(loop=SPEC, drums="off"), notes([(0, 1, 60, 90)]), extra_loops=1)
    click = {s: p for s, p, _ in by_role(rec, "click")}
    assert click[0] == 76 and click[16] == 77 and click[4] == 37 and click[32] == 76
    assert set(click) == set(range(0, max(click) + 1, 4))


def improv_run(source, span=7, modes=None, chords=False, start_step=40, low=36, high=96):
    melody = [(s, 1, 60 + (s * 5) % 12, 50 + s) for s in range(0, 56, 3)]
    perf = notes(melody, start_step, jitter=0.01, seed=3)
    if chords:
        perf = notes(CHORDS, 0) + perf
    perf.append(
        (44.3 * DT, mido.Message("control_change", control=22, value=127))
    )  # the improv button, mid-loop
    cfg = JamConfig(loop=SPEC, click=False, drums="off", span=span, low=low, high=high)
    return melody, simulate(
        cfg, perf, source=source, modes=modes or ({0: "chords"} if chords else {}), extra_loops=1
    )


def test_improv_keeps_human_rhythm_and_velocity_and_starts_at_a_boundary():
    source = CyclePitchSource([60, 63, 65, 67, 70])  # all in C blues: no chord, no refit needed
    melody, (engine, rec, port) = improv_run(source)
    human = [(t, m) for t, r, m in rec.events if r == "performer" and m.type == "note_on"]
    machine = [(t, m) for t, r, m in rec.events if r == "machine" and m.type == "note_on"]
    passed = [(t, m) for t, r, m in rec.events if r == "human" and m.type == "note_on"]
    # improv is asked for at step 44 and the boundary is the loop: replacement starts at step 64,
    # not earlier; before it the performer is passed through
    first = min(t for t, _ in machine)
    assert first >= 64 * DT - 0.5 * DT
    assert all(t < 64 * DT for t, _ in passed)
    starts = [e for e in engine.log if e["kind"] == "replace"]
    assert starts[0]["on"] and starts[0]["step"] == 64 and starts[0]["why"] == "boundary"
    # every human note after the boundary became exactly one machine note, same time and velocity
    after = [(t, m) for t, m in human if t >= first]
    assert len(after) == len(machine) > 5
    for (th, mh), (tm, mm) in zip(after, machine):
        assert th == tm and mh.velocity == mm.velocity
    # the pitches are the source's, in order (they already fit the scale and the register)
    assert [m.note for _, m in machine] == CyclePitchSource([60, 63, 65, 67, 70]).generate(len(machine))
    assert port.sounding() == set()


def test_improv_fits_chord_and_range():
    source = CyclePitchSource([61, 66, 95, 30, 71, 54])  # out of key, out of register
    _, (engine, rec, port) = improv_run(source, span=5, chords=True, low=57, high=70)
    machine = [(round(t / DT), m.note) for t, r, m in rec.events if r == "machine" and m.type == "note_on"]
    human = [m.note for t, r, m in rec.events if r == "performer" and m.type == "note_on"]
    assert machine
    lo, hi = min(human) - 5, max(human) + 5
    for step, pitch in machine:
        assert lo <= pitch <= hi and 57 <= pitch <= 70  # the player's register and the configured range
        chord = engine.chord_pcs(step)
        if step % SPEC.steps_per_beat == 0:
            assert pitch % 12 in chord, (step, pitch, chord)
        else:
            assert pitch % 12 in chord | {0, 3, 5, 6, 7, 10}
    # note-offs follow the substituted pitch
    offs = [m.note for t, r, m in rec.events if r == "machine" and m.type == "note_off"]
    assert sorted(offs) == sorted(p for _, p in machine)


def test_pedal_switches_replacement_at_once():
    clock = SimClock()
    port = MemoryPort(clock)
    engine = JamEngine(JamConfig(loop=SPEC, click=False, drums="off"), port, clock, CyclePitchSource([67]))
    engine.tick()
    engine.handle(mido.Message("note_on", note=60, velocity=80))
    engine.handle(mido.Message("control_change", control=64, value=127))
    engine.handle(mido.Message("note_on", note=62, velocity=81))
    engine.handle(mido.Message("note_off", note=62))
    engine.handle(mido.Message("note_off", note=60))
    sent = [(m.type, m.channel, m.note) for _, m in port.sent if m.type in ("note_on", "note_off")]
    assert sent == [("note_on", 0, 60), ("note_on", 1, 67), ("note_off", 1, 67), ("note_off", 0, 60)]


def test_fit_pitch():
    assert fit_pitch(61, 60, 5, frozenset({0, 4, 7})) == 60
    assert fit_pitch(30, 72, 4, None) in range(68, 77)  # up by octaves, then into the span
    assert fit_pitch(55, 70, 7, None) == 67  # the octave nearest the register, pitch class kept
    assert 68 <= fit_pitch(95, 70, 2, None) <= 72


def test_fuzz_never_raises_and_leaves_nothing_sounding():
    rng = random.Random(7)
    clock = SimClock()
    port = MemoryPort(clock)
    cfg = JamConfig(loop=SPEC)
    engine = JamEngine(cfg, port, clock, CyclePitchSource([60, 62, 64, 67, 69]))
    for i in range(10_000):
        kind = rng.random()
        if kind < 0.45:
            msg = [0x90 | rng.randrange(16), rng.randrange(128), rng.choice([0, rng.randrange(128)])]
        elif kind < 0.75:
            msg = [0x80 | rng.randrange(16), rng.randrange(128), rng.randrange(128)]
        elif kind < 0.85:
            msg = [0xB0, rng.choice([14, 15, 20, 21, 22, 23, 24, 64, 7]), rng.randrange(128)]
        else:  # junk: bad status, values out of range, truncated messages
            msg = [rng.randrange(256) for _ in range(rng.randrange(0, 4))]
        engine.handle(msg)
        if i % 7 == 0:
            clock.sleep_until(engine.next_time)
            engine.tick()
    engine.close()
    assert port.sounding() == set()
    assert engine.step > 1000


def test_session_midi_and_bad_performance(tmp_path):
    engine, rec, _ = simulate(JamConfig(loop=SPEC), notes(BASS), modes={0: "bass"})
    mid = session_to_midi(rec, engine.cfg)
    names = [t.name for t in mid.tracks]
    assert names[:2] == ["performer", "bass"] and "drums" in names and "click" in names
    bad = tmp_path / "bad.mid"
    bad.write_bytes(b"MThd garbage")
    from improvise.core.errors import UserError

    with pytest.raises(UserError, match="bad.mid"):
        performance_from_midi(bad)


def test_blues_source_in_any_key(run_dir):
    from improvise.live.pitches import BluesPitchSource

    src = BluesPitchSource.from_run(run_dir, key=7, seed=1)  # G
    src.prime([67, 70, 72, 74, 77])
    out = src.generate(32)
    assert len(out) == 32
    g_blues = {(7 + i) % 12 for i in (0, 3, 5, 6, 7, 10)}
    assert {p % 12 for p in out} <= g_blues and len(set(out)) >= 3
    again = BluesPitchSource.from_run(run_dir, key=7, seed=1)
    again.prime([67, 70, 72, 74, 77])
    assert again.generate(32) == out  # a fixed seed fixes the pitches


@pytest.mark.realtime
def test_osc_round_trip():
    import socket
    import time as _time

    from pythonosc.osc_message_builder import OscMessageBuilder
    from pythonosc.osc_packet import OscPacket

    from improvise.live.osc import OscIn, OscOutPort
    from improvise.live.session import realtime_engine

    inp = OscIn("127.0.0.1", 0)
    listen = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listen.bind(("127.0.0.1", 0))
    listen.settimeout(2.0)
    engine = realtime_engine(
        JamConfig(loop=SPEC, click=False, drums="off"),
        OscOutPort(*listen.getsockname()),
        CyclePitchSource([67]),
    )
    engine.set_mode("improv")
    engine._set_replacing(True, "test")
    client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    trips = []
    for pitch in (66, 67, 68):
        b = OscMessageBuilder("/note")
        b.add_arg(pitch)
        b.add_arg(90)
        t0 = _time.perf_counter()
        client.sendto(b.build().dgram, inp.address)
        got = []
        while not got:
            got = inp.poll()
        for m in got:
            engine.handle(m)
        reply = OscPacket(listen.recv(1024)).messages[0].message
        while (
            list(reply.params)[1] == 0
        ):  # the machine's 67 still sounds: its off comes before it is struck again
            reply = OscPacket(listen.recv(1024)).messages[0].message
        trips.append(_time.perf_counter() - t0)
        assert reply.address == "/note" and list(reply.params) == [67, 90, 1]  # machine pitch, human velocity
    assert max(trips) < 0.05
    inp.close()


from improvise.live.bench import free_udp_port as free_port  # noqa: E402


@pytest.mark.realtime
def test_realtime_jam_over_osc(run_dir, tmp_path):
    """`improvise jam --osc` on the wall clock, driven by an OSC client on loopback
    (IMPROVISE_REALTIME_SECONDS, default 60): no missed grid step, lateness p99 <= 7 ms.

    Measured on a loaded 2-core VM (load average 1.6-3, one more core kept busy, about 5% of
    the CPU time stolen by the host): p99 0.33, 0.33, 0.36 and 3.42 ms in four runs, at nice 0
    and -10 alike (max 4.6 ms); the limit is twice the worst. On an idle machine p99 is ~0.2 ms."""
    import json
    import os
    import socket
    import subprocess
    import sys
    import time as _time

    from pythonosc.osc_message_builder import OscMessageBuilder

    seconds = float(os.environ.get("IMPROVISE_REALTIME_SECONDS", "60"))
    port_in, port_out = free_port(), free_port()
    listen = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listen.bind(("127.0.0.1", port_out))
    listen.setblocking(False)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "improvise",
            "jam",
            "--osc",
            "--seconds",
            str(seconds),
            "--osc-in",
            str(port_in),
            "--osc-out",
            str(port_out),
            "--model",
            str(run_dir),
            "--out",
            str(tmp_path / "live"),
            "--bars",
            "2",
            "--mode",
            "improv",
            "--phrase-bars",
            "1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    assert proc.stdout.readline().startswith("jam: OSC in")
    t_wait = _time.monotonic() + 30
    while _time.monotonic() < t_wait:  # the engine is up once its click arrives
        try:
            listen.recv(1024)
            break
        except BlockingIOError:
            _time.sleep(0.01)
    t_first = _time.monotonic()

    def send(addr, *args):
        b = OscMessageBuilder(addr)
        for a in args:
            b.add_arg(a)
        client.sendto(b.build().dgram, ("127.0.0.1", port_in))

    rng = random.Random(0)
    received = 0
    t_end = _time.monotonic() + seconds + 30
    sent = 0
    while proc.poll() is None and _time.monotonic() < t_end:
        pitch = rng.randrange(55, 80)
        send("/note", pitch, rng.randrange(40, 120))
        _time.sleep(rng.uniform(0.05, 0.2))
        send("/note", pitch, 0)
        sent += _time.monotonic() < t_first + seconds - 0.5  # notes sent while the engine surely listens
        try:
            while True:
                listen.recv(1024)
                received += 1
        except BlockingIOError:
            pass
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    doc = json.loads((tmp_path / "live" / "session.json").read_text())
    t = doc["timing"]
    print(
        f"\nrealtime jam: {t['steps']} steps, {t['missed_steps']} missed, lateness median "
        f"{t['lateness_ms_median']:.3f} p99 {t['lateness_ms_p99']:.3f} max {t['lateness_ms_max']:.3f} ms "
        f"(nice {t['nice']}), {sent} notes sent"
    )
    assert t["steps"] >= seconds / 0.125 * 0.99
    assert t["missed_steps"] == 0
    assert t["lateness_ms_p99"] <= 7.0, t
    assert doc["notes"]["performer"] >= sent and doc["notes"]["machine"] > 0
    assert received > sent and doc["errors"] == []


@pytest.fixture(scope="module")
def drum_model():
    from improvise.live.drums import DrumLSTM

    return DrumLSTM.train(seed=0)


def test_drum_model_continues_the_groove(drum_model):
    from improvise.live.drums import HAT, SNARE, synth_patterns

    primer = synth_patterns(1, seed=5)[0][:32]
    out = drum_model.continue_pattern(primer, 64)
    assert len(out) == 64 and all(0 <= t < 8 for t in out)
    bar = np.array(primer[16:32])
    agree = np.mean([(t & (SNARE | HAT)) == (bar[k % 16] & (SNARE | HAT)) for k, t in enumerate(out)])
    assert agree >= 0.6  # it keeps the backbeat and the hats, with variations


def test_engine_model_drums_vary_the_rule(drum_model):
    cfg = JamConfig(loop=SPEC, click=False, drums="model")
    engine, rec, port = simulate(cfg, notes(BASS), modes={0: "bass"}, extra_loops=4, drum_model=drum_model)
    drums = by_role(rec, "drums")
    first = sorted((s - 32, p) for s, p, _ in drums if 32 <= s < 64)
    later = [sorted((s - 32 * k, p) for s, p, _ in drums if 32 * k <= s < 32 * (k + 1)) for k in (2, 3, 4)]
    onsets = {s for s, *_ in BASS}
    rule = sorted([(s, 36) for s in (0, 16)] + [(s, 38) for s in onsets] + [(s, 42) for s in range(0, 32, 2)])
    assert first == rule  # the first pass is the rule, the primer
    assert any(p != rule for p in later) and all(p for p in later)
    assert sum(e["kind"] == "drums" for e in engine.log) >= 3 and port.sounding() == set()
    with pytest.raises(ValueError, match="drum model"):
        JamEngine(cfg, MemoryPort(), SimClock())


def test_midi_to_drum_pattern(tmp_path):
    from improvise.live.drums import HAT, KICK, SNARE, midi_to_drum_pattern

    mid = mido.MidiFile(ticks_per_beat=480)
    tr = mido.MidiTrack()
    mid.tracks.append(tr)
    for _step, note in [(0, 36), (0, 42), (2, 42), (4, 38), (4, 42), (15, 36)]:
        tr.append(mido.Message("note_on", channel=9, note=note, velocity=100, time=0))
    # times: rebuild with proper deltas
    tr.clear()
    last = 0
    for step, note in [(0, 36), (0, 42), (2, 42), (4, 38), (4, 42), (15, 36)]:
        tr.append(mido.Message("note_on", channel=9, note=note, velocity=100, time=step * 120 - last))
        last = step * 120
    path = tmp_path / "d.mid"
    mid.save(path)
    tok = midi_to_drum_pattern(path)
    assert (
        len(tok) == 16
        and tok[0] == KICK | HAT
        and tok[2] == HAT
        and tok[4] == SNARE | HAT
        and tok[15] == KICK
    )


def test_jam_cli_simulate_demo(tmp_path, run_dir, capsys):
    import json

    from improvise.cli.main import dispatch

    out = tmp_path / "jam"
    assert (
        dispatch(
            [
                "jam",
                "--simulate",
                "demo",
                "--out",
                str(out),
                "--model",
                str(run_dir),
                "--synth",
                "numpy",
                "--meter",
                "3/4",
                "--bars",
                "4",
                "--key",
                "F",
            ]
        )
        == 0
    )
    doc = json.loads((out / "session.json").read_text())
    assert doc["notes"]["machine"] > 0 and doc["notes"]["bass"] > 0 and doc["errors"] == []
    assert doc["left_sounding"] == [] and (out / "session.wav").stat().st_size > 10_000
    tracks = [t.name for t in mido.MidiFile(out / "session.mid").tracks]
    assert {"performer", "machine", "bass", "chords", "drums", "click"} <= set(tracks)
    assert "simulated" in capsys.readouterr().out
    assert dispatch(["jam", "--simulate", str(tmp_path / "none.mid"), "--out", str(out)]) == 2
    assert "none.mid: no such MIDI file" in capsys.readouterr().err
    bad = tmp_path / "controls.json"
    bad.write_text('{"20": "explode"}')
    assert dispatch(["jam", "--simulate", "demo", "--out", str(out), "--controls", str(bad)]) == 2
    assert "controls.json" in capsys.readouterr().err


def test_shipped_controls_file_is_the_default():
    from pathlib import Path

    from improvise.live.engine import DEFAULT_CONTROLS
    from improvise.live.jam import load_controls

    assert load_controls(Path(__file__).resolve().parents[1] / "extras" / "controls.json") == DEFAULT_CONTROLS


def test_improv_pitches_come_from_the_blues_model(run_dir):
    from improvise.live.pitches import BluesPitchSource

    class Tap:  # records what the model generated
        def __init__(self, inner):
            self.inner, self.raw = inner, []

        def prime(self, pitches):
            self.inner.prime(pitches)

        def generate(self, n):
            out = self.inner.generate(n)
            self.raw += out
            return out

    tap = Tap(BluesPitchSource.from_run(run_dir, key=0, seed=4))
    _, (engine, rec, port) = improv_run(tap, span=12)
    machine = [m.note for t, r, m in rec.events if r == "machine" and m.type == "note_on"]
    assert len(machine) > 5
    # no chords recorded: every blues-scale pitch the model draws is allowed, so only its octave
    # may move (into the player's register): pitch classes match the model's, in order
    assert [p % 12 for p in machine] == [p % 12 for p in tap.raw[: len(machine)]]
    assert any(e["kind"] == "generate" for e in engine.log)


def test_missing_midi_port_is_a_user_error():
    from improvise.core.errors import UserError
    from improvise.live.ports import open_midi

    with pytest.raises(UserError, match="cannot open MIDI ports"):
        open_midi(None, "no such port, surely")


def test_improv_follows_a_lead_sheet(tmp_path):
    from improvise.live.jam import lead_sheet_pcs

    sheet = tmp_path / "blues.txt"
    sheet.write_text("title: two bars\ntime: 4/4\nkey: F\n| F7 | Bb7 |\n")
    pcs = lead_sheet_pcs(str(sheet), None, SPEC)
    assert len(pcs) == 32 and pcs[0] == [0, 3, 5, 9] and pcs[16] == [2, 5, 8, 10]
    source = CyclePitchSource([61, 66, 71, 64])
    melody = [(s, 1, 62 + s % 7, 80) for s in range(0, 64, 2)]
    cfg = JamConfig(loop=SPEC, click=False, drums="off", lead_sheet=pcs, key=5)
    engine, rec, _ = simulate(cfg, notes(melody), source=source, modes={0: "improv"})
    machine = [(round(t / DT), m.note) for t, r, m in rec.events if r == "machine" and m.type == "note_on"]
    assert len(machine) == 32
    for step, pitch in machine:
        if step % 4 == 0:
            assert pitch % 12 in pcs[step % 32]


def test_markov_interval_source():
    from improvise.live.pitches import MarkovPitchSource

    scale = [60, 62, 64, 65, 67, 69, 71, 72, 71, 69, 67, 65, 64, 62] * 10  # steps of 1 and 2 only
    src = MarkovPitchSource.train([scale], order=1, seed=0, temperature=0.5)  # sharper: no smoothing strays
    src.prime([60, 62, 64])
    out = src.generate(64)
    assert len(out) == 64 and all(48 <= p <= 84 for p in out)
    steps = np.abs(np.diff([64] + out))
    assert np.mean((steps == 1) | (steps == 2)) >= 0.95  # it walks as its corpus does
    src2 = MarkovPitchSource.train(order=2, seed=0)  # the default corpus: the synthesized blues
    _, (engine, rec, _) = improv_run(src2)
    assert sum(r == "machine" for _, r, m in rec.events if m.type == "note_on") > 5


# ---- issue 13: floods, stuck notes, bounds -------------------------------------------------


def test_out_port_pairs_every_note_on_with_an_off():
    from improvise.live.ports import OutPort

    mem = MemoryPort()
    port = OutPort(mem)
    sent = port.send(mido.Message("note_on", note=60, velocity=90), "human")
    sent += port.send(mido.Message("note_on", note=60, velocity=80), "machine")  # a retrigger: its off first
    sent += port.send(mido.Message("note_off", note=62), "human")  # never on: dropped
    sent += port.send(mido.Message("note_on", channel=2, note=40, velocity=70), "bass")
    assert [(r, m.type, m.note) for r, m in sent] == [
        ("human", "note_on", 60),
        ("human", "note_off", 60),
        ("machine", "note_on", 60),
        ("bass", "note_on", 40),
    ]
    offs = port.panic()
    assert sorted((r, m.channel, m.note) for r, m in offs) == [("bass", 2, 40), ("machine", 0, 60)]
    assert mem.open_notes() == 0 and port.counts["retriggered"] == 1


def _flood_session(n=10_000, per_step=8):
    """`n` flood messages into an engine in simulated time, per_step a grid step, through
    bass and chords recording, improv and the pedal; returns (engine, recorder, port)."""
    from improvise.live.bench import flood_messages
    from improvise.live.session import Recorder

    clock = SimClock()
    port = MemoryPort(clock)
    rec = Recorder()
    engine = JamEngine(
        JamConfig(loop=SPEC), port, clock, CyclePitchSource([60, 63, 65, 67, 70]), recorder=rec
    )
    switches = {0: "bass", 64: "chords", 128: "improv", 600: "free", 900: "improv"}
    for k, (pitch, vel) in enumerate(flood_messages(n, seed=1)):
        if k % per_step == 0:
            step = k // per_step
            if step in switches:
                engine.set_mode(switches[step])
            if step == 700:
                engine.handle(mido.Message("control_change", control=64, value=127))
            clock.sleep_until(engine.next_time)
            engine.tick()
        engine.handle(mido.Message("note_on", note=pitch, velocity=vel))
    engine.close()
    return engine, rec, port


def test_a_flood_leaves_no_note_open_in_the_recording_or_at_the_output(tmp_path):
    from improvise.live.bench import midi_open_notes

    engine, rec, port = _flood_session()
    session_to_midi(rec, engine.cfg).save(tmp_path / "s.mid")
    tracks = midi_open_notes(tmp_path / "s.mid")
    assert {"performer", "human", "machine", "bass", "chords", "drums"} <= set(tracks)
    assert all(v == (0, 0) for v in tracks.values()), tracks  # no note left open, none struck twice
    assert port.open_notes() == 0 and port.sounding() == set()
    c = engine.counts
    assert c["note_on"] + c["note_off"] == 10_000 and c["duplicate_on"] > 100 and c["orphan_off"] > 100
    assert [e["layer"] for e in engine.log if e["kind"] == "recorded"] == ["bass", "chords"]


def test_at_most_max_ons_per_step_note_ons_a_step():
    clock = SimClock()
    port = MemoryPort(clock)
    engine = JamEngine(JamConfig(loop=SPEC, click=False, drums="off"), port, clock)
    for p in range(20, 70):
        engine.handle(mido.Message("note_on", note=p, velocity=80))
    assert sum(m.type == "note_on" for _, m in port.sent) == 32
    assert engine.counts["dropped_over_step_limit"] == 18
    engine.tick()
    engine.handle(mido.Message("note_on", note=90, velocity=80))  # a new step: taken again
    for p in range(20, 70):
        engine.handle(mido.Message("note_off", note=p))
    engine.close()
    assert engine.counts["orphan_off"] == 18 and port.open_notes() == 0


def test_inbox_keeps_note_offs_when_full():
    from improvise.live.inbox import Inbox

    box = Inbox(capacity=4)
    for p in range(6):
        box.put(mido.Message("note_on", note=60 + p, velocity=80))
    for p in range(5):
        box.put(mido.Message("note_off", note=60 + p))
    kinds = [m.type for m in box.queue]
    assert kinds == ["note_on"] * 4 + ["note_off"] * 4
    assert box.counts == {"received": 8, "dropped_queue_full": 3}


def test_serve_leaves_late_input_for_after_the_step():
    from collections import Counter

    from improvise.live.inbox import Inbox, serve

    clock = SimClock()

    class SlowEngine:  # each message takes 1/1024 s of the clock (exact in binary)
        def __init__(self):
            self.clock, self.got, self.errors, self.counts = clock, [], [], Counter()

        def handle(self, msg):
            clock.t += 2**-10
            self.got.append(msg)

    midi_in = MemoryPort()
    for p in range(100):
        midi_in.feed(mido.Message("note_on", note=p, velocity=64))
    engine, box = SlowEngine(), Inbox(midi_in=midi_in)
    serve(engine, box, until=25 * 2**-10)
    assert len(engine.got) == 25 and len(box.queue) == 75  # the rest waits: the step is not delayed
    assert clock.now() == 25 * 2**-10


def test_osc_decode_drops_what_is_not_a_note():
    from pythonosc.osc_message_builder import OscMessageBuilder

    from improvise.live.osc import OscIn

    def dgram(addr, *args):
        b = OscMessageBuilder(addr)
        for a in args:
            b.add_arg(a)
        return b.build().dgram

    assert OscIn.decode(b"garbage") == []
    for args in ((200, 90), (60, float("nan")), (float("inf"), 90), ("x", 90), (60,)):
        assert OscIn.decode(dgram("/note", *args)) == [], args
    assert OscIn.decode(dgram("/note", 60, 500))[0].velocity == 127
    assert OscIn.decode(dgram("/mode", "improv")) == [("mode", "improv")]


def _midi_file(path, tracks, fmt=1):
    mid = mido.MidiFile(type=fmt, ticks_per_beat=480)
    for events in tracks:
        tr = mido.MidiTrack()
        for delta, msg in events:
            tr.append(msg.copy(time=delta))
        mid.tracks.append(tr)
    mid.save(path)
    return path


def test_type2_performance_plays_its_tracks_one_after_another(tmp_path):
    on = lambda p: mido.Message("note_on", note=p, velocity=80)  # noqa: E731
    off = lambda p: mido.Message("note_off", note=p)  # noqa: E731
    path = _midi_file(
        tmp_path / "t2.mid", [[(0, on(60)), (480, off(60))], [(0, on(62)), (960, off(62))]], fmt=2
    )
    perf = performance_from_midi(path)
    assert [(round(t, 3), m.type, m.note) for t, m in perf] == [
        (0.0, "note_on", 60),
        (0.5, "note_off", 60),
        (0.5, "note_on", 62),
        (1.5, "note_off", 62),
    ]


def test_performances_and_sessions_are_bounded(tmp_path):
    from improvise.core.errors import ConfigError, UserError
    from improvise.live.session import MAX_PERFORMANCE_SECONDS, check_session_length

    on, off = mido.Message("note_on", note=60, velocity=80), mido.Message("note_off", note=60)
    far = _midi_file(tmp_path / "far.mid", [[(0, on), (0x0FFFFFFF, off)]])  # held for 77 hours
    with pytest.raises(UserError, match=f"far.mid: a note_off at .* at most {MAX_PERFORMANCE_SECONDS:g} s"):
        performance_from_midi(far)
    with pytest.raises(ConfigError, match="--bars"):
        check_session_length(LoopSpec(bars=256, beats_per_bar=64, beat_unit=2, tempo_bpm=20), 0.0, 2, "x")
    check_session_length(SPEC, 1700.0, 2, "x")  # 1700 s and two 4 s loops: fine


def test_write_session_leaves_nothing_behind_on_failure(tmp_path, monkeypatch):
    import improvise.render.audio as audio
    from improvise.core.errors import UserError
    from improvise.live.session import write_session

    def fail(*a, **k):
        raise UserError("no synthesizer")

    monkeypatch.setattr(audio, "midi_to_wav", fail)
    engine, rec, _ = simulate(JamConfig(loop=SPEC), notes(BASS), modes={0: "bass"})
    with pytest.raises(UserError):
        write_session(tmp_path / "out", engine, rec, audio="numpy")
    assert list(tmp_path.iterdir()) == []  # neither the folder nor a staging folder


@pytest.mark.parametrize(
    "argv, flag",
    [
        (["--simulate", "demo", "--bars", "999999999"], "--bars"),
        (["--simulate", "demo", "--meter", "9999999/4"], "--meter"),
        (["--simulate", "demo", "--tempo", "nan"], "--tempo"),
        (["--osc", "--osc-in", "70000"], "--osc-in"),
        (["--osc", "--osc-out", "70000"], "--osc-out"),
        (
            [
                "--osc",
                "--seconds",
                "0.2",
                "--osc-in",
                "0",
                "--host",
                "nosuchhost.invalid",
                "--model",
                "markov",
            ],
            "--host",
        ),
    ],
)
def test_jam_cli_refuses_absurd_flags_in_one_line(argv, flag, tmp_path, capsys):
    from improvise.cli.main import dispatch

    assert dispatch(["jam", *argv, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("improvise: error: ") and flag in err[0]
    assert not (tmp_path / "out").exists()


@pytest.mark.realtime
def test_osc_flood_leaves_no_stuck_note_and_keeps_time(run_dir, tmp_path):
    """The issue-13 flood, shorter: 2,000 /note messages in 5 s into `improvise jam --osc`
    (improv mode, the blues model): no note left open in session.mid or at the output, no step
    missed, step lateness p99 <= 5 ms (the issue's acceptance figures)."""
    from improvise.live.bench import osc_flood

    f = osc_flood(tmp_path / "flood", messages=2000, seconds=5.0, model=str(run_dir), mode="improv")
    t = f["timing"]
    print(
        f"\nflood: {f['messages']} messages in {f['seconds']} s, {t['steps']} steps, {t['missed_steps']} "
        f"missed, lateness median {t['lateness_ms_median']:.3f} p99 {t['lateness_ms_p99']:.3f} max "
        f"{t['lateness_ms_max']:.3f} ms (nice {t['nice']}), open notes {f['stuck_in_session_mid']} in "
        f"session.mid, {f['stuck_at_output']} at the output; input {f['input']}; load {f['load_average']}"
    )
    assert f["stuck_in_session_mid"] == 0 and f["reons_in_session_mid"] == 0
    assert f["stuck_at_output"] == 0 and f["reons_at_output"] == 0 and f["output_notes"] > 1000
    assert t["missed_steps"] == 0 and t["steps"] >= 5.0 / 0.125
    assert t["lateness_ms_p99"] <= 5.0
    assert f["input"]["received"] >= 1900  # what loopback delivered (UDP): the engine took nearly all of it
