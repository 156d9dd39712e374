"""improvise: learn the structure of music with recurrent networks and improvise over it."""
from improvise.blues import (BluesConfig, generate_run, improvise_blues, load_blues_run, save_trained,
                             score_rollout, train_blues)
from improvise.corpora.blues import BLUES_FORM, synth_blues_corpus
from improvise.encodings import BluesEncoding
from improvise.errors import UserError
from improvise.generate import GenerateConfig, generate
from improvise.live.jam import jam_live, jam_simulate
from improvise.midi import tune_to_midi, write_midi
from improvise.music import Chord, Note, Progression, Tune
from improvise.sweep import blues_sweep
from improvise.train import TrainConfig

__version__ = "0.1.0"
__all__ = ["BLUES_FORM", "BluesConfig", "BluesEncoding", "Chord", "GenerateConfig", "Note", "Progression",
           "TrainConfig", "Tune", "UserError", "blues_sweep", "generate", "generate_run", "improvise_blues",
           "jam_live", "jam_simulate", "load_blues_run", "save_trained", "score_rollout", "synth_blues_corpus", "train_blues",
           "tune_to_midi", "write_midi"]
