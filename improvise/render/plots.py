"""Pictures of a run with matplotlib (Agg): training curves, weight panels per gate, piano
rolls with a chord strip, the chord match per chorus, and the frames of the training GIF."""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import ListedColormap  # noqa: E402

from improvise.core.runs import write_bytes  # noqa: E402

CHORD_COLOURS = ("#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860")
GATES = ("input", "forget", "cell", "output")


def save(fig, path: Path, dpi: int = 110) -> None:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    plt.close(fig)
    write_bytes(Path(path), buf.getvalue())


def surprisal_axes(figsize: tuple[float, float], curve_height: float):
    """(fig, roll, curve): a piano roll above a bar chart of surprisal per step, one time axis."""
    fig, (roll, curve) = plt.subplots(2, 1, figsize=figsize, sharex=True, height_ratios=[2, curve_height])
    return fig, roll, curve


def finish_surprisal_plot(fig, roll, curve, tune, path: Path) -> None:
    """Labels, a line at every bar on both panels, and the PNG written to `path`."""
    roll.set_ylabel("MIDI pitch")
    curve.set_ylabel("surprisal (nats)")
    curve.set_xlabel("step")
    for ax in (roll, curve):
        for b in range(0, tune.steps + 1, tune.steps_per_bar):
            ax.axvline(b, color="#dddddd", lw=0.5, zorder=0)
    fig.tight_layout()
    save(fig, path)


def training_curves(history: dict, n_chords: int, n_pitches: int, path: Path) -> None:
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.6))
    epochs = np.arange(1, len(history["loss"]) + 1)
    for key, label in (("loss", "total"), ("chord_loss", "chord head"), ("pitch_loss", "pitch head")):
        if key in history:
            a.plot(epochs, history[key], label=label)
    a.set_xlabel("epoch")
    a.set_ylabel("cross-entropy")
    a.set_title("training loss")
    a.legend()
    for key, label, chance in (("chord_acc", "chord", 1 / n_chords), ("pitch_acc", "pitch", 1 / n_pitches)):
        if key in history:
            (line,) = b.plot(epochs, history[key], label=f"{label} accuracy")
            b.axhline(chance, color=line.get_color(), ls=":", lw=1, label=f"{label} chance")
    b.set_ylim(0, 1.02)
    b.set_xlabel("epoch")
    b.set_title("teacher-forced argmax accuracy")
    b.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    save(fig, path)


def weights(state_dict: dict, path: Path) -> None:
    """Per gate, each layer's input and recurrent weights side by side ([W_ih | W_hh])."""
    layers = [("chord layer", "chord_rnn"), ("melody layer", "melody_rnn")]
    fig, axes = plt.subplots(len(layers), 4, figsize=(13, 5.6))
    for r, (title, prefix) in enumerate(layers):
        w_ih = np.asarray(state_dict[f"{prefix}.weight_ih_l0"])
        w_hh = np.asarray(state_dict[f"{prefix}.weight_hh_l0"])
        gates = w_hh.shape[0] // w_hh.shape[1]
        H = w_hh.shape[1]
        names = GATES if gates == 4 else (("reset", "update", "new") if gates == 3 else ("tanh",))
        for g in range(4):
            ax = axes[r, g]
            if g >= gates:
                ax.axis("off")
                continue
            block = np.concatenate([w_ih[g * H : (g + 1) * H], w_hh[g * H : (g + 1) * H]], axis=1)
            lim = np.abs(block).max() or 1.0
            ax.imshow(block, cmap="RdBu_r", vmin=-lim, vmax=lim, aspect="auto", interpolation="nearest")
            ax.axvline(w_ih.shape[1] - 0.5, color="black", lw=0.8)
            ax.set_title(f"{title}: {names[g]} gate", fontsize=9)
            ax.set_xlabel("inputs | recurrent units", fontsize=8)
            ax.set_yticks([])
    fig.tight_layout()
    save(fig, path)


