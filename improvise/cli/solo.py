"""`improvise solo`: train the chord-conditioned model on the WJD, and solo over lead sheets."""

from __future__ import annotations

import argparse
import secrets
from pathlib import Path

from improvise.core.checks import (
    MAX_CHORUSES,
    MAX_EPOCHS,
    SEED,
    TEMPERATURE,
    TEMPO,
    check_out_dir,
    float_flag,
    int_flag,
)
from improvise.core.errors import UserError

DEFAULT_RUN = "runs/solo"


def add_solo_parser(sub, parser_class) -> None:
    from improvise.solo.config import SoloConfig, SoloJob
    from improvise.solo.generate import SoloControls

    c, k, j = SoloConfig(), SoloControls(), SoloJob()
    p = sub.add_parser("solo-train", help="train the chord-conditioned soloist on the Weimar Jazz Database")
    p.add_argument("--wjd", required=True, help="folder with wjd_notes.csv.gz and wjd_solos.csv")
    p.add_argument("--out", default=DEFAULT_RUN, help=f"run folder to write (default {DEFAULT_RUN})")
    p.add_argument("--subset", choices=["all", "blues"], default=c.subset)
    p.add_argument("--no-augment", action="store_true", help="train in C only, without the 11 other keys")
    p.add_argument(
        "--no-chords", action="store_true", help="the chord-blind twin (every chord N.C.), for comparison"
    )
    p.add_argument(
        "--minutes",
        type=float_flag(0, 10_000),
        default=c.max_seconds / 60,
        help=f"training budget in minutes (0: none; default {c.max_seconds / 60:g})",
    )
    p.add_argument("--half", action="store_true", help="store the weights in float16 (half the size)")
    p.add_argument(
        "--epochs",
        type=int_flag(1, MAX_EPOCHS),
        default=c.epochs,
        help=f"at most (1 to {MAX_EPOCHS}); early stopping on validation solos",
    )
    p.add_argument("--hidden", type=int_flag(1, 4096), default=c.hidden, help="LSTM units (1 to 4096)")
    p.add_argument(
        "--grid",
        choices=["swing", "16th", "triplet"],
        default=c.grid,
        help="swing: sixteenths with swung eighths read as eighths (default); 16th: straight "
        "sixteenths; triplet: triplet eighths",
    )
    p.add_argument("--seed", type=SEED, default=c.seed, help="0 to 2**32 - 1")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=cmd_solo_train)
    _add_solo(sub, k, j)


def _add_solo(sub, k, j) -> None:
    p = sub.add_parser("solo", help="a solo over a lead sheet in any key: MIDI, WAV, MusicXML, score, report")
    p.add_argument(
        "--leadsheet",
        required=True,
        help="a lead sheet file (text, MusicXML/.mxl, Impro-Visor .ls, "
        "iReal Pro link or HTML playlist), an irealb:// link, wjd:MELID (with --wjd), a title in "
        "--standards, or a shipped title (" + ", ".join(_titles()) + ")",
    )
    p.add_argument(
        "--model",
        "--run",
        dest="model",
        default=None,
        help="a run folder from 'improvise solo-train' (default: the soloist shipped with improvise)",
    )
    p.add_argument("--standards", default=None, help="JazzStandards.json to look titles up in")
    p.add_argument("--wjd", default=None, help="the WJD folder, for --leadsheet wjd:MELID")
    p.add_argument("--key", default=None, help="transpose the tune to this key (e.g. Eb)")
    p.add_argument(
        "--choruses",
        type=int_flag(1, MAX_CHORUSES),
        default=1,
        help=f"times through the form (1 to {MAX_CHORUSES}; at most 10000 bars in all)",
    )
    _add_sound_flags(p, k, j)
    p.add_argument("--regenerate", default=None, help="bars A-B of the solo already in --out drawn again")
    p.add_argument(
        "--seed",
        type=SEED,
        default=None,
        help="0 to 2**32 - 1: the same seed, the same files (default: a new seed each call, "
        "printed and kept in solo.json)",
    )
    p.add_argument("--out", required=True, help="folder to write")
    p.set_defaults(func=cmd_solo_generate)


