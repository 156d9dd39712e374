import pytest

from improvise.blues import BluesConfig, train_blues
from improvise.train import TrainConfig


@pytest.fixture(scope="session")
def trained():
    """The headline model (seed 0, defaults), trained once for the whole suite (~1 s)."""
    return train_blues(BluesConfig(train=TrainConfig(seed=0)))


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory, trained):
    from improvise.blues import save_trained

    out = tmp_path_factory.mktemp("run")
    save_trained(trained, out)
    return out
