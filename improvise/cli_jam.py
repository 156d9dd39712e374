"""`improvise jam`: the live engine from the command line (see improvise/live/)."""
from __future__ import annotations

import argparse
from pathlib import Path
from improvise.errors import ConfigError


def add_jam_parser(sub, parser_class) -> None:
    p = sub.add_parser("jam", help="the live looper and call-and-response engine (simulated or over OSC/MIDI)")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--simulate", metavar="PERFORMANCE", help="a MIDI file a simulated performer plays in, "
                     "or 'demo' for the built-in performer")
    src.add_argument("--osc", action="store_true", help="play live: OSC in and out on --host (and MIDI ports)")
    p.add_argument("--out", default=None, help="session folder (session.mid, session.json, session.wav)")
    p.add_argument("--model", default=None, help="the machine's pitches: a blues run folder, or markov[:K] "
                   "(an order-K interval Markov chain; default: train the headline blues model now, ~1 s)")
    g = p.add_argument_group("the loop")
    g.add_argument("--bars", type=int, default=4)
    g.add_argument("--meter", default="4/4", help="time signature, e.g. 4/4, 3/4, 7/8")
    g.add_argument("--tempo", type=float, default=120.0, help="beats a minute")
    g.add_argument("--key", default="C", help="key of the machine's scale (e.g. C, Bb, F#)")
    g.add_argument("--no-click", action="store_true")
    g.add_argument("--drums", choices=["rule", "model", "off"], default="rule",
                   help="rule: kick, snare at bass onsets, eighth hats (default); model: a drum LSTM varies them")
    g.add_argument("--drum-patterns", default=None, help="a GM drum MIDI file to train the drum model on")
    g.add_argument("--phrase-bars", type=int, default=None, help="replacement switches at these (default: loop)")
    g.add_argument("--span", type=int, default=7, help="machine pitches within this many semitones of the player")
    g.add_argument("--leadsheet", default=None, help="a lead sheet (text file, or a title in --standards) whose "
                   "chords the machine follows when no chords are recorded")
    g.add_argument("--standards", default=None, help="JazzStandards.json, to look --leadsheet titles up in")
    g.add_argument("--controls", default=None, help="JSON file: CC number -> action (see README)")
    g.add_argument("--seed", type=int, default=0)
    g = p.add_argument_group("simulated sessions")
    g.add_argument("--modes", default=None, help="loop pass -> mode, e.g. 0:bass,1:chords,2:improv")
    g.add_argument("--synth", choices=["auto", "fluidsynth", "numpy", "none"], default="auto",
                   help="audio for session.wav (none: no audio)")
    g = p.add_argument_group("live sessions")
    g.add_argument("--seconds", type=float, default=60.0, help="how long to play")
    g.add_argument("--host", default="127.0.0.1", help="address to listen and send OSC on")
    g.add_argument("--osc-in", type=int, default=57121, help="port the engine listens on")
    g.add_argument("--osc-out", type=int, default=57120, help="port the engine sends to (SuperCollider: 57120)")
    g.add_argument("--midi-in", default=None, help="MIDI input port name")
    g.add_argument("--midi-out", default=None, help="MIDI output port name")
    g.add_argument("--virtual", action="store_true", help="create the MIDI ports (by those names) for others")
    g.add_argument("--mode", default="free", help="mode to start in")
    p.set_defaults(func=cmd_jam)


def jam_config(a: argparse.Namespace):
    from improvise.live import JamConfig, LoopSpec
    from improvise.live.grid import parse_meter
    from improvise.live.jam import load_controls
    from improvise.music import parse_pitch_class

    num, den = parse_meter(a.meter)
    cfg = JamConfig(loop=LoopSpec(bars=a.bars, beats_per_bar=num, beat_unit=den, tempo_bpm=a.tempo),
                    click=not a.no_click, drums=a.drums, key=parse_pitch_class(a.key),
                    phrase_bars=a.phrase_bars, span=a.span)
    if a.controls:
        cfg.controls = load_controls(Path(a.controls))
    if a.leadsheet:
        from improvise.live.jam import lead_sheet_pcs

        cfg.lead_sheet = lead_sheet_pcs(a.leadsheet, Path(a.standards) if a.standards else None, cfg.loop)
    cfg.validate()
    return cfg


def cmd_jam(a) -> int:
    from improvise.live.jam import jam_live, jam_simulate, parse_modes

    cfg = jam_config(a)
    model = a.model if a.model and a.model.startswith("markov") else Path(a.model) if a.model else None
    if a.simulate:
        if not a.out:
            raise ConfigError("--simulate needs --out DIR")
        doc = jam_simulate(a.simulate, Path(a.out), cfg, model=model, modes=parse_modes(a.modes),
                           audio=None if a.synth == "none" else a.synth, seed=a.seed,
                           drum_patterns=Path(a.drum_patterns) if a.drum_patterns else None)
        n = doc["notes"]
        print(f"simulated {doc['steps']} steps in {doc['compute_seconds']:.2f} s: " +
              ", ".join(f"{k} {v}" for k, v in n.items() if v) + f"; {len(doc['errors'])} dropped messages")
        print(f"wrote {Path(a.out) / 'session.mid'}, session.json" + (", session.wav" if "audio" in doc else ""))
        return 0
    if a.seconds <= 0:
        raise ConfigError("--seconds must be positive")
    print(f"jam: OSC in on {a.host}:{a.osc_in} (/note pitch velocity, /cc, /mode), out to {a.host}:{a.osc_out}; "
          f"{a.seconds:g} s", flush=True)
    doc = jam_live(cfg, a.seconds, Path(a.out) if a.out else None, host=a.host, osc_in_port=a.osc_in,
                   osc_out_port=a.osc_out, midi_in=a.midi_in, midi_out=a.midi_out, model=model, seed=a.seed,
                   mode=a.mode, drum_patterns=Path(a.drum_patterns) if a.drum_patterns else None,
                   virtual=a.virtual)
    t = doc["timing"]
    print(f"played {t['steps']} steps, {t['missed_steps']} missed; lateness median {t['lateness_ms_median']:.3f} ms, "
          f"p99 {t['lateness_ms_p99']:.3f} ms, max {t['lateness_ms_max']:.3f} ms")
    return 0
