"""`improvise jam`: every numeric flag with absurd values, bad meters, keys, modes, hosts and
ports, malformed performance and drum MIDI files, controls JSON and lead sheets, a bad --out,
damaged --model folders, and valid small simulated and live sessions that must succeed.

Live (--osc) cases play 0.2 s, listen on a free port (--osc-in 0) and send only to
127.0.0.1. The models are the Markov source (fast) except where a blues run is the point."""

from __future__ import annotations

import json
import socket
import struct
from pathlib import Path

from tests.fuzz.common import GARBAGE, flag_cases
from tests.fuzz.harness import Case, cli

SHEET = "title: Two bars\ntime: 4/4\nkey: F\n| F7 | Bb7 |\n"
CONTROLS = {"20": "mode:bass", "21": "mode:chords", "22": "mode:improv", "64": "pedal"}
OUT_PORT = "59997"  # where live cases send their notes (127.0.0.1; nothing need listen)
_HELD: list[socket.socket] = []  # sockets kept open while the cases run (a port in use)

SIM_FLAGS = {
    "--bars": (1, 256, True),
    "--tempo": (20, 400, False),
    "--span": (1, 127, True),
    "--seed": (0, 2**32 - 1, True),
    "--phrase-bars": (1, 256, True),
}
LIVE_FLAGS = {"--seconds": (0, 21600, False), "--osc-in": (0, 65535, True), "--osc-out": (1, 65535, True)}


# ---- MIDI files, byte by byte ---------------------------------------------------------------


def vlq(n: int) -> bytes:
    """A MIDI variable-length quantity (n < 2**28)."""
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.append(0x80 | (n & 0x7F))
        n >>= 7
    return bytes(reversed(out))


def chunk(kind: bytes, data: bytes, length: int | None = None) -> bytes:
    return kind + struct.pack(">I", len(data) if length is None else length) + data


def header(fmt: int = 1, tracks: int = 1, division: int = 480) -> bytes:
    return chunk(b"MThd", struct.pack(">HHH", fmt, tracks, division))


def track(events: list[tuple[int, bytes]]) -> bytes:
    """A track of (delta ticks, event bytes), closed by end-of-track."""
    return chunk(b"MTrk", b"".join(vlq(d) + e for d, e in events) + b"\x00\xff\x2f\x00")


def notes(
    pitches=(60, 62, 64, 65), length: int = 240, gap: int = 240, channel: int = 0
) -> list[tuple[int, bytes]]:
    ev = []
    for k, p in enumerate(pitches):
        ev.append((0 if k == 0 else gap, bytes([0x90 | channel, p, 90])))
        ev.append((length, bytes([0x80 | channel, p, 0])))
    return ev


def midi(*tracks: bytes, fmt: int = 1, division: int = 480) -> bytes:
    return header(fmt, len(tracks), division) + b"".join(tracks)


def good_midi() -> bytes:
    return midi(track(notes()))


