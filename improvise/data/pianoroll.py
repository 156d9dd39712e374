"""The polyphonic piano-roll benchmarks of Boulanger-Lewandowski et al. (2012): JSB Chorales,
Nottingham, MuseData and Piano-midi.de, as MATLAB files with their published splits.

`read_pianoroll(path)` gives {"train": [...], "valid": [...], "test": [...]}, each a list of
(T, 88) uint8 arrays (keys A0..C8, one row a time step). scipy's loadmat reads MATLAB cells
without unpickling anything.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from improvise.core.errors import UserError

SPLITS = {"train": "traindata", "valid": "validdata", "test": "testdata"}
DATASETS = {  # the benchmark sets and their files (here, not in polyphonic.task, so --help needs no torch)
    "jsb": "JSB_Chorales.mat",
    "nottingham": "Nottingham.mat",
    "musedata": "MuseData.mat",
    "piano": "Piano_midi.mat",
}
KEYS = 88
LOWEST_MIDI = 21  # A0


def read_pianoroll(path: Path) -> dict[str, list[np.ndarray]]:
    import scipy.io

    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such file")
    try:
        mat = scipy.io.loadmat(str(path))
    except Exception as e:  # scipy raises ValueError, TypeError, ... on a foreign file
        reason = str(e).splitlines()[0][:120] if str(e) else type(e).__name__
        raise UserError(f"{path}: not a readable MATLAB file ({reason})") from None
    out = {}
    for split, key in SPLITS.items():
        if key not in mat:
            raise UserError(f"{path}: no '{key}' (expected the Boulanger-Lewandowski piano-roll layout)")
        try:
            seqs = [np.asarray(s, dtype=np.uint8) for s in np.ravel(mat[key])]
        except (TypeError, ValueError, OverflowError):
            raise UserError(f"{path}: {key} holds something other than 0/1 piano-roll frames") from None
        bad = [
            i for i, s in enumerate(seqs) if s.ndim != 2 or s.shape[1] != KEYS or len(s) == 0 or s.max() > 1
        ]
        if bad:
            raise UserError(f"{path}: {key} sequence {bad[0]} is not T x {KEYS}")
        out[split] = seqs
    return out
