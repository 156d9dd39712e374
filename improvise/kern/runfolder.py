"""Opening a kern run folder: config.json and the checkpoints checked before a weight is built.

A run folder written by `improvise kern train` holds config.json (`task` "kern", `model`: the
CharLSTMConfig, `train`: the KernTrainConfig, `chars`, `layout`, `corpus`), model.pt and
resume.pt. Opening one checks, in order: config.json is a JSON object of a kern run (another
task, an unknown key, a missing key or a value of the wrong type or range is named), then the
checkpoint's model is config.json's and every weight has the shape config.json implies, finite
values and a floating type. Anything wrong is one `UserError` naming the file and what does not
match; sizes come from config.json only after they are checked, so no file can ask for memory.
"""

from __future__ import annotations

from pathlib import Path

from improvise.core.checks import MAX_HIDDEN, check_in_dir, file_error
from improvise.core.runs import check_format, config_from_json, load_checkpoint, read_json
from improvise.kern.config import MAX_LAYERS, KernTrainConfig
from improvise.kern.grammar import MAX_SPINES
from improvise.nn.char_lstm import CharLSTM, CharLSTMConfig

TASK = "kern"  # config.json's "task" (runs written before it was recorded have none)
CONFIG_KEYS = ("task", "format", "model", "train", "chars", "layout", "corpus")
REQUIRED_KEYS = ("model", "train", "chars")
MAX_VOCAB = 4096  # characters a model may read


def _type_name(value) -> str:
    return {
        bool: "true/false",
        int: "a whole number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "an object",
        type(None): "null",
    }.get(type(value), type(value).__name__)


def check_fields(cls, value, where: Path, key: str):
    """The dataclass `cls` built from config.json's `key` object by runs.config_from_json: every
    field known and typed (a key of an older version read under its new name) and the config's
    own checks passed; a UserError naming `where` and the key otherwise."""
    if not isinstance(value, dict):
        raise file_error(where, f"{key} should be an object, not {_type_name(value)}")
    return config_from_json(cls, value, f"{where}: {key}")


def _check_model(model, where: Path, chars) -> None:
    if model.hidden > MAX_HIDDEN or model.layers > MAX_LAYERS or model.vocab_size > MAX_VOCAB:
        raise file_error(
            where,
            f"model of {model.layers} x {model.hidden} units over {model.vocab_size} characters "
            f"is beyond the limits ({MAX_LAYERS} x {MAX_HIDDEN}, {MAX_VOCAB})",
        )
    if not isinstance(chars, str) or not chars or len(set(chars)) != len(chars):
        raise file_error(where, "chars should be a string of distinct characters")
    if len(chars) != model.vocab_size:
        raise file_error(where, f"{len(chars)} chars but model.vocab_size {model.vocab_size}")


def _check_extras(data: dict, where: Path) -> None:
    layout = data.get("layout", ["kern", "kern", "dynam"])
    if (
        not isinstance(layout, list)
        or not 1 <= len(layout) <= MAX_SPINES
        or any(t not in ("kern", "dynam") for t in layout)
        or "kern" not in layout
    ):
        raise file_error(
            where,
            f'layout should be a list of 1 to {MAX_SPINES} spine types "kern" or "dynam" '
            f'(at least one "kern"), not {str(layout)[:60]}',
        )
    corpus = data.get("corpus", [])
    if not isinstance(corpus, list) or not all(isinstance(c, str) for c in corpus):
        raise file_error(where, "corpus should be a list of paths")


def read_run_config(run: Path) -> dict:
    """config.json of a kern run folder, checked; its "model" and "train" entries are returned
    as CharLSTMConfig and KernTrainConfig under "model_config" and "train_config"."""
    where = Path(run) / "config.json"
    if where.is_dir():
        raise file_error(where, "is a folder, not a file")
    data = read_json(where)
    if "format" in data:
        check_format(data["format"], TASK, where)
    task = data.get("task", TASK)
    if task != TASK:
        raise file_error(
            where, f"a run of task {str(task)[:40]!r}, not a kern run (written by another command)"
        )
    unknown = sorted(set(data) - set(CONFIG_KEYS))
    if unknown:
        raise file_error(
            where,
            f"unknown key(s) {', '.join(map(repr, unknown[:3]))}: not a kern run folder, "
            "or one written by another version",
        )
    missing = [k for k in REQUIRED_KEYS if k not in data]
    if missing:
        raise file_error(where, f"no {', '.join(missing)}: not a kern run folder")
    model = check_fields(CharLSTMConfig, data["model"], where, "model")
    _check_model(model, where, data["chars"])
    train = check_fields(KernTrainConfig, data["train"], where, "train")
    _check_extras(data, where)
    return {**data, "model_config": model, "train_config": train}


