"""improvise: learn the structure of music with recurrent networks and improvise over it.

The public names below are imported on first use (PEP 562), so `import improvise.core.chords` or
`improvise --help` does not pay for torch, and a Ctrl-C while they load is handled by the CLI.
"""

from importlib import import_module

from improvise.core.errors import ConfigError as ConfigError
from improvise.core.errors import UserError as UserError

__version__ = "0.1.0"

_WHERE = {  # public name -> the module that defines it
    "BluesConfig": "blues.task",
    "generate_run": "blues.task",
    "improvise_blues": "blues.task",
    "load_blues_run": "blues.task",
    "save_trained": "blues.task",
    "score_rollout": "blues.task",
    "train_blues": "blues.task",
    "BLUES_FORM": "data.blues_synth",
    "synth_blues_corpus": "data.blues_synth",
    "BluesEncoding": "encodings.blues",
    "GenerateConfig": "blues.generate",
    "generate": "blues.generate",
    "jam_live": "live.jam",
    "jam_simulate": "live.jam",
    "tune_to_midi": "core.midi",
    "write_midi": "core.midi",
    "Chord": "core.music",
    "Note": "core.music",
    "Progression": "core.music",
    "Tune": "core.music",
    "blues_sweep": "blues.sweep",
    "TrainConfig": "train.looped",
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
