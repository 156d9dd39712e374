"""The blues model's settings, in a module without torch: the command line shows their
defaults and checks a user's values before anything heavy is imported (issue 14).
`improvise.blues.task` trains and runs the model they describe."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from improvise.core.checks import MAX_CHORUSES, MAX_HIDDEN, MAX_SEED, check_memory, require
from improvise.train.config import TrainConfig

ARCHS = ("partitioned", "stacked")
CELLS = ("gru", "lstm", "rnn")  # the recurrent cells of nn.chord_melody.CELLS (a test checks they agree)


@dataclass
class BluesConfig:
    choruses: int = 8  # choruses in the synthesized corpus (seed 000: 8)
    corpus_seed: int | None = None  # seed of the corpus melodies; None = the training seed
    arch: str = "partitioned"  # partitioned: the chord layer reads chords only; stacked: seed 000
    clock: bool = True  # give both layers the beat-in-bar clock (input 14-16)
    chord_hidden: int = 32  # H1 (seed 000: 20; 32 learns the form on every seed in 200 epochs)
    melody_hidden: int = 24  # H2 (seed 000)
    cell: str = "lstm"  # lstm | gru | rnn
    forget_bias: float = 1.0  # initial LSTM forget-gate bias (seed 000)
    train: TrainConfig = field(default_factory=TrainConfig)

    def validate(self) -> None:
        require(
            1 <= self.choruses <= MAX_CHORUSES,
            f"choruses must be in [1, {MAX_CHORUSES}], not {self.choruses}",
        )
        require(self.arch in ARCHS, f"arch must be one of {ARCHS}, not {self.arch!r}")
        require(self.cell in CELLS, f"cell must be one of {list(CELLS)}, not {self.cell!r}")
        for name in ("chord_hidden", "melody_hidden"):
            value = getattr(self, name)
            require(1 <= value <= MAX_HIDDEN, f"{name} must be in [1, {MAX_HIDDEN}], not {value}")
        require(
            self.corpus_seed is None or 0 <= self.corpus_seed <= MAX_SEED,
            f"corpus_seed must be in [0, {MAX_SEED}], not {self.corpus_seed}",
        )
        require(
            -100 <= self.forget_bias <= 100, f"forget_bias must be in [-100, 100], not {self.forget_bias}"
        )
        self.train.validate()
        h = self.chord_hidden + self.melody_hidden  # weights, gradients and Adam's two moments, float32
        check_memory(4 * 4 * 4 * h * (h + 32), "a network of this size")
        check_memory(
            4 * 4 * 8 * h * self.train.streams * self.train.chunk, "training with these streams and chunk"
        )

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict, where="config") -> BluesConfig:
        """From JSON, every key and type checked (a UserError naming `where` otherwise)."""
        from improvise.core.runs import config_from_json

        return config_from_json(cls, d, where)
