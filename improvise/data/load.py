"""One entry point for every monophonic corpus: `load_corpus(spec)` -> pieces as Tunes.

Specs, as `improvise compare --data` takes them:

    wjd:blues | wjd:all        the Weimar Jazz Database CSV export (folder `wjd_dir`), in C
    music21:essen | music21:bach   music21's bundled Essen folk songs (the first 600) / Bach chorales (120)
    PATH                        a file or a folder of .abc .xml .musicxml .mxl .krn .mid .midi

A file that cannot be read is reported on stderr with its path and why, then skipped
(`on_bad_file="skip"`), or stops the load with that one line (`"fail"`). Pieces are named
"file#k" so that splits (by piece, see `split_pieces`) are deterministic and saved with a run.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from improvise.core.errors import ConfigError, UserError
from improvise.core.music import Tune

SUFFIXES = {".abc", ".xml", ".musicxml", ".mxl", ".krn", ".mid", ".midi"}
BUNDLED = {
    "essen": ("essenFolksong", 600),
    "bach": ("bach", 120),
}  # music21 corpus name, pieces taken (the first)


@dataclass
class Corpus:
    spec: str  # what the user asked for
    pieces: list[tuple[str, Tune]]  # (piece id, tune), in a fixed order
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    has_chords: bool = False  # any piece with a chord symbol

    def summary(self) -> dict:
        return {
            "spec": self.spec,
            "pieces": len(self.pieces),
            "skipped": [{"path": p, "reason": r} for p, r in self.skipped],
            "steps": sum(t.steps for _, t in self.pieces),
            "has_chords": self.has_chords,
        }


def _bad(path, reason: str, on_bad_file: str, skipped: list) -> None:
    if on_bad_file == "fail":
        raise UserError(f"{path}: {reason}")
    print(f"improvise: warning: {path}: {reason} (skipped)", file=sys.stderr)
    skipped.append((str(path), reason))


def _read_file(path: Path, steps_per_beat: int) -> list[tuple[str, Tune]]:
    if path.suffix.lower() in (".mid", ".midi"):
        from improvise.data.midi_io import read_midi

        return [(path.name, read_midi(path, steps_per_beat))]
    from improvise.data.music21_io import read_music21

    return [(f"{path.name}#{i + 1}", t) for i, (_, t) in enumerate(read_music21(path, steps_per_beat))]


def _usable(tune: Tune) -> str | None:
    if not tune.melody:
        return "no notes"
    if tune.steps < 2:
        return "shorter than two steps"
    return None


def _wjd_pieces(spec: str, steps_per_beat: int, wjd_dir: Path | None) -> list[tuple[str, Tune]]:
    """wjd:SUBSET: the Weimar Jazz Database's solos, in C, named wjd:MELID."""
    from improvise.data.wjd import read_wjd

    subset = spec.split(":", 1)[1] or "all"
    if wjd_dir is None:
        raise UserError(f"{spec}: give the Weimar Jazz Database folder (--wjd DIR)")
    return [(f"wjd:{s.melid}", s.tune) for s in read_wjd(Path(wjd_dir), subset, steps_per_beat, to_c=True)]


def _bundled_pieces(
    spec: str, steps_per_beat: int, on_bad_file: str, skipped: list
) -> list[tuple[str, Tune]]:
    """music21:NAME: the first pieces of a corpus bundled with music21 (BUNDLED), read from source."""
    name = spec.split(":", 1)[1]
    if name not in BUNDLED:
        raise UserError(
            f"{spec}: unknown bundled corpus (choose from {', '.join('music21:' + k for k in BUNDLED)})"
        )
    from music21 import corpus

    from improvise.data.music21_io import read_music21

    pieces: list[tuple[str, Tune]] = []
    query, limit = BUNDLED[name]
    for path in sorted(str(p) for p in corpus.getComposer(query)):
        if len(pieces) >= limit:
            break
        try:  # from source, as every file: music21's pickle cache is never read or written
            read = read_music21(Path(path), steps_per_beat)
            pieces += [(f"{Path(path).name}#{i + 1}", tune) for i, (_, tune) in enumerate(read)]
        except Exception as e:  # music21 raises many kinds on a piece it cannot read
            _bad(path, str(e).splitlines()[0][:160] if str(e) else type(e).__name__, on_bad_file, skipped)
    return pieces[:limit]


def _file_pieces(spec: str, steps_per_beat: int, on_bad_file: str, skipped: list) -> list[tuple[str, Tune]]:
    """PATH: a music file, or every music file (SUFFIXES) under a folder, in sorted order."""
    root = Path(spec)
    if not root.exists():
        raise UserError(f"{root}: no such file or folder")
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.suffix.lower() in SUFFIXES)
    if not files:
        raise UserError(f"{root}: no music files ({', '.join(sorted(SUFFIXES))})")
    pieces: list[tuple[str, Tune]] = []
    for path in files:
        try:
            got = _read_file(path, steps_per_beat)
        except UserError as e:
            _bad(path, str(e).removeprefix(f"{path}: "), on_bad_file, skipped)
            continue
        except Exception as e:  # a reader's own failure on a malformed file
            _bad(path, f"cannot read it ({type(e).__name__}: {str(e)[:120]})", on_bad_file, skipped)
            continue
        for name, tune in got:
            why = _usable(tune)
            if why:
                _bad(f"{path} ({name})", why, on_bad_file, skipped)
            else:
                pieces.append((name, tune))
    return pieces


def load_corpus(
    spec: str, on_bad_file: str = "skip", steps_per_beat: int = 4, wjd_dir: Path | None = None
) -> Corpus:
    """The pieces of a corpus spec (see the module doc), bad files skipped or failing the load."""
    if on_bad_file not in ("skip", "fail"):
        raise ConfigError("on_bad_file must be 'skip' or 'fail'")
    skipped: list = []
    if spec.startswith("wjd:"):
        pieces = _wjd_pieces(spec, steps_per_beat, wjd_dir)
    elif spec.startswith("music21:"):
        pieces = _bundled_pieces(spec, steps_per_beat, on_bad_file, skipped)
    else:
        pieces = _file_pieces(spec, steps_per_beat, on_bad_file, skipped)
    pieces = [(n, t) for n, t in pieces if _usable(t) is None]
    if not pieces:
        raise UserError(f"{spec}: no usable pieces")
    has_chords = any(c.root is not None for _, t in pieces for c in t.chords[:: max(1, t.steps_per_bar)])
    return Corpus(spec, pieces, skipped, has_chords)


def split_pieces(names: list[str]) -> dict[str, list[str]]:
    """Train/valid/test by piece (hash of the name, 80/10/10; see wjd.split_by_piece). A small
    corpus whose valid or test part came out empty gets one training piece moved there (the
    first by name), so every part holds at least one piece when there are three."""
    from improvise.data.wjd import split_by_piece

    split = split_by_piece(list(names))
    for part in ("test", "valid"):
        if not split[part] and len(split["train"]) > 1:
            first = min(split["train"])
            split["train"].remove(first)
            split[part].append(first)
    return split
