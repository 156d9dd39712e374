"""Sampling a **kern character model, with or without the grammar mask, and the finishing
pass that makes a sample a complete **kern file.

`sample_body` draws characters one at a time (NumpyCharStep) at a temperature
(improvise.core.sample.draw); with the grammar each step's choices are limited to the characters
that keep the line valid. After `length` characters it goes on to the end of the line in progress
(with the grammar: to the end of a line after which the spines' last notes end together, the
grammar then closing: no new note may outlast the longest one sounding), at most `line_tail` more.

`finish_body` turns body text into a file: the preamble (`**kern` spines, staves, clefs, key,
meter from the commonest measure length, tempo), `@` barlines back to numbered `=N` barlines
with one field per spine, and `*-` on every active spine. An unfinished last line, lines the
grammar rejects and trailing lines after which the spines would end apart are dropped and listed;
`needs_only_basics` says nothing beyond the
preamble, the numbering and the terminators was needed.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import asdict, dataclass, replace
from fractions import Fraction

import numpy as np

from improvise.core.checks import require
from improvise.core.errors import UserError
from improvise.core.sample import draw
from improvise.kern.grammar import CLOSING, MAX_SPINES, KernGrammar, advance, field_quarters, initial_state
from improvise.kern.vocabulary import BARLINE

DEFAULT_LAYOUT = ("kern", "kern", "dynam")  # left hand, right hand, dynamics: 68 of the 69 Mozart files
BASIC_REPAIRS = ("preamble", "barline numbers", "terminators")


MAX_N = 10_000  # samples a command may draw
MAX_LENGTH = 1_000_000  # characters a sample may draw
MAX_TEMPERATURE = 100.0
MIN_TEMPO, MAX_TEMPO = 20, 320  # quarter notes a minute: the *MM values the grammar accepts
SYNTHS = ("auto", "fluidsynth", "numpy", "none")


@dataclass
class SampleConfig:
    n: int = 1  # samples to draw
    temperature: float = (
        0.8  # in [0, 100]: logits divided by this; 0 takes the likeliest character (seed 004: 0.8)
    )
    seed: int = 0  # sample i uses the generator seeded [seed, i]
    primer: str = "@"  # text the model reads first, kept as the sample's start (seed 004: "@")
    length: int = 2000  # characters to draw after the primer
    grammar: bool = True  # mask characters that would break the current line
    splits: bool = False  # let the grammar split spines (music21 can lose notes in split spines)
    line_tail: int = 400  # at most this many more characters to end the line in progress
    tempo: int = 120  # quarter notes a minute in the finished file's *MM
    synth: str = "auto"  # audio: auto | fluidsynth | numpy | none

    def validate(self) -> None:
        """Every setting in its documented range (the CLI's flags say the same)."""
        require(1 <= self.n <= MAX_N, f"--n must be in [1, {MAX_N}], not {self.n}")
        require(1 <= self.length <= MAX_LENGTH, f"--length must be in [1, {MAX_LENGTH}], not {self.length}")
        require(
            0 <= self.line_tail <= MAX_LENGTH, f"line_tail must be in [0, {MAX_LENGTH}], not {self.line_tail}"
        )
        require(
            MIN_TEMPO <= self.tempo <= MAX_TEMPO,
            f"--tempo must be in [{MIN_TEMPO}, {MAX_TEMPO}], not {self.tempo}",
        )
        require(
            0 <= self.temperature <= MAX_TEMPERATURE,  # NaN fails too
            f"--temperature must be in [0, {MAX_TEMPERATURE:g}] (0: always the likeliest character), "
            f"not {self.temperature}",
        )
        require(0 <= self.seed < 2**32, f"--seed must be in [0, {2**32 - 1}], not {self.seed}")
        require(self.synth in SYNTHS, f"--synth must be one of {', '.join(SYNTHS)}, not {self.synth!r}")

    def to_dict(self) -> dict:
        return asdict(self)


def primer_state(primer: str, chars: str, grammar: bool, layout=DEFAULT_LAYOUT, splits: bool = False):
    """The grammar's state after the primer (None without the grammar); a UserError when the
    primer has characters the model never saw or breaks the **kern grammar. An empty primer
    leaves the grammar at the start of a line (the model itself reads a line end first)."""
    missing = sorted(set(primer) - set(chars))
    if missing:
        raise UserError(f"--primer has characters the model never saw: {''.join(missing)[:40]!r}")
    if not grammar:
        return None
    state = initial_state(layout, strict=True, max_spines=MAX_SPINES if splits else len(layout))
    for k, ch in enumerate(primer):
        state = advance(state, ch)
        if state is None:
            raise UserError(
                f"--primer {primer[:40]!r} breaks the **kern grammar at character {k + 1} ({ch!r})"
            )
    return state


def sample_body(
    stepper,
    chars: str,
    cfg: SampleConfig,
    index: int = 0,
    layout=DEFAULT_LAYOUT,
    grammar: KernGrammar | None = None,
) -> dict:
    """One sample: {"text", "seconds", "dead_end"}; the text starts with the primer."""
    stoi = {c: i for i, c in enumerate(chars)}
    state = primer_state(cfg.primer, chars, cfg.grammar, layout, cfg.splits)
    if cfg.grammar and grammar is None:
        grammar = KernGrammar(chars)
    rng = np.random.default_rng([cfg.seed, index])
    t0 = time.perf_counter()
    stepper.reset()
    for ch in cfg.primer or "\n":
        logits = stepper.step(stoi[ch])
    out, dead_end, limit = [], False, cfg.length + cfg.line_tail
    while len(out) < limit:
        mask = grammar.mask(state) if cfg.grammar else None
        if mask is not None and not mask.any():
            dead_end = True
            break
        i = draw(logits, cfg.temperature, rng, mask)
        ch = chars[i]
        out.append(ch)
        if cfg.grammar:
            state = grammar.step(state, i)
            if len(out) >= cfg.length and ch == "\n" and state.strict != CLOSING:
                state = replace(state, strict=CLOSING)  # from here, new notes bring the spines together
        if len(out) >= cfg.length and ch == "\n" and not (cfg.grammar and not ends_together(state)):
            break  # the line is done (and, with the grammar, the spines' last notes end together)
        logits = stepper.step(i)
    return {
        "text": (cfg.primer or "") + "".join(out),
        "seconds": time.perf_counter() - t0,
        "dead_end": dead_end,
    }


def ends_together(state) -> bool:
    """The **kern spines' last notes end at the same time (so the file can end here)."""
    return len({r for r, (t, _) in zip(state.remaining, state.spines) if t == "kern"}) <= 1


def meter_of(lines: list[str]) -> str:
    """*M for the commonest measure length in the first spine (4/4 when none is clear)."""
    lengths, current = Counter(), Fraction(0)
    for line in lines:
        if line.startswith(BARLINE):
            if current:
                lengths[current] += 1
            current = Fraction(0)
        elif not line.startswith("*"):
            current += field_quarters(line.split("\t")[0])
    if not lengths:
        return "M4/4"
    common = lengths.most_common(1)[0][0]
    if common.denominator == 1 and 1 <= common <= 12:
        return f"M{common.numerator}/4"
    if (common * 2).denominator == 1 and 1 <= common * 2 <= 12:
        return f"M{(common * 2).numerator}/8"
    return "M4/4"


def preamble(layout, meter: str, tempo: int) -> list[str]:
    """Exclusive interpretations, staves (first **kern the lower staff), clefs, key, meter, tempo."""
    kern = [i for i, t in enumerate(layout) if t == "kern"]
    staff = {i: len(kern) - k for k, i in enumerate(kern)}
    staves = [
        f"*staff{staff[i]}" if t == "kern" else "*staff" + "/".join(str(s) for s in sorted(staff.values()))
        for i, t in enumerate(layout)
    ]
    clefs = [
        ("*clefF4" if staff[i] == len(kern) and len(kern) > 1 else "*clefG2") if t == "kern" else "*"
        for i, t in enumerate(layout)
    ]

    def row(word):
        return "\t".join(word for _ in layout)

    return [
        "\t".join("**" + t for t in layout),
        "\t".join(staves),
        "\t".join(clefs),
        row("*k[]"),
        row("*C:"),
        row("*" + meter),
        row(f"*MM{tempo}"),
    ]


def finish_body(text: str, layout=DEFAULT_LAYOUT, tempo: int = 120, title: str = "improvise") -> dict:
    """{"kern": file text, "repairs": [...], "needs_only_basics": bool, "dropped_lines": [...]}."""
    lines = text.split("\n")
    repairs, dropped = list(BASIC_REPAIRS), []
    if lines and lines[-1] != "":
        dropped.append({"line": len(lines), "text": lines[-1][:120], "reason": "unfinished last line"})
        repairs.append("dropped the unfinished last line")
    lines = lines[:-1]
    state, kept, states = initial_state(layout, strict=True), [], []
    bar = 0
    for n, line in enumerate(lines, 1):
        s = state
        for ch in line + "\n":
            s = advance(s, ch)
            if s is None:
                break
        if s is None:
            dropped.append({"line": n, "text": line[:120], "reason": "the grammar rejects it"})
            continue
        if line == BARLINE:
            bar += 1
            kept.append("\t".join(f"={bar}" for _ in state.spines))
        else:
            kept.append(line)
        state = s
        states.append(s)
    ends = [i for i, st in enumerate(states) if ends_together(st)]
    cut = ends[-1] + 1 if ends else 0
    if cut < len(kept):  # spines ending apart: back to the last line after which they end together
        dropped += [
            {"line": None, "text": line[:120], "reason": "spines ending apart"} for line in kept[cut:]
        ]
        repairs.append(f"dropped {len(kept) - cut} trailing line(s) so the spines end together")
        kept, state = kept[:cut], states[cut - 1] if cut else initial_state(layout, strict=True)
        bar = sum(1 for line in kept if line.startswith("="))
    rejected = sum(1 for d in dropped if d["reason"] == "the grammar rejects it")
    if rejected:
        repairs.append(f"dropped {rejected} line(s) the grammar rejects")
    body = [("@" if line.startswith("=") else line) for line in kept]
    out = [f"!!!OTL: {title}"] + preamble(layout, meter_of(body), tempo) + kept
    out.append("\t".join("*-" for _ in state.spines))
    return {
        "kern": "\n".join(out) + "\n",
        "repairs": repairs,
        "needs_only_basics": repairs == list(BASIC_REPAIRS),
        "dropped_lines": dropped,
        "notes": state.notes,
        "bars": bar,
    }
