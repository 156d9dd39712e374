"""Starting the studio: the machine's pitch source, the samples, the server; `run_studio()`
serves until Ctrl-C and `StudioThread` serves from a thread (the tests and the benches)."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

from improvise.core.errors import ConfigError, UserError

DEFAULT_OUT = Path("runs/studio")
DEFAULT_SOLO_MODEL = None  # the soloist shipped with the package


def source_factory(model: str | Path | None, seed: int = 0, progress: bool = True):
    """A function key -> a fresh pitch source for one session: from the blues run folder
    `model` (loaded once), markov[:K], or the headline blues model trained now (~1 s)."""
    from improvise.encodings.blues import BluesEncoding
    from improvise.live.pitches import BluesPitchSource, MarkovPitchSource
    from improvise.nn.reference import NumpyChordMelody

    if model is not None and str(model).startswith("markov") and not Path(model).exists():
        from improvise.live.jam import parse_markov

        order = parse_markov(str(model))
        return lambda key: MarkovPitchSource.train(order=order, seed=seed)
    if model is not None:
        from improvise.blues.task import load_blues_run

        net, _ = load_blues_run(Path(model))
    else:
        from improvise.blues.task import BluesConfig, train_blues

        if progress:
            print("studio: no --model: training the headline blues model (seed 0) ...", flush=True)
        net = train_blues(BluesConfig()).model
    return lambda key: BluesPitchSource(
        NumpyChordMelody.from_module(net), BluesEncoding(), key=key, seed=seed
    )


def build_studio(
    model=None, out: Path = DEFAULT_OUT, solo_model: Path = DEFAULT_SOLO_MODEL, standards=None, synth="auto"
):
    """Everything checked and made ready before the server listens; the Starlette app."""
    from improvise.studio.server import Studio, build_app
    from improvise.studio.sounds import ensure_samples

    if standards is not None and not Path(standards).is_file():
        raise UserError(f"{standards}: no such standards file (--standards)")
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UserError(f"{out}: cannot make the studio's output folder ({e.strerror}) (--out)") from None
    make_source = source_factory(model)
    samples = ensure_samples(synth)
    studio = Studio(
        make_source,
        out,
        samples,
        Path(solo_model) if solo_model else None,
        Path(standards) if standards else None,
        synth,
    )
    return studio, build_app(studio)


def check_port(host: str, port: int) -> None:
    """A one-line error now if the port is taken, rather than uvicorn's log later."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as e:
            raise ConfigError(f"--port {port}: cannot listen on {host}:{port} ({e.strerror})") from None


def run_studio(
    port: int = 8765,
    model=None,
    open_browser: bool = False,
    host: str = "127.0.0.1",
    out: Path = DEFAULT_OUT,
    solo_model: Path = DEFAULT_SOLO_MODEL,
    standards=None,
    synth: str = "auto",
) -> None:
    """Serve the studio at http://HOST:PORT/ until Ctrl-C (`open_browser`: open it in the
    system's browser once listening)."""
    import uvicorn

    check_port(host, port)
    studio, app = build_studio(model, out, solo_model, standards, synth)
    url = f"http://{host}:{port}/"
    print(
        f"studio: {url} (samples: {studio.samples.name}; runs in {studio.out_root}); Ctrl-C to stop",
        flush=True,
    )
    if open_browser:
        import webbrowser

        threading.Timer(1.0, lambda: webbrowser.open(url)).start()
    settle()
    uvicorn.run(app, host=host, port=port, log_level="warning", ws_max_size=1 << 16)


def settle() -> None:
    """Before serving: what is loaded so far (torch, the model) moved out of the collector's
    way (gc.freeze), so that a collection in the middle of a note costs little, and the thread
    asks for the live engine's priority where the system allows it (live.session.raise_priority)."""
    import gc

    from improvise.live.session import raise_priority

    gc.collect()
    gc.freeze()
    raise_priority()


class StudioThread:
    """The studio served from a thread on a free port of 127.0.0.1; `url`, `studio`, `stop()`."""

    def __init__(
        self, model=None, out: Path = DEFAULT_OUT, solo_model=DEFAULT_SOLO_MODEL, standards=None, synth="auto"
    ):
        import uvicorn

        self.studio, app = build_studio(model, out, solo_model, standards, synth)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/"
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", ws_max_size=1 << 16)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=lambda: (settle(), self.server.run()), daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the studio server did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