def draw_roll(
    ax_strip, ax_roll, chords: np.ndarray, pitches: np.ndarray, encoding, bar_lines: bool = True
) -> None:
    n = len(chords)
    cmap = ListedColormap(CHORD_COLOURS[: encoding.n_chords])
    ax_strip.imshow(
        chords[None, :],
        cmap=cmap,
        vmin=-0.5,
        vmax=encoding.n_chords - 0.5,
        aspect="auto",
        interpolation="nearest",
    )
    ax_strip.set_yticks([])
    ax_strip.set_xticks([])
    spb = encoding.steps_per_bar
    for bar in range(0, n, spb):
        ax_strip.text(
            bar + spb / 2 - 0.5,
            0,
            encoding.chords[int(chords[bar])],
            ha="center",
            va="center",
            fontsize=7 if n <= 96 * 2 else 5,
            color="white",
        )
    roll = np.zeros((encoding.n_pitches, n))
    roll[pitches, np.arange(n)] = 1.0
    ax_roll.imshow(roll, cmap="Greys", aspect="auto", origin="lower", interpolation="nearest")
    labels = [str(encoding.pitch_name(i)) for i in range(encoding.n_pitches)]
    ax_roll.set_yticks(range(encoding.n_pitches))
    ax_roll.set_yticklabels(labels, fontsize=7)
    if bar_lines:
        for bar in range(0, n + 1, spb):
            ax_roll.axvline(bar - 0.5, color="#bbbbbb", lw=0.5 if bar % (12 * spb) else 1.2)
    ax_roll.set_xlabel("step (eighth notes)")


def pianoroll(chords: np.ndarray, pitches: np.ndarray, encoding, path: Path, title: str) -> None:
    width = min(18, 4 + len(chords) / 40)
    fig, (s, r) = plt.subplots(2, 1, figsize=(width, 3.8), gridspec_kw={"height_ratios": [1, 6]}, sharex=True)
    draw_roll(s, r, chords, pitches, encoding)
    s.set_title(title, fontsize=10)
    fig.tight_layout()
    save(fig, path)


def chord_match(per_chorus: list[float], path: Path) -> None:
    fig, ax = plt.subplots(figsize=(8, 3))
    ax.plot(np.arange(1, len(per_chorus) + 1), per_chorus, marker="." if len(per_chorus) < 40 else None)
    ax.axhline(8 / 12, color="grey", ls=":", lw=1, label="all C7")
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("chorus")
    ax.set_ylabel("bar-onset chord match")
    ax.legend(loc="lower right")
    fig.tight_layout()
    save(fig, path)


def gif_frame(snapshot: dict, history: dict, encoding, epochs: int) -> np.ndarray:
    """One frame: the chorus free-run at this epoch, and the loss so far."""
    fig = plt.figure(figsize=(8, 4.6), dpi=80)
    grid = fig.add_gridspec(3, 1, height_ratios=[0.6, 4, 2.2])
    s, r, lo = fig.add_subplot(grid[0]), fig.add_subplot(grid[1]), fig.add_subplot(grid[2])
    draw_roll(s, r, np.asarray(snapshot["chords"]), np.asarray(snapshot["pitches"]), encoding)
    s.set_title(f"epoch {snapshot['epoch']}: free-running chorus", fontsize=10)
    e = snapshot["epoch"]
    for key in ("chord_loss", "pitch_loss"):
        lo.plot(np.arange(1, e + 1), history[key][:e], label=key.replace("_", " "))
    lo.set_xlim(1, epochs)
    top = max(max(history["chord_loss"]), max(history["pitch_loss"]))
    lo.set_ylim(0, top * 1.05)
    lo.legend(fontsize=7, loc="upper right")
    lo.set_xlabel("epoch", fontsize=8)
    fig.tight_layout()
    fig.canvas.draw()
    frame = np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
    plt.close(fig)
    return frame
