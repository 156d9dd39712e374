"""`make results-zoo`: the melody model zoo on real corpora, for docs/results.md.

Runs `improvise compare` on the Weimar Jazz Database blues solos and on the Nottingham folk
tunes with every model, keeps the run folders under runs/zoo/ and copies what the document
needs (leaderboard.json/.md/.png, config, corpus summary, split) to docs/zoo/NAME/, with the
command that made them. `render_section(folder)` turns those files into the results section;
`make results` includes it whenever docs/zoo/ holds them.

    python -m improvise.experiments.zoo_results --wjd ../shared/data/wjd \\
        --nottingham ../shared/data/nottingham
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

from improvise.core.runs import read_json, write_json
from improvise.zoo.model import DEFAULT_MODELS

ALL_MODELS = DEFAULT_MODELS + ",markov2,markov5,gru,interval,lstm+chord"
KEEP = ("leaderboard.json", "leaderboard.md", "leaderboard.png", "config.json", "corpus.json", "split.json")


def run_corpus(name: str, data: str, wjd: Path | None, runs: Path, docs: Path, models: str) -> dict:
    from improvise.zoo.compare import compare

    command = f"improvise compare --data {data} --models {models} --out {runs / name}" + (
        f" --wjd {wjd}" if wjd else ""
    )
    t0 = time.perf_counter()
    compare(data, models.split(","), runs / name, wjd_dir=wjd, progress=True)
    minutes = (time.perf_counter() - t0) / 60
    (docs / name).mkdir(parents=True, exist_ok=True)
    for f in KEEP:
        shutil.copyfile(runs / name / f, docs / name / f)
    write_json(docs / name / "command.json", {"command": command, "minutes": minutes})
    return {"name": name, "minutes": minutes}


def _row_value(board: dict, model: str, key: str):
    return next((r.get(key) for r in board["rows"] if r["model"] == model), None)


def render_section(folder: Path) -> list[str]:
    """The docs/results.md section from docs/zoo/*/ (empty when nothing is there)."""
    folder = Path(folder)
    boards = [
        (d.name, read_json(d / "leaderboard.json"), read_json(d / "command.json"))
        for d in sorted(folder.glob("*"))
        if (d / "leaderboard.json").is_file() and (d / "command.json").is_file()
    ]
    if not boards:
        return []
    lines = [
        "## The melody model zoo on real music (`improvise compare`)",
        "",
        "Every model of seed 002 on the same events (hold, note-off, note-on per pitch, a sixteenth a "
        "step), the same split by piece (80/10/10, by a hash of the piece name), scored on the held-out "
        "pieces: negative log-likelihood per event (nats; lower is better) and next-event accuracy; then "
        "one melody sampled per held-out piece (at most 40, up to 32 bars, over that piece's chords, "
        "temperature 1) and scored for its pitch-class histogram overlap with the held-out melodies, "
        "chord-tone rate (triad + 7th) and share of 2-bar fragments copied verbatim from the training "
        "pieces. The first row scores the held-out melodies themselves. Neural models: 128 units (MLP 256, "
        "a window of 16 events), dropout 0.2, Adam 3e-3 halved on a stale epoch, at most 40 epochs or 240 s "
        "of training, early stopping on validation; Markov chains back off to shorter contexts; the HMM's "
        "states (8, 16, 32) and the chains' smoothing are chosen on validation. `interval` is scored on its "
        "own vocabulary (leaps from the previous note): for melodies without leaps beyond an octave that is "
        "the same likelihood, but wider leaps are folded into the octave, which flatters it a little. "
        "Committed outputs of `make results-zoo`.",
        "",
    ]
    for name, board, cmd in boards:
        p = board["pieces"]
        lines += [
            f"### {board['data']}",
            "",
            f"{p['train']} train, {p['valid']} valid, {p['test']} test pieces ({board['skipped']} files "
            f"skipped); `{cmd['command']}` ({cmd['minutes']:.0f} min on this 2-core machine, shared with "
            "other jobs).",
            "",
        ]
        lines += (folder / name / "leaderboard.md").read_text().splitlines()
        markov = min(
            (r for r in board["rows"] if r["model"].startswith("markov")),
            key=lambda r: r["valid_nll"],
            default=None,
        )
        lstm = _row_value(board, "lstm", "test_nll")
        if markov and lstm is not None:
            verdict = "beats" if lstm < markov["test_nll"] else "does NOT beat"
            lines += [
                "",
                f"The LSTM ({lstm:.3f}) {verdict} the best Markov chain chosen on validation "
                f"({markov['model']}, {markov['test_nll']:.3f}) on held-out pieces.",
                "",
                f"![leaderboard]({'zoo/' + name + '/leaderboard.png'})",
            ]
        lines.append("")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--wjd", default=None, help="the WJD CSV folder (wjd:blues)")
    ap.add_argument("--nottingham", default=None, help="the Nottingham ABC folder")
    ap.add_argument("--runs", default="runs/zoo")
    ap.add_argument("--docs", default="docs/zoo")
    ap.add_argument("--models", default=ALL_MODELS)
    a = ap.parse_args()
    runs, docs = Path(a.runs), Path(a.docs)
    if a.wjd:
        print(run_corpus("wjd_blues", "wjd:blues", Path(a.wjd), runs, docs, a.models))
    if a.nottingham:
        print(run_corpus("nottingham", a.nottingham, None, runs, docs, a.models))
    print("\n".join(render_section(docs)))


if __name__ == "__main__":
    main()
