"""improvise: learn the structure of music with recurrent networks and improvise over it.

The public names below are imported on first use (PEP 562), so `import improvise.chords` or
`improvise --help` does not pay for torch, and a Ctrl-C while they load is handled by the CLI.
"""
from importlib import import_module

from improvise.errors import ConfigError, UserError

__version__ = "0.1.0"

_WHERE = {  # public name -> the module that defines it
    "BluesConfig": "blues", "generate_run": "blues", "improvise_blues": "blues", "load_blues_run": "blues",
    "save_trained": "blues", "score_rollout": "blues", "train_blues": "blues",
    "BLUES_FORM": "corpora.blues", "synth_blues_corpus": "corpora.blues", "BluesEncoding": "encodings",
    "GenerateConfig": "generate", "generate": "generate", "jam_live": "live.jam", "jam_simulate": "live.jam",
    "tune_to_midi": "midi", "write_midi": "midi", "Chord": "music", "Note": "music", "Progression": "music",
    "Tune": "music", "blues_sweep": "sweep", "TrainConfig": "train",
}
__all__ = sorted([*_WHERE, "ConfigError", "UserError"])


def __getattr__(name: str):
    if name in _WHERE:
        value = getattr(import_module(f"improvise.{_WHERE[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'improvise' has no attribute {name!r}")


def __dir__():
    return __all__
