"""The melody model zoo behind `improvise compare` and `improvise likelihood`: every model of
seed 002 on one footing. A zoo model is trained on event sequences (MelodyEventEncoding ids)
and answers three questions the same way whatever it is inside:

    log_probs(events, tune) -> (T-1, V)   log P(e_t | e_0..e_{t-1}) for t = 1..T-1
    start(tune) / step(state, event)      the next event's log-probabilities, one step at a time
    save(dir) / load_zoo_model(dir)       a folder with config.json and the weights (no pickle)

Names: markovK (order K, back-off smoothing), hmm (states chosen on validation), linear and mlp
(a window of the last `window` events), rnn, gru, lstm (events one-hot), lookback (Magenta's
lookback inputs), attention (an LSTM attending over its last 40 outputs), interval (an LSTM on
Todd's interval encoding), lstm+chord (events plus the next step's chord).
Sampling for all of them is `sample_events`.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from improvise.core.checks import MAX_HIDDEN, check_memory
from improvise.core.config import TrainingCore, in_range, require, whole
from improvise.core.errors import UserError
from improvise.core.sample import draw
from improvise.encodings import zoo_inputs as me
from improvise.encodings.events import MelodyEventEncoding

if TYPE_CHECKING:  # torch where a network runs: `improvise compare --help` loads without it
    import torch

NEURAL = ("linear", "mlp", "rnn", "gru", "lstm", "lookback", "attention", "interval", "lstm+chord")
DEFAULT_MODELS = "markov1,markov3,hmm,linear,mlp,rnn,lstm,lookback,attention"


@dataclass
class ZooConfig(TrainingCore):
    """The training core (improvise.core.config) of every neural model of the zoo, and the zoo's
    own settings."""

    epochs: int = 40  # most passes for a neural model (early stopping on validation)
    lr: float = 3e-3  # Adam
    patience: int = 4  # epochs without improvement before stopping
    max_seconds: float = 240.0  # training-time budget of one neural model (0: none)
    hidden: int = 128  # recurrent units (rnn, gru, lstm, lookback, attention, interval)
    mlp_hidden: int = 256  # hidden units of the MLP
    window: int = 16  # past events the linear and MLP models see (one bar of sixteenths)
    dropout: float = 0.2  # before the output layer
    hmm_states: tuple = (8, 16, 32)  # candidates; the best on validation is kept
    markov_alphas: tuple = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)  # back-off strengths tried on validation

    def validate(self) -> None:
        """The core's checks, then the networks' sizes and the candidates tried."""
        super().validate()
        whole("hidden", self.hidden, 1, MAX_HIDDEN)
        whole("mlp_hidden", self.mlp_hidden, 1, MAX_HIDDEN)
        whole("window", self.window, 1, 10_000)
        in_range("dropout", self.dropout, 0.0, 0.999)
        require(
            all(isinstance(k, int) and 1 <= k <= 1000 for k in self.hmm_states) and self.hmm_states,
            "hmm_states must be whole numbers in [1, 1000]",
        )
        require(
            all(isinstance(a, (int, float)) and 0 < a < 1e6 for a in self.markov_alphas)
            and self.markov_alphas,
            "markov_alphas must be positive numbers",
        )
        check_memory(4 * 4 * 4 * self.hidden * (self.hidden + 200), "a network of this size")


def valid_name(name: str) -> str:
    if name.startswith("markov") and name[6:].isdigit() or name == "hmm" or name in NEURAL:
        return name
    raise UserError(f"unknown model {name!r} (markovK, hmm, {', '.join(NEURAL)})")


# ---- inputs of the neural models --------------------------------------------------------------
def features(
    kind: str, events: np.ndarray, tune, enc: MelodyEventEncoding, window: int, offset: int = 0
) -> np.ndarray:
    """Input rows for steps offset.. of a piece (row t predicts event t + 1)."""
    v = enc.n_events
    if kind in ("linear", "mlp"):
        return me.window(events, v, window)
    if kind == "lookback":
        return me.lookback(events, v, tune.steps_per_bar if tune is not None else 16, offset)
    if kind == "interval":
        return me.one_hot(events, me.IntervalEncoding().n_events)
    x = me.one_hot(events, v)
    if kind == "lstm+chord":
        chords = tune.chords[offset : offset + len(events) + 1] if tune is not None else []
        pcs = me.chord_pcs(chords, len(events)) if chords else np.zeros((len(events), 12), np.float32)
        x = np.concatenate([x, pcs], 1)
    return x


def input_size(kind: str, enc: MelodyEventEncoding, window: int) -> int:
    v = enc.n_events
    return {
        "linear": window * (v + 1),
        "mlp": window * (v + 1),
        "interval": me.IntervalEncoding().n_events,
        "lookback": 3 * v + 2 + me.COUNTER_BITS,
        "lstm+chord": v + 12,
    }.get(kind, v)


def build_network(kind: str, enc: MelodyEventEncoding, cfg: ZooConfig, n_in: int | None = None):
    from improvise.nn.attention_rnn import AttentionRNN, AttentionRNNConfig
    from improvise.nn.melody_rnn import MelodyRNN, MelodyRNNConfig
    from improvise.nn.window_mlp import WindowMLP, WindowMLPConfig

    n_in = n_in or input_size(kind, enc, cfg.window)
    n_out = me.IntervalEncoding().n_events if kind == "interval" else enc.n_events
    if kind in ("linear", "mlp"):
        return WindowMLP(WindowMLPConfig(n_in, n_out, cfg.mlp_hidden if kind == "mlp" else 0, cfg.dropout))
    if kind == "attention":
        return AttentionRNN(AttentionRNNConfig(n_in, n_out, cfg.hidden, dropout=cfg.dropout))
    cell = kind if kind in ("rnn", "gru") else "lstm"
    return MelodyRNN(MelodyRNNConfig(n_in, n_out, cfg.hidden, layers=1, cell=cell, dropout=cfg.dropout))


class ZooModel:
    """One trained model of the zoo (see the module doc)."""

    def __init__(
        self, name: str, enc: MelodyEventEncoding, cfg: ZooConfig, core=None, info: dict | None = None
    ):
        self.name, self.enc, self.cfg, self.core, self.info = valid_name(name), enc, cfg, core, info or {}
        self.kind = "markov" if name.startswith("markov") else name

    # -- what every model answers --
    def targets(self, events: np.ndarray) -> np.ndarray:
        return me.IntervalEncoding().to_intervals(events) if self.kind == "interval" else np.asarray(events)

    def log_probs(self, events: np.ndarray, tune=None) -> np.ndarray:
        ev = np.asarray(events)
        if self.kind == "markov":
            return np.stack([self.core.log_probs(tuple(self._ctx(ev[: t + 1]))) for t in range(len(ev) - 1)])
        if self.kind == "hmm":
            return self.core.log_probs(ev)[1:]
        import torch

        tg = self.targets(ev)
        x = torch.from_numpy(
            features(self.kind, tg if self.kind == "interval" else ev, tune, self.enc, self.cfg.window)
        )
        with torch.no_grad():
            self.core.eval()
            logits, _, _ = self.core(x[:-1, None].to(self._dtype()))
        return torch.log_softmax(logits[:, 0].double(), -1).numpy()

    def _dtype(self) -> torch.dtype:
        return next(self.core.parameters()).dtype  # float32, or float64 after core.double()

    def _ctx(self, history) -> list:
        k = self.core.order
        return ([self.core.n_events] * k + [int(e) for e in history])[len(history) :][:k] if k else []

    def start(self, tune=None) -> dict:
        return {
            "history": [],
            "tune": tune,
            "belief": self.core.start() if self.kind == "hmm" else None,
            "rnn": None,
        }

    def step(self, state: dict, event: int) -> tuple[np.ndarray, dict]:
        """Feed the next event (in the model's own vocabulary); the log-probabilities of the one after."""
        h = state["history"]
        h.append(int(event))
        if self.kind == "markov":
            return self.core.log_probs(tuple(self._ctx(h))), state
        if self.kind == "hmm":
            state["belief"] = self.core.observe(state["belief"], int(event))
            return np.log(self.core.predict(state["belief"])), state
        tail = 2 * (state["tune"].steps_per_bar if state["tune"] is not None else 16) + 1
        keep = max(self.cfg.window, tail)
        recent = np.asarray(h[-keep:])
        row = features(
            self.kind, recent, state["tune"], self.enc, self.cfg.window, offset=len(h) - len(recent)
        )[-1]
        import torch

        with torch.no_grad():
            x = torch.from_numpy(row)[None, None].to(self._dtype())
            logits, _, state["rnn"] = self.core(x, state=state["rnn"])
        return torch.log_softmax(logits[0, 0].double(), -1).numpy(), state

    # -- files --
    def save(self, folder: Path) -> None:
        from improvise.core.runs import save_run, write_bytes, write_json

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        meta = {"name": self.name, "encoding": asdict(self.enc), "zoo": self.cfg.to_dict(), "info": self.info}
        if self.kind == "markov":
            write_json(folder / "model.json", self.core.to_dict())
        elif self.kind == "hmm":
            buffer = io.BytesIO()
            np.savez(buffer, **self.core.to_arrays())
            write_bytes(folder / "model.npz", buffer.getvalue())
        if self.kind in ("markov", "hmm"):
            save_run(folder, "zoo", meta)
        else:
            save_run(folder, "zoo", meta, self.core.config.to_dict(), self.core.state_dict())


def load_zoo_model(folder: Path) -> ZooModel:
    """A model folder of 'improvise compare', every file checked on opening (a UserError naming
    the file and what does not match otherwise)."""
    from improvise.core.runs import check_format, config_from_json, read_json

    folder = Path(folder)
    where = folder / "config.json"
    if not where.is_file():
        raise UserError(f"{folder}: not a zoo model folder (no config.json; see 'improvise compare')")
    meta = read_json(where)
    if "format" in meta:  # folders written before formats per kind have none
        check_format(meta["format"], "zoo", where)
    name = meta.get("name")
    if not isinstance(name, str):
        raise UserError(f"{where}: no model 'name'; not a zoo model folder (see 'improvise compare')")
    try:
        valid_name(name)
    except UserError as e:
        raise UserError(f"{where}: {e}") from None
    cfg = config_from_json(ZooConfig, meta.get("zoo"), where)
    enc = config_from_json(MelodyEventEncoding, meta.get("encoding"), where)
    info = meta.get("info")
    return ZooModel(
        name, enc, cfg, _load_core(folder, name, enc, cfg), info if isinstance(info, dict) else None
    )


def _load_core(folder: Path, name: str, enc: MelodyEventEncoding, cfg: ZooConfig):
    from improvise.core.runs import load_checkpoint, load_state_checked, read_json

    if name.startswith("markov"):
        from improvise.nn.baselines import MarkovChain

        where = folder / "model.json"
        try:
            core = MarkovChain.from_dict(read_json(where))
        except (KeyError, TypeError, ValueError, IndexError, OverflowError) as e:
            raise UserError(
                f"{where}: not a Markov chain of this package ({type(e).__name__}: {e})"[:300]
            ) from None
        if core.n_events != enc.n_events:
            raise UserError(f"{where}: {core.n_events} events, the encoding has {enc.n_events}")
        return core
    if name == "hmm":
        from improvise.nn.hmm import HMM

        where = folder / "model.npz"
        try:
            with np.load(where, allow_pickle=False) as z:
                core = HMM(z["startprob"], z["transmat"], z["emissionprob"])
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as e:
            raise UserError(f"{where}: not a readable HMM ({e})") from None
        core.check(enc.n_events, where)
        return core
    where = folder / "model.pt"
    ck = load_checkpoint(where, "zoo")
    n_in = ck.get("model_config", {}).get("input_size") if isinstance(ck.get("model_config"), dict) else None
    if not isinstance(n_in, int) or not 1 <= n_in <= 100_000:
        raise UserError(
            f"{where}: model_config.input_size should be a whole number in [1, 100000], not {n_in!r}"
        )
    core = build_network(name, enc, cfg, n_in)
    load_state_checked(core, ck["state_dict"], where)
    core.eval()
    return core


class ZooStepper:
    """A ZooModel over one tune as an improvise.core.sample.Stepper: `reset()`, then
    `step(event) -> log-probabilities` of the next event (in the model's own vocabulary)."""

    def __init__(self, model: ZooModel, tune=None):
        self.model, self.tune = model, tune
        self.reset()

    def reset(self) -> None:
        self.state = self.model.start(self.tune)

    def step(self, token: int) -> np.ndarray:
        lp, self.state = self.model.step(self.state, token)
        return lp


def sample_events(
    model: ZooModel,
    n_steps: int,
    rng: np.random.Generator,
    tune=None,
    temperature: float = 1.0,
    first: int = MelodyEventEncoding.NOTE_OFF,
) -> np.ndarray:
    """The one sampler of the zoo: `n_steps` events (MelodyEventEncoding ids) starting from `first`,
    each drawn by improvise.core.sample.draw (temperature 0 = argmax)."""
    stepper = ZooStepper(model, tune)
    first_own = int(model.targets(np.array([first]))[0])
    out, e = [first_own], first_own
    for _ in range(n_steps - 1):
        e = draw(stepper.step(e), temperature, rng)
        out.append(e)
    out = np.asarray(out)
    return me.IntervalEncoding().to_events(out) if model.kind == "interval" else out


def write_meta(path: Path, obj) -> None:
    from improvise.core.runs import write_json

    write_json(path, json.loads(json.dumps(obj, default=float)))
