"""Human-readable summaries: a chorus as a bar-by-bar grid, and metric tables."""

from __future__ import annotations

import numpy as np

from improvise.core.music import pitch_name


def chorus_grid(chords: np.ndarray, pitches: np.ndarray, encoding, chorus: int = 0, bars: int = 12) -> str:
    """One chorus, a line a bar: bar number, chord at the bar onset, one cell a step
    ('.' = rest; a chord change inside the bar is marked '>F7')."""
    spb = encoding.steps_per_bar
    lines = []
    for bar in range(bars):
        start = (chorus * bars + bar) * spb
        if start >= len(chords):
            break
        cells = []
        for t in range(start, min(start + spb, len(chords))):
            p = int(pitches[t])
            cell = "." if p == encoding.rest else pitch_name(encoding.pitches[p])
            if t > start and chords[t] != chords[t - 1]:
                cell = f">{encoding.chords[int(chords[t])]} {cell}"
            cells.append(f"{cell:>4}")
        lines.append(f"bar {bar + 1:2d}  {encoding.chords[int(chords[start])]:>3} |" + " ".join(cells))
    return "\n".join(lines)


def format_metrics(
    m: dict,
    keys=("bar_onset_match", "step_match", "on_beat_rate", "palette_rate", "chord_tone_rate", "copy_rate"),
) -> str:
    return "  ".join(f"{k} {m[k]:.3f}" for k in keys if k in m)
