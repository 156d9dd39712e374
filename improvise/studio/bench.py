"""The studio's browser benches (make bench), measured in headless Chromium on loopback:

- the round trip page -> engine -> page: a note sent by the page and the engine's answer back
  (pass-through in free mode, the machine's note in improv mode), 1,000 notes each;
- a long session (10 minutes at 160 bpm by default): a scripted performer in the page records a
  bassline and chords, then plays a riff the machine answers for the rest of the time, with
  click and drums. Measured: stuck notes (a note-on without its note-off, in what the engine
  sent and in what the page holds), the loop's drift (every loop top's time on the Web Audio
  clock against the first plus k loops) and grid events that reached the page after their time.

`python -m improvise.studio.bench --append docs/benchmarks.md` replaces its own section there.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from improvise.core import host

HEADING = "## The studio in the browser (`improvise studio`)"
PERFORMER_JS = """async ([seconds, bpm]) => {
  const s = window.studio, beat = 60 / bpm, sleep = (x) => new Promise(r => setTimeout(r, x * 1000));
  s.send({type: 'config', tempo: bpm, bars: 2, meter: '4/4', click: true, drums: 'rule'});
  await sleep(0.3);
  const play = async (pitches, len, gap, until) => {
    let k = 0;
    while (s.sampler.now() < until) {
      const p = pitches[k++ % pitches.length];
      s.note(p, 80 + (k % 3) * 10); await sleep(len); s.note(p, 0); await sleep(gap);
    }
  };
  const loop = 8 * beat, t0 = s.sampler.now();
  s.send({type: 'mode', mode: 'bass'}); s.send({type: 'start'});
  await play([36, 43, 46, 48], beat * 0.7, beat * 0.3, t0 + 2.5 * loop);
  s.send({type: 'mode', mode: 'chords'});
  const t1 = s.sampler.now();
  while (s.sampler.now() < t1 + 2.5 * loop) {
    for (const p of [48, 52, 55, 58]) s.note(p, 60);
    await sleep(beat * 1.8);
    for (const p of [48, 52, 55, 58]) s.note(p, 0);
    await sleep(beat * 0.2);
  }
  s.send({type: 'mode', mode: 'improv'});
  await play([60, 63, 65, 67, 70, 72, 67], beat * 0.35, beat * 0.15, t0 + seconds);
  s.send({type: 'stop'});
  await sleep(0.5);
  return true;
}"""


def _stats(ms: list[float]) -> dict:
    ms = sorted(ms)
    return {
        "n": len(ms),
        "median": statistics.median(ms),
        "p99": ms[max(0, int(0.99 * len(ms)) - 1)],
        "max": ms[-1],
    }


def round_trips(page, n: int) -> dict:
    """Median, p99 and max ms of `n` notes in free mode and in improv mode (machine answering)."""
    free = _stats(page.js(f"studio.measureRoundTrip({n})"))
    page.js("studio.send({type: 'config', bars: 1, tempo: 240, click: false, drums: 'off'})")
    page.js("studio.send({type: 'mode', mode: 'improv'}); studio.send({type: 'start'})")
    page.wait("studio.state && studio.state.replacing", timeout=10)
    improv = _stats(page.js(f"studio.measureRoundTrip({n})"))
    page.js("studio.panic()")
    return {"free": free, "improv": improv}


def long_session(page, seconds: float, bpm: float, book) -> dict:
    """The scripted performer for `seconds`; what it left sounding, the drift, late events."""
    page.page.evaluate(PERFORMER_JS, [seconds, bpm])
    time.sleep(0.5)
    events = page.js("studio.log.events")
    stuck = open_notes(events)
    tops = [e[0] for e in events if e[1] == 9 and e[2] == 76 and e[3] > 0]
    loop = 2 * 4 * 60 / bpm
    drift = (
        max(abs(t - (tops[0] + round((t - tops[0]) / loop) * loop)) for t in tops) if tops else float("nan")
    )
    grid = [e for e in events if not e[5] and e[3] > 0]  # stamped on the grid, not answers to a key
    late = [e[4] - e[0] for e in grid if e[4] > e[0]]
    sessions = book()["open"]
    return {
        "seconds": seconds,
        "bpm": bpm,
        "events": len(events),
        "notes_sent_by_performer": len(page.js("studio.log.sent")),
        "machine_notes": sum(1 for e in events if e[1] == 1 and e[3] > 0),
        "loop_tops": len(tops),
        "stuck_in_engine_output": stuck,
        "held_in_page": page.js("studio.sampler.voices.size"),
        "sounding_in_server": sum(s["sounding"] for s in sessions),
        "drift_ms": drift * 1000,
        "grid_events": len(grid),
        "grid_events_late": len(late),
        "late_ms_max": max(late) * 1000 if late else 0.0,
    }


def open_notes(events: list) -> int:
    """Note-ons among `events` ([t, channel, pitch, velocity, arrival, answer]) that no note-off followed."""
    count: dict = {}
    for _, ch, pitch, vel, *_ in events:
        if pitch >= 0:
            key = (ch, pitch)
            count[key] = count.get(key, 0) + 1 if vel > 0 else max(count.get(key, 0) - 1, 0)
    return sum(count.values())


def run(seconds: float, bpm: float, notes: int) -> dict:
    """Both benches on a fresh studio (the headline model, trained now) and a fresh Chromium."""
    import json
    import urllib.request

    from improvise.studio.browser import Browser, chromium_path
    from improvise.studio.start import StudioThread

    chromium = chromium_path()
    if chromium is None:
        raise SystemExit("the studio bench needs Chromium (make sysdeps)")
    load = os.getloadavg()[0]  # other work on the machine shows in the p99s
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("XDG_CACHE_HOME", str(Path(tmp) / "cache"))
        srv = StudioThread(model=None, out=Path(tmp) / "runs")
        browser = Browser(chromium)
        try:
            book = lambda: json.loads(urllib.request.urlopen(srv.url + "api/sessions", timeout=10).read())
            page = browser.page(srv.url)
            trips = round_trips(page, notes)
            page.close()
            page = browser.page(srv.url)
            long = long_session(page, seconds, bpm, book) if seconds > 0 else None
            version = browser.browser.version
            assert page.errors == [] and page.outside() == [], (page.errors, page.outside())
            page.close()
        finally:
            browser.close()
            srv.stop()
    return {"round_trip": trips, "long": long, "chromium": version, "machine": host.machine(), "load": load}


def markdown(r: dict, command: str) -> str:
    rt = r["round_trip"]
    lines = [
        HEADING,
        "",
        f"`{command}` on {r['machine']} (load average {r['load']:.1f} at the start), "
        f"Chromium {r['chromium']} headless, loopback. "
        "Round trip: from the page sending a note (performance.now()) to the engine's answer arriving "
        "in the page, awaited one at a time.",
        "",
        "| round trip | notes | median ms | p99 ms | max ms |",
        "|---|---|---|---|---|",
    ]
    for name, what in (("free", "pass-through (free mode)"), ("improv", "the machine's note (improv mode)")):
        s = rt[name]
        lines.append(f"| {what} | {s['n']} | {s['median']:.2f} | {s['p99']:.2f} | {s['max']:.2f} |")
    if r["long"]:
        g = r["long"]
        lines += [
            "",
            f"A scripted performer in the page, {g['seconds'] / 60:g} minutes at {g['bpm']:g} bpm "
            f"(2-bar loop, click, drums, recorded bass and chords, then improv): "
            f"{g['notes_sent_by_performer']} notes sent, "
            f"{g['machine_notes']} machine answers, {g['events']} engine events, {g['loop_tops']} loop tops.",
            "",
            "| stuck notes (engine output / page / server) | loop drift vs the Web Audio clock "
            "| grid events late |",
            "|---|---|---|",
            f"| {g['stuck_in_engine_output']} / {g['held_in_page']} / {g['sounding_in_server']} | "
            f"{g['drift_ms']:.4f} ms | {g['grid_events_late']} of {g['grid_events']} "
            f"(max {g['late_ms_max']:.1f} ms) |",
            "",
            "The drift is zero by construction: the engine stamps every grid step with its exact time on "
            "the page's audio clock and the page schedules it there. What could go wrong is a step reaching "
            "the page after its time (it would sound late): the last column counts those.",
        ]
    return "\n".join(lines) + "\n"


def replace_section(path: Path, text: str) -> None:
    """`text` in place of this bench's section of `path` (appended when there is none)."""
    old = path.read_text() if path.is_file() else ""
    start = old.find(HEADING)
    if start < 0:
        new = old.rstrip("\n") + "\n\n" + text
    else:
        end = old.find("\n## ", start + len(HEADING))
        new = old[:start] + text + (old[end + 1 :] if end >= 0 else "")
    path.write_text(new)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=600.0, help="the long session (0: skip it)")
    p.add_argument("--bpm", type=float, default=160.0)
    p.add_argument("--notes", type=int, default=1000, help="round trips of each kind")
    p.add_argument(
        "--append", default=None, help="replace or append this bench's section in this Markdown file"
    )
    a = p.parse_args(argv)
    r = run(a.seconds, a.bpm, a.notes)
    text = markdown(
        r, "python -m improvise.studio.bench" + (f" --seconds {a.seconds:g}" if a.seconds != 600 else "")
    )
    print(text)
    if a.append:
        replace_section(Path(a.append), text)


if __name__ == "__main__":
    main()