def bad_midis() -> dict[str, bytes]:
    """MIDI files jam --simulate (and --drum-patterns) must refuse in one line."""
    good = good_midi()
    tempo_max = (0, b"\xff\x51\x03\xff\xff\xff")
    far = 0x0FFFFFFF  # the largest delta a MIDI file can hold
    return {
        **{f"garbage-{k}": v for k, v in GARBAGE.items() if k != "huge_line"},
        "truncated": good[: len(good) // 2],
        "header-only": header(1, 0),
        "header-short": b"MThd\x00\x00\x00\x06\x00\x01",
        "division-zero": midi(track(notes()), division=0),
        "track-length-huge": header(1, 1) + chunk(b"MTrk", b"\x00\x90\x3c\x40", length=0x7FFFFFFF),
        "not-a-track": header(1, 1) + chunk(b"XXXX", b"\x00\x90\x3c\x40"),
        "data-byte-200": midi(track([(0, b"\x90\x3c\xc8"), (480, b"\x80\x3c\x00")])),
        "running-status-first": midi(track([(0, b"\x3c\x40"), (10, b"\x3c\x00")])),
        "format-7": midi(track(notes()), fmt=7),
        "meta-only": midi(track([(0, b"\xff\x03\x04name")])),
        "sysex-only": midi(track([(0, b"\xf0\x03\x7e\x7f\xf7")])),
        "huge-tempo-far": midi(track([tempo_max, (0, b"\x90\x3c\x40"), (480 * 200, b"\x80\x3c\x00")])),
        "note-far-future": midi(track([(far, b"\x90\x3c\x40"), (480, b"\x80\x3c\x00")])),
        "very-long-note": midi(track([(0, b"\x90\x3c\x40"), (far, b"\x80\x3c\x00")])),
        "long-note-type2": midi(track(notes()), track([(0, b"\x90\x3c\x40"), (far, b"\x80\x3c\x00")]), fmt=2),
        "too-many-notes": midi(track([(0, b"\x90\x3c\x40"), (0, b"\x80\x3c\x00")] * 100_001)),
        "over-8-mib": good + b"\0" * (9 << 20),
        "smpte-division": midi(track(notes()), division=0xE728),
    }


def ok_midis() -> dict[str, bytes]:
    """Odd but valid MIDI files that jam --simulate must play."""
    many = [track(notes((40 + k % 40,), length=120)) for k in range(3000)]
    return {
        "type0": midi(track(notes()), fmt=0),
        "type2": midi(track(notes()), track(notes((67, 69))), fmt=2),
        "3000-tracks": midi(*many),
        "200-notes-at-once": midi(
            track([(0, bytes([0x90, 20 + k % 100, 80])) for k in range(200)] + [(480, b"\x80\x3c\x00")])
        ),
        "offs-without-ons": midi(track([(0, b"\x80\x3c\x00"), (10, b"\x90\x3e\x40"), (10, b"\x80\x40\x00")])),
        "ons-without-offs": midi(track([(0, b"\x90\x3c\x40"), (10, b"\x90\x3c\x40"), (10, b"\x90\x3e\x40")])),
        "controllers": midi(
            track(notes() + [(0, b"\xb0\x16\x7f"), (0, b"\xb0\x0e\x00"), (0, b"\xb0\x40\x7f")])
        ),
    }


def drum_midi(bar: int = 0) -> bytes:
    hits = [
        (0 if k == 0 and bar == 0 else (480 * 4 * bar if k == 0 else 120), bytes([0x99, n, 100]))
        for k, n in enumerate([36, 42, 38, 42, 36, 42, 38, 42])
    ]
    return midi(track(hits))


# ---- the cases ------------------------------------------------------------------------------


def _build_run(folder: Path) -> None:
    cli("blues", "train", "--out", str(folder), "--epochs", "5", "--quiet", "--snapshot-every", "0")


def cases(fx) -> list[Case]:
    """Every case of the family (the harness collects them)."""
    import torch  # noqa: F401  (imported once here, before the children fork: each case starts fast)

    import improvise.live.jam  # noqa: F401
    import improvise.render.audio  # noqa: F401

    out = str(fx.path("jam-out-never"))
    perf = fx.write("jam-perf.mid", good_midi())
    sim = ["jam", "--simulate", str(perf), "--out", out, "--model", "markov", "--synth", "none"]
    live = ["jam", "--osc", "--seconds", "0.2", "--osc-in", "0", "--osc-out", OUT_PORT, "--model", "markov"]
    c = flag_cases("jam/flags", sim, SIM_FLAGS)
    c += flag_cases("jam/live-flags", live, LIVE_FLAGS)
    c += [
        Case("jam/live-flags/seconds/zero", live + ["--seconds=0"], expect="--seconds"),
        Case("jam/live-flags/seconds/minus-zero", live + ["--seconds=-0"], expect="--seconds"),
        Case(
            "jam/flags/phrase-bars/not-dividing",
            sim + ["--bars", "4", "--phrase-bars", "3"],
            expect="--phrase-bars",
        ),
    ]
    c += _word_cases(sim, live) + _midi_cases(fx, sim, out) + _drum_cases(fx, sim, out)
    c += _controls_cases(fx, sim, out) + _sheet_cases(fx, sim, out) + _out_cases(fx, perf)
    c += _model_cases(fx, perf, out) + _live_cases(fx, live) + _ok_cases(fx, perf)
    return c


def _word_cases(sim: list[str], live: list[str]) -> list[Case]:
    meters = [
        "0/4",
        "65/4",
        "4/0",
        "4/3",
        "4/32",
        "4",
        "4/4/4",
        "a/b",
        "",
        "9999999/4",
        "4/9999999",
        "-4/4",
        "4/-4",
        "1e3/4",
        "²/4",
        " / ",
        "4//4",
        "nan/4",
    ]
    c = [Case(f"jam/meter/{k}", sim + [f"--meter={v}"], expect="--meter") for k, v in enumerate(meters)]
    keys = ["H", "", "Cx", "C#b#x", "é", "1", "--", "Cmaj", "c minor"]
    c += [Case(f"jam/key/{k}", sim + [f"--key={v}"], expect="--key") for k, v in enumerate(keys)]
    modes = [
        "x",
        "0:",
        ":bass",
        "0:solo",
        "-1:bass",
        "0:bass,0:chords",
        "99999999999:bass",
        "0:bass,,",
        "0=bass",
        "1.5:bass",
        "²:bass",
        "0:bass:chords",
        "1000001:bass",
        ",",
    ]
    c += [Case(f"jam/modes/{k}", sim + [f"--modes={v}"], expect="--modes") for k, v in enumerate(modes)]
    c += [
        Case(f"jam/mode/{k}", live + [f"--mode={v}"], expect="--mode")
        for k, v in enumerate(["solo", "", "FREE"])
    ]
    c += [
        Case(f"jam/model-markov/{k}", sim[:-4] + ["--model", v, "--synth", "none"], expect="--model")
        for k, v in enumerate(["markov:x", "markov:99", "markov:-1", "markov:", "markov:1.5", "markovv"])
    ]
    c += [
        Case("jam/drums/bad", sim + ["--drums", "lstm"], expect="--drums"),
        Case("jam/synth/bad", sim + ["--synth", "midi"], expect="--synth"),
        Case("jam/sim-and-osc", sim + ["--osc"], expect="--osc"),
        Case("jam/no-source", ["jam", "--out", "x"], expect="--simulate"),
        Case("jam/modes-live", live + ["--modes", "0:bass"], expect="--modes"),
    ]
    return c


def _midi_cases(fx, sim: list[str], out: str) -> list[Case]:
    at = sim.index("--simulate") + 1
    c = []
    for name, data in bad_midis().items():
        path = fx.write(f"jam-bad-{name}.mid", data)
        argv = sim[:at] + [str(path)] + sim[at + 1 :]
        c.append(Case(f"jam/midi/{name}", argv, expect=path.name, absent=[out], timeout=60))
    missing = str(fx.path("jam-missing.mid"))
    folder = fx.path("jam-folder.mid")
    folder.mkdir(exist_ok=True)
    for name, arg in (("missing", missing), ("folder", str(folder))):
        c.append(
            Case(f"jam/midi/{name}", sim[:at] + [arg] + sim[at + 1 :], expect=Path(arg).name, absent=[out])
        )
    slow = sim[:at] + [str(fx.write("jam-perf-ok.mid", good_midi()))] + sim[at + 1 :]
    c.append(
        Case(
            "jam/midi/loop-too-long",
            slow + ["--bars", "256", "--meter", "64/2", "--tempo", "20"],
            expect="--bars",
            absent=[out],
        )
    )
    c.append(
        Case(
            "jam/midi/demo-too-long",
            [
                "jam",
                "--simulate",
                "demo",
                "--out",
                out,
                "--model",
                "markov",
                "--bars",
                "256",
                "--tempo",
                "20",
            ],
            expect="--bars",
            absent=[out],
        )
    )
    return c


def _drum_cases(fx, sim: list[str], out: str) -> list[Case]:
    base = sim + ["--drums", "model", "--drum-patterns"]
    c = []
    picks = [
        "garbage-empty",
        "garbage-random",
        "truncated",
        "header-only",
        "division-zero",
        "track-length-huge",
        "data-byte-200",
        "format-7",
        "over-8-mib",
        "garbage-zip",
    ]
    bad = bad_midis()
    for name in picks:
        path = fx.write(f"jam-drums-{name}.mid", bad[name])
        c.append(Case(f"jam/drums-midi/{name}", base + [str(path)], expect=path.name, absent=[out]))
    no_drums = fx.write("jam-drums-none.mid", good_midi())
    far = fx.write("jam-drums-far.mid", drum_midi(bar=5000))
    c += [
        Case("jam/drums-midi/no-drums", base + [str(no_drums)], expect=no_drums.name, absent=[out]),
        Case("jam/drums-midi/bar-5000", base + [str(far)], expect=far.name, absent=[out]),
        Case(
            "jam/drums-midi/missing",
            base + [str(fx.path("jam-drums-missing.mid"))],
            expect="jam-drums-missing",
        ),
        Case(
            "jam/drums-midi/without-model", sim + ["--drum-patterns", str(no_drums)], expect="--drum-patterns"
        ),
    ]
    return c


def _controls_cases(fx, sim: list[str], out: str) -> list[Case]:
    bodies = {
        **{f"garbage-{k}": v for k, v in GARBAGE.items()},
        "value-number": json.dumps({"20": 5}),
        "key-word": json.dumps({"x": "tap"}),
        "cc-200": json.dumps({"200": "tap"}),
        "cc-minus": json.dumps({"-1": "tap"}),
        "action-unknown": json.dumps({"20": "explode"}),
        "action-null": json.dumps({"20": None}),
        "action-list": json.dumps({"20": ["tap"]}),
        "cc-float": json.dumps({"1e5": "tap"}),
        "deep": "[" * 100_000 + "]" * 100_000,
        "deep-object": '{"a":' * 50_000 + "1" + "}" * 50_000,
        "latin1": '{"20": "mode:bass\xe9"}'.encode("latin-1"),
        "string": json.dumps("mode:bass"),
    }
    c = []
    for name, body in bodies.items():
        path = fx.write(f"jam-controls-{name}.json", body)
        c.append(
            Case(f"jam/controls/{name}", sim + ["--controls", str(path)], expect=path.name, absent=[out])
        )
    folder = fx.path("jam-controls-folder.json")
    folder.mkdir(exist_ok=True)
    c += [
        Case("jam/controls/folder", sim + ["--controls", str(folder)], expect=folder.name),
        Case(
            "jam/controls/missing",
            sim + ["--controls", str(fx.path("jam-controls-none.json"))],
            expect="jam-controls-none.json",
        ),
    ]
    return c


def _sheet_cases(fx, sim: list[str], out: str) -> list[Case]:
    bodies = {
        "bad-chord": "title: x\n| H7 | C7 |\n",
        "no-bars": "title: nothing\n",
        "empty": "",
        "utf16": GARBAGE["utf16"],
        "random": GARBAGE["random"],
        "zeros": GARBAGE["zeros"],
        "bad-time": "title: x\ntime: 0/0\n| C7 |\n",
    }
    c = []
    for name, body in bodies.items():
        path = fx.write(f"jam-sheet-{name}.txt", body)
        c.append(
            Case(f"jam/leadsheet/{name}", sim + ["--leadsheet", str(path)], expect=path.name, absent=[out])
        )
    for name, body in {
        "xml-garbage": GARBAGE["random"],
        "xml-truncated": b"<?xml version='1.0'?><score-partwise>",
        "xml-empty": b"",
    }.items():
        path = fx.write(f"jam-sheet-{name}.musicxml", body)
        c.append(
            Case(f"jam/leadsheet/{name}", sim + ["--leadsheet", str(path)], expect=path.name, absent=[out])
        )
    standards = {"list-of-numbers": "[1, 2]", "not-json": "{", "object": "{}", "empty": ""}
    for name, body in standards.items():
        path = fx.write(f"jam-standards-{name}.json", body)
        c.append(
            Case(
                f"jam/standards/{name}",
                sim + ["--leadsheet", "Autumn Leaves", "--standards", str(path)],
                expect=path.name,
                absent=[out],
            )
        )
    folder = fx.path("jam-sheet-folder")
    folder.mkdir(exist_ok=True)
    c += [
        Case(
            "jam/leadsheet/title-without-standards", sim + ["--leadsheet", "Autumn Leaves"], expect="Autumn"
        ),
        Case("jam/leadsheet/folder", sim + ["--leadsheet", str(folder)], expect=folder.name),
        Case(
            "jam/standards/folder", sim + ["--leadsheet", "x", "--standards", str(folder)], expect=folder.name
        ),
    ]
    return c


def _out_cases(fx, perf: Path) -> list[Case]:
    a_file = fx.write("jam-out-a-file", "I am a file")
    base = ["jam", "--simulate", str(perf), "--model", "markov", "--synth", "none"]
    return [
        Case("jam/out/is-a-file", base + ["--out", str(a_file)], expect=a_file.name),
        Case("jam/out/under-a-file", base + ["--out", str(a_file / "sub")], expect=a_file.name),
        Case("jam/out/proc", base + ["--out", "/proc/improvise-jam"], expect="/proc/improvise-jam"),
        Case("jam/out/missing", base, expect="--out"),
        Case(
            "jam/out/live-is-a-file",
            [
                "jam",
                "--osc",
                "--seconds",
                "0.2",
                "--osc-in",
                "0",
                "--osc-out",
                OUT_PORT,
                "--model",
                "markov",
                "--out",
                str(a_file),
            ],
            expect=a_file.name,
        ),
    ]


def _model_cases(fx, perf: Path, out: str) -> list[Case]:
    fx.built("jam_run", _build_run)  # the run folder the damaged copies below start from
    base = ["jam", "--simulate", str(perf), "--out", out, "--synth", "none", "--model"]
    empty = fx.path("jam-model-empty")
    empty.mkdir(exist_ok=True)
    a_file = fx.write("jam-model-file", "not a folder")
    c = [
        Case(
            "jam/model/missing",
            base + [str(fx.path("jam-model-none"))],
            expect="jam-model-none",
            absent=[out],
        ),
        Case("jam/model/empty-folder", base + [str(empty)], expect=empty.name, absent=[out]),
        Case("jam/model/a-file", base + [str(a_file)], expect=a_file.name, absent=[out]),
    ]
    damages = {
        "truncated": lambda d: (d / "model.pt").write_bytes((d / "model.pt").read_bytes()[:200]),
        "zeros": lambda d: (d / "model.pt").write_bytes(b"\0" * 1000),
        "no-model": lambda d: (d / "model.pt").unlink(),
        "model-folder": lambda d: ((d / "model.pt").unlink(), (d / "model.pt").mkdir()),
    }
    for name, damage in damages.items():
        folder = fx.copy("jam_run", f"jam-run-{name}")
        damage(folder)
        c.append(Case(f"jam/model/{name}", base + [str(folder)], expect=folder.name, absent=[out]))
    return c


def _live_cases(fx, live: list[str]) -> list[Case]:
    held = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    held.bind(("127.0.0.1", 0))
    _HELD.append(held)
    port = str(held.getsockname()[1])
    hosts = ["::1", "256.1.1.1", "no such host", "8.8.8.8", "nosuchhost.invalid", "-1", "1.2.3"]
    c = [Case(f"jam/host/{k}", live + ["--host", v], expect="--host") for k, v in enumerate(hosts)]
    c += [
        Case("jam/osc-in/in-use", live + ["--osc-in", port], expect="--osc-in"),
        Case("jam/midi/in-missing", live + ["--midi-in", "no such port"], expect="--midi-in"),
        Case("jam/midi/out-missing", live + ["--midi-out", "no such port"], expect="--midi-out"),
        Case(
            "jam/live/controls-missing",
            live + ["--controls", str(fx.path("jam-live-none.json"))],
            expect="jam-live-none.json",
        ),
    ]
    return c


def _ok_cases(fx, perf: Path) -> list[Case]:
    run = fx.built("jam_run", _build_run)
    sheet = fx.write("jam-ok-sheet.txt", SHEET)
    controls = fx.write("jam-ok-controls.json", json.dumps(CONTROLS))
    drums = fx.write("jam-ok-drums.mid", drum_midi())

    def sim(name, *extra, source=str(perf), model="markov"):
        out = str(fx.path(f"jam-ok-{name}"))
        return Case(
            f"jam/ok/{name}",
            ["jam", "--simulate", source, "--out", out, "--model", model, "--synth", "none", *extra],
            ok=True,
        )

    c = [
        sim("demo", source="demo"),
        sim("file"),
        sim("run-model", model=str(run)),
        sim("meter-7-8", "--meter", "7/8", "--bars", "2", "--key", "Bb", source="demo"),
        sim("extremes", "--meter", "64/2", "--tempo", "400", "--bars", "1", "--span", "127", source="demo"),
        sim("slow", "--meter", "1/16", "--tempo", "20", "--bars", "1", source="demo"),
        sim("modes", "--modes", "0:bass,1:chords,2:improv"),
        sim("controls", "--controls", str(controls)),
        sim("leadsheet", "--leadsheet", str(sheet), "--modes", "0:improv"),
        sim("drum-model", "--drums", "model", "--drum-patterns", str(drums), source="demo"),
        sim("markov-0", model="markov:0"),
        sim("seed-max", "--seed", str(2**32 - 1)),
        sim("audio", source="demo", model="markov"),
    ]
    c[-1].argv[c[-1].argv.index("none")] = "numpy"
    for name, data in ok_midis().items():
        c.append(sim(f"midi-{name}", source=str(fx.write(f"jam-ok-{name}.mid", data))))
    live = ["jam", "--osc", "--seconds", "0.2", "--osc-in", "0", "--osc-out", OUT_PORT, "--model", "markov"]
    c += [
        Case("jam/ok/live", live + ["--out", str(fx.path("jam-ok-live"))], ok=True),
        Case("jam/ok/live-improv", live + ["--mode", "improv", "--meter", "5/8"], ok=True),
        Case("jam/ok/live-localhost", live + ["--host", "localhost", "--osc-out", "65535"], ok=True),
    ]
    return c
