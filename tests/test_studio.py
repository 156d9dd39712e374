"""improvise studio without a browser (issue 16): the WebSocket protocol's checks, one session's
engine on the page's clock (pass-through, improv answers on the performer's onset, grid steps
at exact grid times, panic), the sample cache, the Solo tab's request checks and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from improvise.cli.main import dispatch
from improvise.core.errors import UserError
from improvise.live.pitches import CyclePitchSource
from improvise.studio import protocol
from improvise.studio.session import START_DELAY, PageTime, StudioSession


def test_protocol_takes_good_messages_and_names_what_is_wrong():
    assert protocol.parse('{"type":"note","pitch":60,"velocity":90,"t":1.5,"id":3}') == {
        "type": "note",
        "pitch": 60,
        "velocity": 90,
        "t": 1.5,
        "id": 3,
    }
    assert protocol.parse('{"type":"config","tempo":160}') == {"type": "config", "tempo": 160.0}
    bad = {
        "{bad": "not JSON",
        "[]": "a JSON object",
        '{"type":"nope"}': "unknown message type",
        '{"type":"note","pitch":60,"t":1}': "'velocity' is missing",
        '{"type":"note","pitch":128,"velocity":1,"t":1}': "note.pitch: 0 to 127",
        '{"type":"note","pitch":60.5,"velocity":1,"t":1}': "whole number",
        '{"type":"note","pitch":true,"velocity":1,"t":1}': "a number",
        '{"type":"note","pitch":60,"velocity":1,"t":1,"x":2}': "unknown field 'x'",
        '{"type":"mode","mode":"loud"}': "one of free, bass",
        '{"type":"config","tempo":1e999}': "a number",
        '{"type":"config","click":1}': "true or false",
        " " * 5000: "at most 4096",
    }
    for text, why in bad.items():
        with pytest.raises(protocol.ProtocolError, match=why):
            protocol.parse(text)
    assert protocol.request_id('{"type":"note","id":7}') == 7 and protocol.request_id("{bad") is None


def _session(tmp_path=None, pitches=(67, 70, 72)):
    s = StudioSession("t1", lambda key: CyclePitchSource(list(pitches)), out_root=tmp_path)
    s.handle({"type": "hello", "t": 10.0}, 10.0)
    s.handle({"type": "config", "tempo": 240.0, "bars": 1, "drums": "off"}, 10.0)
    return s


def _on(events, channel):
    return [e for e in events if e[1] == channel and e[3] > 0]


def test_grid_steps_are_stamped_with_exact_grid_times_and_the_loop_never_drifts():
    s = _session()
    s.handle({"type": "start"}, 10.0)
    start, dt = s.engine.next_time, s.engine.cfg.loop.step_seconds
    assert start == pytest.approx(10.0 + START_DELAY)
    clicks = []
    for k in range(1, 2001):  # 2,000 steps in uneven slices of page time
        for reply in s.tick_until(start + k * 0.0371):
            if reply["type"] == "notes":
                clicks += _on(reply["events"], 9)
    tops = [e[0] for e in clicks if e[2] == 76]  # the loop-top wood block
    assert len(tops) >= 18
    steps = [(t - start) / dt for t in tops]
    assert max(abs(x - round(x)) for x in steps) < 1e-6  # every loop top on its grid time
    assert all(round(b - a) == 16 for a, b in zip(steps, steps[1:]))


def test_free_mode_passes_through_and_improv_keeps_the_performers_onset():
    s = _session()
    r = s.handle({"type": "note", "pitch": 60, "velocity": 90, "t": 10.01, "id": 1}, 10.01)
    assert r[0]["ack"] == 1 and r[0]["events"] == [[10.01, 0, 60, 90]]
    s.handle({"type": "note", "pitch": 60, "velocity": 0, "t": 10.05}, 10.05)
    s.handle({"type": "mode", "mode": "improv"}, 10.1)
    s.handle({"type": "start"}, 10.1)
    s.tick_until(13.0)  # past a phrase boundary: the machine answers
    assert s.engine.replacing
    onsets = [13.0 + 0.013 * k for k in range(12)]
    for k, t in enumerate(onsets):
        on = s.handle({"type": "note", "pitch": 60 + k % 5, "velocity": 50 + k, "t": t}, t)[0]["events"]
        assert [e[0] for e in _on(on, 1)] == [t] and _on(on, 1)[0][3] == 50 + k and not _on(on, 0)
        off = s.handle({"type": "note", "pitch": 60 + k % 5, "velocity": 0, "t": t + 0.005}, t)[0]["events"]
        assert [e[1:] for e in off] == [[1, _on(on, 1)[0][2], 0]]
    assert s.sounding() == 0


def test_panic_stops_the_grid_and_leaves_nothing_sounding(tmp_path):
    s = _session(tmp_path)
    s.handle({"type": "start"}, 10.0)
    s.tick_until(10.5)
    s.handle({"type": "note", "pitch": 64, "velocity": 80, "t": 10.4}, 10.4)
    assert s.sounding() > 0
    replies = s.handle({"type": "panic"}, 10.45)
    assert [r["type"] for r in replies] == ["notes", "panic", "state"]
    assert [64, 0] in [e[2:] for e in replies[0]["events"] if e[1] == 0] and s.sounding() == 0
    assert s.tick_until(20.0) == [] and not s.running
    saved = Path(s.handle({"type": "save"}, 10.5)[0]["path"])  # the folder `improvise jam` writes
    assert saved.parent == tmp_path and json.loads((saved / "session.json").read_text())["studio"]
    import mido

    first = next(m for m in mido.MidiFile(saved / "session.mid") if m.type == "note_on")
    assert first.time < 0.01  # from the first note, not from when the page opened (page time 10 s)
    from improvise.core.run_kinds import run_kind

    assert run_kind(saved) == "jam"  # what improvise render and the other commands take


def test_a_config_out_of_range_is_an_error_reply_and_the_session_goes_on():
    s = _session()
    r = s.handle({"type": "config", "meter": "5/3"}, 10.0)
    assert r[0]["type"] == "error" and "--meter" in r[0]["error"]
    assert s.handle({"type": "note", "pitch": 62, "velocity": 70, "t": 10.2}, 10.2)[0]["events"]


def test_page_time_is_the_tightest_offset_seen():
    clock = PageTime()
    assert clock.now() is None
    for page_t, arrived in (5.0, 1.002), (5.5, 1.5009), (6.0, 2.0004):
        clock.observe(page_t, arrived)
    assert clock.offset() == pytest.approx(4.0 - 0.0004)
    clock.observe(30.0, 26.1)  # 25 s later, the page's clock 0.1 s behind: the old samples are gone
    assert clock.offset() == pytest.approx(3.9)


def test_samples_are_rendered_once_and_cached_atomically(tmp_path):
    import os

    from improvise.studio.sounds import ensure_samples

    folder = ensure_samples("numpy", tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["synth"] == "numpy" and set(manifest["instruments"]) == {"piano", "bass", "sax", "drums"}
    wavs = [folder / s["file"] for inst in manifest["instruments"].values() for s in inst["samples"]]
    assert all(w.stat().st_size > 1000 for w in wavs)
    stamp = os.stat(folder / "manifest.json").st_mtime_ns
    assert (
        ensure_samples("numpy", tmp_path) == folder and os.stat(folder / "manifest.json").st_mtime_ns == stamp
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == [folder.name]  # no temporary folder left


def test_solo_requests_are_checked_before_the_soloist_runs(tmp_path):
    from improvise.studio.solo import solo_request

    run = tmp_path / "solo-run"
    with pytest.raises(UserError, match="no trained soloist"):
        solo_request({"text": "| C7 |"}, tmp_path, run, None)
    run.mkdir()
    (run / "model.pt").write_bytes(b"")
    for req, why in (
        ({"title": "/etc/passwd"}, "give the changes"),
        ({"title": "Autumn Leaves"}, "not a shipped tune"),
        ({"text": "| C7 |", "ext": "exe"}, "lead-sheet file is one of"),
        ({"regenerate": "1-2", "folder": "../x"}, "regenerate needs"),
    ):
        with pytest.raises(UserError, match=why):
            solo_request(req, tmp_path, run, None)


def test_cli_checks_its_flags(capsys):
    assert dispatch(["studio", "--port", "0"]) == 2
    assert dispatch(["studio", "--host", "example.com"]) == 2
    assert dispatch(["studio", "--model", "markov:99"]) == 2
    err = capsys.readouterr().err
    assert "--port" in err and "--host" in err and "markov" in err
