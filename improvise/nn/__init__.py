"""Models. Nothing here imports music code: models see index lists and class counts only.

The names below load on first use (PEP 562), so that a numpy module of this package (the
fast steppers) can be imported without torch."""

from importlib import import_module

_WHERE = {
    "ChordMelodyConfig": "chord_melody",
    "ChordMelodyNet": "chord_melody",
    "NumpyChordMelody": "reference",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(import_module(f"improvise.nn.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'improvise.nn' has no attribute {name!r}")
