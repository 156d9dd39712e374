"""A soloist's run folder: config.json, model.pt, metrics.json and fragments.npy (the training
solos' 2-bar fragments, hashed, for the copy rate); checked when opened. The shipped soloist
(`PRETRAINED`, package data) is such a folder, trained by `improvise solo-train` on the WJD."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np

from improvise.core.checks import MAX_HIDDEN
from improvise.core.errors import UserError
from improvise.encodings.conditioned import ChordConditionedEncoding
from improvise.solo.measures import fragment_hashes
from improvise.solo.stepper import WEIGHT_NAMES, SoloNetConfig, SoloStepper

PRETRAINED = Path(__file__).resolve().parent / "pretrained"
CHECKSUM = "model_pt_sha256"  # weights.npz: the SHA-256 of the model.pt it was written with


def _digest(path: Path) -> np.ndarray:
    import hashlib

    try:
        return np.frombuffer(hashlib.sha256(path.read_bytes()).digest(), dtype=np.uint8)
    except OSError as e:
        raise UserError(f"{path}: cannot read ({e.strerror or e})") from None


def save_solo_run(trained: dict, out: Path, wjd: Path, solos: dict | None = None) -> dict:
    """Write the run folder `out` from `train_solo_model`'s result; `solos` (by id, as read for
    training) saves reading the WJD again."""
    from improvise.core.runs import save_run, write_bytes
    from improvise.solo.model import stepper_weights
    from improvise.solo.train import load_split

    out = Path(out)
    cfg = trained["config"]
    metrics = {k: trained[k] for k in ("train_seconds", "epochs_run", "valid_nll", "test_nll", "split")}
    model_cfg = trained["model"].config.to_dict()
    save_run(
        out,
        "solo",
        {
            "solo": cfg.to_dict(),
            "wjd": str(wjd),
            "model": model_cfg,
            "calibration": trained.get("calibration"),
        },
        model_cfg,
        {k: v.half() if cfg.half else v for k, v in trained["model"].state_dict().items()},
        metrics={"train": metrics},
        extra={"solo": cfg.to_dict()},
    )
    weights = {
        k: v.astype(np.float16 if cfg.half else np.float32)
        for k, v in stepper_weights(trained["model"]).items()
    }
    weights[CHECKSUM] = _digest(out / "model.pt")  # the sampler's weights belong to this checkpoint
    buf = io.BytesIO()
    np.savez(buf, **weights)
    write_bytes(out / "weights.npz", buf.getvalue())
    if solos is None:
        solos, _ = load_split(wjd, cfg.subset, cfg.grid)
    split = trained["split_ids"]
    enc = trained["encoding"]
    spb = 4 * cfg.steps_per_beat
    hashes = fragment_hashes((enc.events.tune_to_events(solos[i].tune) for i in split["train"]), 2 * spb, spb)
    buf = io.BytesIO()
    np.save(buf, hashes, allow_pickle=False)
    write_bytes(out / "fragments.npy", buf.getvalue())
    return metrics


def _solo_config(run: Path):
    from improvise.core.runs import config_from_json, read_json
    from improvise.solo.config import GRIDS, SoloConfig

    doc = read_json(run / "config.json")
    if doc.get("task") != "solo":
        raise UserError(f"{run / 'config.json'}: not a solo run (task {str(doc.get('task'))[:40]!r})")
    cfg = config_from_json(SoloConfig, doc.get("solo"), run / "config.json")  # older: defaults
    if cfg.subset not in ("all", "blues") or cfg.grid not in GRIDS or not 1 <= cfg.hidden <= MAX_HIDDEN:
        raise UserError(
            f"{run / 'config.json'}: solo: subset, grid ({', '.join(GRIDS)}) or hidden out of range"
        )
    return cfg


def solo_calibration(run: Path) -> dict:
    """The run's sampling biases (`solo.calibrate`; 0 for a run trained without them)."""
    from improvise.core.runs import read_json
    from improvise.solo.calibrate import read_calibration

    where = Path(run) / "config.json"
    return read_calibration(read_json(where), where)


