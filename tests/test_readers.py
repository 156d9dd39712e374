from pathlib import Path

import numpy as np
import pytest

from improvise.cli.main import dispatch  # noqa: F401  (the readers' errors reach users through it)
from improvise.core.errors import UserError
from improvise.core.midi import write_midi
from improvise.data.midi_io import read_midi
from improvise.data.music21_io import read_music21
from improvise.data.pianoroll import read_pianoroll
from improvise.encodings.blues import BluesEncoding

ABC = """X:1
T:Tiny
M:4/4
L:1/8
K:G
"G"GABc dedB|"D7"A2 F2 "Bbm"G4|

X:2
T:Second
M:3/4
L:1/4
K:D
"D"DEF|A3|
"""


def test_abc_book_gives_one_tune_each_with_chords(tmp_path):
    f = tmp_path / "book.abc"
    f.write_text(ABC)
    tunes = read_music21(f, steps_per_beat=2)
    assert [t for t, _ in tunes] == ["Tiny", "Second"]
    tiny = tunes[0][1]
    assert [(n.pitch, n.start) for n in tiny.melody][:4] == [(67, 0), (69, 1), (71, 2), (72, 3)]
    assert (tiny.melody[8].pitch, tiny.melody[8].length) == (69, 2)  # A2: a quarter = two eighth steps
    assert [c.symbol for c in tiny.chords[::4]] == ["G", "G", "D7", "Bbm"]
    second = tunes[1][1]
    assert second.steps_per_bar == 6 and second.beats_per_bar == 3


def test_midi_round_trip_and_skyline(tmp_path):
    enc = BluesEncoding()
    chords = np.zeros(16, dtype=int)
    pitches = np.array([0, 7, 3, 3, 7, 5, 1, 0] * 2)
    write_midi(enc.tokens_to_tune(chords, pitches), tmp_path / "x.mid")
    melody = read_midi(tmp_path / "x.mid", steps_per_beat=2, track=1)
    expected = [(enc.pitches[p], t) for t, p in enumerate(pitches) if p != enc.rest]
    assert [(n.pitch, n.start) for n in melody.melody] == expected
    skyline = read_midi(tmp_path / "x.mid", steps_per_beat=2)  # melody sits above the chords
    assert [(n.pitch, n.start) for n in skyline.melody][:2] == expected[:2]
    assert all(c.is_no_chord for c in melody.chords)


def test_pianoroll_splits(tmp_path):
    import scipy.io

    seqs = np.empty((1, 2), dtype=object)
    seqs[0, 0], seqs[0, 1] = np.eye(88)[:5], np.zeros((3, 88))
    scipy.io.savemat(tmp_path / "p.mat", {"traindata": seqs, "validdata": seqs, "testdata": seqs})
    d = read_pianoroll(tmp_path / "p.mat")
    assert [len(d[k]) for k in ("train", "valid", "test")] == [2, 2, 2]
    assert d["train"][0].shape == (5, 88) and d["train"][0].dtype == np.uint8


@pytest.mark.parametrize(
    "reader,name", [(read_midi, "junk.mid"), (read_pianoroll, "junk.mat"), (read_music21, "junk.musicxml")]
)
def test_junk_is_a_one_line_user_error(tmp_path, reader, name):
    f = tmp_path / name
    f.write_bytes(b"\x00\x01not music at all\xff" * 10)
    with pytest.raises(UserError, match=name):
        reader(f)
    with pytest.raises(UserError, match="no such file"):
        reader(Path(tmp_path / "missing" / name))


class _Plant:
    """Unpickling this writes a marker file: the stand-in for code a planted pickle would run."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.write_text, (self.marker, "ran"))


def _plant(cache: Path, marker: Path) -> None:
    import pickle
    import zlib

    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_bytes(zlib.compress(pickle.dumps(_Plant(marker), protocol=4)))  # music21's .p.gz: zlib


def test_music21_pickle_cache_is_never_read_for_a_users_file(tmp_path, capsys):
    """music21 loads `<scratch>/m21-VERSION-pyX.Y-MD5(path).p.gz` instead of the file when the
    pickle is newer; `improvise leadsheet show` must parse the file itself."""
    import hashlib
    import os
    import sys

    import music21
    from music21 import converter, environment

    from tests.fuzz.cases_leadsheet import GOOD_XML

    xml = tmp_path / "tune.musicxml"
    xml.write_text(GOOD_XML)
    os.utime(xml, (1_000_000_000, 1_000_000_000))  # older than the pickle, as music21 requires
    scratch = Path(environment.Environment().getRootTempDir())
    md5 = hashlib.md5(str(xml).encode()).hexdigest()
    cache = (
        scratch / f"m21-{music21.__version__}-py{sys.version_info.major}.{sys.version_info.minor}-{md5}.p.gz"
    )
    assert converter.PickleFilter(xml).getPickleFp(scratch, zipType="gz") == cache  # how music21 names it
    marker = tmp_path / "marker"
    try:
        _plant(cache, marker)
        with pytest.raises(TypeError):  # music21 gets the planted call's result (an int), not a score
            converter.parse(str(xml))  # the control: music21's own cached parse runs the planted code
        assert marker.exists()
        marker.unlink()
        _plant(cache, marker)
        assert dispatch(["leadsheet", "show", str(xml)]) == 0
        assert "Bbm7" in capsys.readouterr().out
        assert not marker.exists()
        assert read_music21(xml)  # the corpus reader too
        assert not marker.exists()
    finally:
        cache.unlink(missing_ok=True)


@pytest.mark.realtime
def test_music21_meters_are_bounded_before_parsing(tmp_path):
    import time

    from tests.fuzz.cases_leadsheet import harmony, xml

    abc = tmp_path / "big.abc"
    abc.write_text('X:1\nT:t\nM:99999999/4\nL:1/4\nK:C\n"C"CDEF|\n')
    mx = tmp_path / "big.musicxml"
    mx.write_text(xml(harmony("C"), time="<time><beats>99999999</beats><beat-type>4</beat-type></time>"))
    for f in (abc, mx):
        t0 = time.perf_counter()
        with pytest.raises(UserError, match="time signature 99999999/4 is out of range"):
            read_music21(f)
        assert time.perf_counter() - t0 < 5  # music21 itself loops for minutes on these