def expected_shapes(model) -> dict[str, tuple]:
    """Every weight's shape in a CharLSTM of config `model` (nn.LSTM's names and layout)."""
    v, h = model.vocab_size, model.hidden
    shapes: dict[str, tuple] = {}
    for k in range(model.layers):
        shapes.update(
            {
                f"lstm.weight_ih_l{k}": (4 * h, v if k == 0 else h),
                f"lstm.weight_hh_l{k}": (4 * h, h),
                f"lstm.bias_ih_l{k}": (4 * h,),
                f"lstm.bias_hh_l{k}": (4 * h,),
            }
        )
    return {**shapes, "head.weight": (v, h), "head.bias": (v,)}


def check_weights(state, model, where: Path) -> None:
    """The weights `state` fit a CharLSTM of config `model`: names, shapes, float type, finite."""
    import torch

    if not isinstance(state, dict):
        raise file_error(where, "holds no weights")
    want = expected_shapes(model)
    missing, extra = sorted(set(want) - set(state)), sorted(set(state) - set(want))
    if missing or extra:
        parts = ([f"missing {', '.join(missing[:3])}"] if missing else []) + (
            [f"unexpected {', '.join(map(str, extra[:3]))}"] if extra else []
        )
        raise file_error(
            where,
            f"weights of another architecture than config.json's {model.layers} x {model.hidden} "
            f"LSTM ({'; '.join(parts)})",
        )
    for name, shape in want.items():
        got = state[name]
        if not isinstance(got, torch.Tensor) or not got.is_floating_point():
            raise file_error(where, f"weight {name} is not a floating-point tensor")
        if tuple(got.shape) != shape:
            raise file_error(
                where,
                f"weight {name} has shape {tuple(got.shape)}, config.json's model needs {shape} "
                "(a checkpoint of another size)",
            )
        if not bool(torch.isfinite(got).all()):
            raise file_error(where, f"weight {name} holds NaN or infinite values")


def open_checkpoint(where: Path) -> dict:
    """runs.load_checkpoint after a look at the file: a folder, an empty file or one that is not
    the zip archive torch.save writes is named as such (torch's own messages say little)."""
    if where.is_dir():
        raise file_error(where, "is a folder, not a checkpoint")
    if where.is_file():
        with open(where, "rb") as f:
            head = f.read(4)
        if not head:
            raise file_error(where, "empty file, not a checkpoint")
        if head != b"PK\x03\x04":
            raise file_error(where, "not a checkpoint written by improvise (torch.save writes a zip archive)")
    return load_checkpoint(where, TASK)


def load_kern_model(run: Path):
    """(model, chars, config) of a kern run folder: its best weights (model.pt), checked."""
    run = check_in_dir(run, "run folder")
    config = read_run_config(run)
    model_cfg, where = config["model_config"], run / "model.pt"
    blob = open_checkpoint(where)
    check_weights(blob["state_dict"], model_cfg, where)
    if blob.get("model_config") != model_cfg.to_dict():
        raise file_error(
            where,
            f"its model {str(blob.get('model_config'))[:80]} is not config.json's "
            f"{model_cfg.to_dict()} (a checkpoint of another run?)",
        )
    extra = blob.get("extra", {})
    if not isinstance(extra, dict):
        raise file_error(where, f"its extra entry should be an object, not {_type_name(extra)}")
    if extra.get("chars", config["chars"]) != config["chars"]:
        raise file_error(where, "its characters are not config.json's (a checkpoint of another corpus?)")
    model = CharLSTM(model_cfg)
    model.load_state_dict(blob["state_dict"])
    model.eval()
    return model, config["chars"], config