def _add_sound_flags(p, k, j) -> None:
    """How the solo is drawn and heard: tempo, swing, score, temperature, range, density, synth."""
    p.add_argument("--tempo", type=TEMPO, default=160.0, help="quarter notes a minute (20 to 400)")
    p.add_argument(
        "--swing",
        type=float_flag(0.5, 0.95),
        default=j.swing,
        help=f"share of a beat for its first eighth, 0.5 (straight) to 0.95 (default {j.swing:g}; "
        "2/3 = triplet swing)",
    )
    p.add_argument(
        "--score",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="engrave the lead sheet with the solo: solo.musicxml and solo.svg (default; --no-score "
        "skips them, about 0.8 s less)",
    )
    p.add_argument(
        "--temperature",
        type=TEMPERATURE,
        default=k.temperature,
        help="sampling temperature, 0-100; 0 = argmax, 1 = the model's own distribution",
    )
    p.add_argument("--low", type=int_flag(0, 127), default=k.low, help="lowest note (MIDI, 0 to 127)")
    p.add_argument("--high", type=int_flag(0, 127), default=k.high, help="highest note (MIDI, 0 to 127)")
    calibrated = "default: the model's calibration, as its players do"
    for flag, bound, what in (
        ("--density", 50, "> 0 more notes, < 0 fewer"),
        ("--strong-tones", 20, "added to the chord tones' log-odds on beats 1 and 3"),
        ("--other-tones", 20, "added to the chord tones' log-odds elsewhere"),
        ("--motif", 20, "added to the log-odds of the pitch that repeats the solo's own shape"),
    ):
        p.add_argument(
            flag,
            type=float_flag(-bound, bound),
            default=None,
            help=f"-{bound} to {bound}: {what} ({calibrated})",
        )
    p.add_argument("--synth", choices=["auto", "fluidsynth", "numpy", "none"], default="auto")


def _titles() -> list[str]:
    from improvise.solo.builtin import builtin_titles

    return builtin_titles()


def cmd_solo_train(a) -> int:
    from improvise.solo.config import SoloConfig
    from improvise.solo.runs import save_solo_run
    from improvise.solo.train import train_solo_model

    wjd = Path(a.wjd)
    check_out_dir(a.out)
    cfg = SoloConfig(
        subset=a.subset,
        augment=not a.no_augment,
        chords=not a.no_chords,
        hidden=a.hidden,
        epochs=a.epochs,
        max_seconds=60.0 * a.minutes,
        grid=a.grid,
        half=a.half,
        seed=a.seed,
    )
    cfg.validate()
    trained = train_solo_model(wjd, cfg, progress=not a.quiet)
    m = save_solo_run(trained, Path(a.out), wjd)
    print(
        f"trained in {m['train_seconds']:.1f} s ({m['epochs_run']} epochs): held-out NLL {m['test_nll']:.3f} "
        f"nats/event (valid {m['valid_nll']:.3f}) -> {a.out}"
    )
    return 0


def cmd_solo_generate(a) -> int:
    from improvise.solo.soloist import SoloControls, SoloJob, parse_bars, solo_over_leadsheet

    seed = a.seed if a.seed is not None else secrets.randbits(32)  # a new solo each call unless asked
    controls = SoloControls(
        temperature=a.temperature,
        low=a.low,
        high=a.high,
        density=a.density,
        seed=seed,
        strong_tones=a.strong_tones,
        other_tones=a.other_tones,
        motif=a.motif,
    )
    controls.validate()
    check_out_dir(a.out)
    if key := a.key:
        from improvise.core.music import parse_pitch_class

        try:
            parse_pitch_class(key)
        except ValueError:
            raise UserError(f"--key: not a key: {key[:20]!r} (e.g. Eb, F#)") from None
    if a.model is not None and not (Path(a.model) / "model.pt").is_file():
        raise UserError(
            f"{a.model}: no trained soloist there; train one with "
            f"'improvise solo-train --wjd WJD_FOLDER --out {a.model}', or leave out --model for the "
            "shipped one"
        )
    job = SoloJob(
        key=a.key,
        choruses=a.choruses,
        tempo=a.tempo,
        swing=a.swing,
        regenerate=parse_bars(a.regenerate) if a.regenerate else None,
        audio=None if a.synth == "none" else a.synth,
        score=a.score,
    )
    doc = solo_over_leadsheet(
        Path(a.model) if a.model else None,
        a.leadsheet,
        Path(a.out),
        Path(a.standards) if a.standards else None,
        job,
        controls,
        Path(a.wjd) if a.wjd else None,
    )
    m = doc["metrics"]
    print(
        f"{doc['leadsheet']} in {doc['key']}, {doc['choruses']} chorus(es): {m['notes']} notes in "
        f"{m['seconds']:.2f} s; chord-tone rate {m['chord_tone_rate']:.3f}, copied 2-bar fragments "
        f"{m['copy_rate']:.1%}"
    )
    print(
        f"wrote {Path(a.out) / 'solo.mid'}, solo.json"
        + (", solo.wav" if "audio" in doc else "")
        + (f"; seed {seed} (--seed {seed} repeats it)" if a.seed is None else "")
    )
    return 0
