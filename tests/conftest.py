import pytest

from improvise.blues.task import BluesConfig, train_blues
from improvise.train.looped import TrainConfig


@pytest.fixture(scope="session")
def trained():
    """The headline model (seed 0, defaults), trained once for the whole suite (~1 s)."""
    return train_blues(BluesConfig(train=TrainConfig(seed=0)))


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory, trained):
    from improvise.blues.task import save_trained

    out = tmp_path_factory.mktemp("run")
    save_trained(trained, out)
    return out


# ---- tolerance margins (IMPROVISE_MARGINS=FILE) --------------------------------------------
# With IMPROVISE_MARGINS set, every float comparison with a tolerance records how close it came:
# max |a - b| / (atol + rtol |b|), 1.0 being the tolerance itself. `make margins` lists them, so a
# comparison sitting within 2x of its tolerance on this machine shows up before another CPU fails it.
import os as _os  # noqa: E402

if _os.environ.get("IMPROVISE_MARGINS"):
    import json as _json

    import numpy as _np
    import torch as _torch

    _log = []

    def _ratio(a, b, rtol, atol):
        a = _np.asarray(a.detach().cpu() if hasattr(a, "detach") else a, dtype=float)
        b = _np.asarray(b.detach().cpu() if hasattr(b, "detach") else b, dtype=float)
        a, b = _np.broadcast_arrays(a, b)
        if a.size == 0:
            return 0.0
        return float(_np.max(_np.abs(a - b) / (atol + rtol * _np.abs(b) + 1e-300)))

    def _record(name, a, b, rtol, atol):
        try:
            r = _ratio(a, b, rtol, atol)
        except Exception:  # noqa: BLE001 - a comparison of shapes we cannot measure: skip it
            return
        _log.append(
            {
                "test": _os.environ.get("PYTEST_CURRENT_TEST", "?").split(" ")[0],
                "check": name,
                "ratio": r,
                "rtol": rtol,
                "atol": atol,
            }
        )

    def _wrap(mod, attr, name, rtol0, atol0):
        orig = getattr(mod, attr)

        def wrapped(a, b, *args, **kw):
            rtol = kw.get("rtol", args[0] if args else rtol0)
            atol = kw.get("atol", args[1] if len(args) > 1 else atol0)
            _record(name, a, b, rtol if rtol is not None else rtol0, atol if atol is not None else atol0)
            return orig(a, b, *args, **kw)

        setattr(mod, attr, wrapped)

    _wrap(_np.testing, "assert_allclose", "np.testing.assert_allclose", 1e-7, 0.0)
    _wrap(_np, "allclose", "np.allclose", 1e-5, 1e-8)
    _wrap(_torch, "allclose", "torch.allclose", 1e-5, 1e-8)
    _wrap(_torch.testing, "assert_close", "torch.testing.assert_close", 1.3e-6, 1e-5)

    def pytest_sessionfinish(session, exitstatus):
        worst = {}
        for e in _log:
            k = (e["test"], e["check"])
            if k not in worst or e["ratio"] > worst[k]["ratio"]:
                worst[k] = e
        rows = sorted(worst.values(), key=lambda e: -e["ratio"])
        with open(_os.environ["IMPROVISE_MARGINS"], "w") as f:
            _json.dump(rows, f, indent=1)


@pytest.fixture(scope="session")
def tiny_solo_run(tmp_path_factory):
    """A soloist trained for one epoch on a tiny WJD-like corpus written here (no shared/data)."""
    from improvise.cli.main import dispatch
    from tests.fuzz.cases_solo import tiny_train_argv, write_tiny_wjd

    root = tmp_path_factory.mktemp("tiny")
    run = root / "run"
    assert dispatch(tiny_train_argv(write_tiny_wjd(root / "wjd"), run)) == 0
    return run