def _check_net(mc: SoloNetConfig, enc: ChordConditionedEncoding, where: Path) -> None:
    want = {
        "input_size": enc.size,
        "n_events": enc.events.n_events,
        "root_offset": enc.chord_offset,
        "last_offset": enc.last_offset,
        "min_pitch": enc.events.min_pitch,
    }
    wrong = [f"{k} {getattr(mc, k)} (a soloist has {v})" for k, v in want.items() if getattr(mc, k) != v]
    if wrong or not 1 <= mc.hidden <= MAX_HIDDEN:
        raise UserError(f"{where}: not a soloist's network: " + (", ".join(wrong) or "hidden out of range"))


def _model(run: Path, enc: ChordConditionedEncoding):
    """The checkpoint's network, checked against the soloist's architecture before building it."""
    import torch

    from improvise.core.runs import config_from_json, load_checkpoint, load_state_checked
    from improvise.solo.model import SoloNet

    where = run / "model.pt"
    blob = load_checkpoint(where, "solo")
    mc = config_from_json(SoloNetConfig, blob.get("model_config"), where, complete=True)
    _check_net(mc, enc, where)
    model = SoloNet(mc)
    state = blob.get("state_dict")
    if isinstance(state, dict):
        state = {
            k: v.float() if isinstance(v, torch.Tensor) and v.is_floating_point() else v
            for k, v in state.items()
        }
    load_state_checked(model, state, where)
    return model.eval()


def _hashes(run: Path) -> np.ndarray:
    try:
        hashes = np.load(run / "fragments.npy", allow_pickle=False)
    except (OSError, ValueError, EOFError) as e:
        raise UserError(f"{run / 'fragments.npy'}: not readable ({str(e)[:120]})") from None
    if hashes.dtype != np.int64 or hashes.ndim != 1:
        raise UserError(
            f"{run / 'fragments.npy'}: expected a 1-D int64 array, not {hashes.dtype} {hashes.shape}"
        )
    return hashes


def _stepper(run: Path, enc: ChordConditionedEncoding) -> SoloStepper:
    """weights.npz as a SoloStepper, every array checked against the network config.json names."""
    from improvise.core.runs import config_from_json, read_json

    mc = config_from_json(
        SoloNetConfig, read_json(run / "config.json").get("model"), run / "config.json", complete=True
    )
    _check_net(mc, enc, run / "config.json")
    where = run / "weights.npz"
    H, n = mc.hidden, mc.n_events
    shapes = {
        "rnn.weight_ih_l0": (4 * H, mc.input_size),
        "rnn.weight_hh_l0": (4 * H, H),
        "rnn.bias_ih_l0": (4 * H,),
        "rnn.bias_hh_l0": (4 * H,),
        "head.weight": (n, H),
        "head.bias": (n,),
        "degree.weight": (12, H),
        "leap.weight": (73, H),
    }
    try:
        with np.load(where, allow_pickle=False) as z:
            w = {k: z[k] for k in WEIGHT_NAMES if k in z.files}
            digest = z[CHECKSUM] if CHECKSUM in z.files else None
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as e:
        raise UserError(f"{where}: not readable ({str(e)[:120]})") from None
    bad = [k for k in WEIGHT_NAMES if k not in w or w[k].shape != shapes[k] or w[k].dtype.kind != "f"]
    if bad or not all(np.isfinite(v).all() for v in w.values()):
        raise UserError(f"{where}: not this soloist's weights ({', '.join(bad[:3]) or 'not finite'})")
    if digest is None or not np.array_equal(digest, _digest(run / "model.pt")):
        raise UserError(
            f"{run / 'model.pt'}: does not match weights.npz (damaged or replaced: train the run again)"
        )
    return SoloStepper(w, mc)


def open_solo_run(run: Path) -> tuple[SoloStepper, ChordConditionedEncoding, np.ndarray, object]:
    """The soloist to sample from, with no torch: its numpy stepper (weights.npz), encoding,
    training fragments' hashes and training config, every file checked."""
    from improvise.core.runs import require_run_dir

    run = require_run_dir(Path(run))
    cfg = _solo_config(run)
    enc = ChordConditionedEncoding()
    return _stepper(run, enc), enc, _hashes(run), cfg


def load_solo_run(run: Path) -> tuple:
    """The network (torch), its encoding, the training fragments' hashes and the training config;
    the run folder is checked when opened (config keys and types, the network's shape, the
    fragments)."""
    from improvise.core.runs import require_run_dir

    run = require_run_dir(Path(run))
    cfg = _solo_config(run)
    enc = ChordConditionedEncoding()
    return _model(run, enc), enc, _hashes(run), cfg
