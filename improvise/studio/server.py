"""The studio's server: Starlette on uvicorn, bound to 127.0.0.1 unless asked otherwise.

- `/` and `/static/...`: the page (improvise/studio/static), nothing from elsewhere.
- `/sounds/...`: the instrument samples (sounds.py) and their manifest.
- `/ws`: the WebSocket of one page; a `StudioSession` a connection, its grid ticked by a task
  of the event loop; the Blues tab's training and free runs in a worker thread.
- `/api/solo` (POST): the Solo tab; `/api/tunes`: the standards file's titles.
- `/runs/FOLDER/FILE`: the files of the run folders the studio wrote (downloads, score, audio).
- `/api/sessions`: the sessions open and closed, and what each left sounding (for the tests).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import secrets
import time
from pathlib import Path

from improvise.core.errors import UserError
from improvise.studio import protocol
from improvise.studio.session import LOOKAHEAD, PageTime, StudioSession

STATIC = Path(__file__).parent / "static"
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,80}$")
RUN_FILES = re.compile(r"^(solo|session|chorus|tokens|metrics|config|report|leadsheet|score)\.[a-z]{2,8}$")
MEDIA = {".svg": "image/svg+xml", ".wav": "audio/wav", ".mid": "audio/midi", ".json": "application/json"}
MEDIA |= {".musicxml": "application/vnd.recordare.musicxml+xml", ".html": "text/html", ".txt": "text/plain"}


class Studio:
    """What the server shares between connections: the pitch-source factory, the samples,
    the output folder, the soloist and standards, and the sessions' book."""

    def __init__(
        self, make_source, out_root: Path, samples: Path, solo_model: Path, standards=None, synth="auto"
    ):
        self.make_source, self.out_root, self.samples = make_source, Path(out_root), Path(samples)
        self.solo_model, self.standards, self.synth = solo_model, standards, synth
        self.sessions: dict[str, StudioSession] = {}
        self.closed: list[dict] = []
        self.ids = itertools.count(1)

    def book(self) -> dict:
        open_ = [{"session": s.sid, "sounding": s.sounding(), **s.counts} for s in self.sessions.values()]
        return {"open": open_, "closed": self.closed[-50:]}


_DRUMS: list = []  # the drum LSTM, trained (about 1 s) the first time a page asks for it


def make_drums(cfg):
    """The drum model of `drums: model`, one for every session (it keeps no state between calls)."""
    from improvise.live.jam import make_drums as drums

    if not _DRUMS:
        _DRUMS.append(drums(cfg))
    return _DRUMS[0]


async def _send_loop(ws, queue: asyncio.Queue) -> None:
    while True:
        msg = await queue.get()
        await ws.send_text(json.dumps(msg, separators=(",", ":")))


async def _tick_loop(session: StudioSession, clock: PageTime, queue: asyncio.Queue) -> None:
    """Tick the grid LOOKAHEAD ahead of the page's clock; sleep until the next step is due."""
    while True:
        now = clock.now()
        wait = 0.02
        if now is not None and session.running:
            for reply in session.tick_until(now + LOOKAHEAD):
                queue.put_nowait(reply)
            due = session.next_due()
            if due is not None:
                wait = min(max(due - LOOKAHEAD - clock.now(), 0.001), 0.02)
        await asyncio.sleep(wait)


def same_origin(headers) -> bool:
    """A browser's request from the studio's own page (or not from a browser at all): another
    site open in the same browser must not play, train or write files through the studio."""
    origin, host = headers.get("origin"), headers.get("host", "")
    return origin is None or origin in (f"http://{host}", f"https://{host}")


async def websocket_session(ws, studio: Studio) -> None:
    """One page: messages in, replies out, the grid ticking meanwhile. A bad message gets an
    error reply; closing the tab silences the session."""
    if not same_origin(ws.headers):
        await ws.close(code=1008)
        return
    await ws.accept()
    sid = f"s{next(studio.ids)}-{secrets.token_hex(2)}"
    session = StudioSession(sid, studio.make_source, make_drums, studio.out_root)
    studio.sessions[sid] = session
    clock = PageTime()
    queue: asyncio.Queue = asyncio.Queue()
    tasks = [
        asyncio.create_task(_send_loop(ws, queue)),
        asyncio.create_task(_tick_loop(session, clock, queue)),
    ]
    work = {"run": None, "busy": False}
    try:
        while True:
            event = await ws.receive()
            if event["type"] == "websocket.disconnect":
                break
            text = event["text"] if event.get("text") is not None else event.get("bytes") or b""
            for reply in _answer(text, time.perf_counter(), session, clock, studio, work, queue):
                await ws.send_text(json.dumps(reply, separators=(",", ":")))
    except Exception as e:  # noqa: BLE001  (a disconnect in any of its forms ends the session)
        if type(e).__name__ not in ("WebSocketDisconnect", "ConnectionClosed", "ConnectionClosedOK"):
            session.counts["server_error"] = f"{type(e).__name__}: {str(e)[:100]}"
    finally:
        for task in tasks:
            task.cancel()
        session.close()
        studio.sessions.pop(sid, None)
        studio.closed.append({"session": sid, "sounding": session.sounding(), **session.counts})


def _answer(text, arrived: float, session, clock: PageTime, studio: Studio, work: dict, queue) -> list[dict]:
    """The replies to one frame (text or binary) from the page. A malformed one, and a bug met
    while handling a good one, get an error reply; the session goes on either way."""
    try:
        msg = protocol.parse(text)
    except protocol.ProtocolError as e:
        session.counts["errors"] += 1
        return [protocol.error_reply(e, protocol.request_id(text))]
    if "t" in msg:
        clock.observe(msg["t"], arrived)
    if msg["type"].startswith("blues_"):
        _blues(msg, studio, work, queue)
        return []
    page_now = clock.now() if clock.now() is not None else msg.get("t", 0.0)
    try:
        return session.handle(msg, page_now)
    except Exception as e:  # noqa: BLE001  (a bug: reported to the page in one line, the session goes on)
        session.counts["errors"] += 1
        return [protocol.error_reply(f"internal error: {type(e).__name__}: {e}", msg.get("id"))]


def _blues(msg: dict, studio: Studio, work: dict, queue: asyncio.Queue) -> None:
    """The Blues tab's training or free run in a worker thread; its reports go to the queue."""
    from improvise.studio import blues

    loop = asyncio.get_running_loop()
    if work["busy"]:
        queue.put_nowait(protocol.error_reply("the blues model is busy: wait for it"))
        return

    def report(kind):
        return lambda info: loop.call_soon_threadsafe(queue.put_nowait, {"type": kind, **info})

    def job():
        try:
            if msg["type"] == "blues_train":
                run = studio.out_root / f"blues-{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(2)}"
                done = blues.train_with_progress(run, msg["epochs"], msg["seed"], report("blues_progress"))
                work["run"] = run
                report("blues_done")(done)
            elif work["run"] is None:
                report("error")({"error": "train the blues model first"})
            else:
                report("blues_rollout")(blues.free_run(work["run"], msg["choruses"], msg["seed"]))
        except UserError as e:
            report("error")({"error": str(e)[:300]})
        finally:
            work["busy"] = False

    work["busy"] = True
    loop.run_in_executor(None, job)


async def index(request):
    from starlette.responses import FileResponse

    return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})


async def sound(request):
    """A sample or the samples' manifest (sounds.py)."""
    from starlette.responses import FileResponse, Response

    folder, name = request.app.state.studio.samples, request.path_params["name"]
    if not NAME.match(name) or not (folder / name).is_file():
        return Response("no such sample", status_code=404)
    return FileResponse(
        folder / name, media_type="application/json" if name.endswith(".json") else "audio/wav"
    )


async def run_file(request):
    """A file of a run folder the studio wrote (only the names run folders use)."""
    from starlette.responses import FileResponse, Response

    folder, name = request.path_params["folder"], request.path_params["name"]
    path = request.app.state.studio.out_root / folder / name
    if not NAME.match(folder) or not RUN_FILES.match(name) or not path.is_file():
        return Response("no such file", status_code=404)
    return FileResponse(path, media_type=MEDIA.get(path.suffix, "application/octet-stream"))


async def solo(request):
    """The Solo tab's request, in a worker thread; a bad request is a one-line error."""
    from starlette.responses import JSONResponse

    from improvise.studio.solo import solo_request

    if not same_origin(request.headers):
        return JSONResponse({"error": "the studio answers its own page only"}, status_code=403)
    try:
        req = await request.json()
        if not isinstance(req, dict):
            raise UserError("solo: the request is a JSON object")
        return JSONResponse(await asyncio.to_thread(_solo, request.app.state.studio, req, solo_request))
    except (UserError, ValueError) as e:
        return JSONResponse({"error": " ".join(str(e).split())[:300]}, status_code=400)
    except Exception as e:  # noqa: BLE001  (a bug of the soloist: one line to the page, not a traceback)
        text = f"internal error: {type(e).__name__}: {' '.join(str(e).split())[:200]}"
        return JSONResponse({"error": text}, status_code=500)


async def tunes(request):
    from starlette.responses import JSONResponse

    from improvise.studio.solo import titles

    return JSONResponse({"titles": titles(request.app.state.studio.standards)})


async def sessions(request):
    from starlette.responses import JSONResponse

    return JSONResponse(request.app.state.studio.book())


async def ws_endpoint(websocket):
    await websocket_session(websocket, websocket.app.state.studio)


def build_app(studio: Studio):
    """The Starlette application of `studio`."""
    from starlette.applications import Starlette
    from starlette.routing import Mount, Route, WebSocketRoute
    from starlette.staticfiles import StaticFiles

    routes = [
        Route("/", index),
        Route("/sounds/{name}", sound),
        Route("/runs/{folder}/{name}", run_file),
        Route("/api/solo", solo, methods=["POST"]),
        Route("/api/tunes", tunes),
        Route("/api/sessions", sessions),
        WebSocketRoute("/ws", ws_endpoint),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(routes=routes)
    app.state.studio = studio
    return app


def _solo(studio: Studio, req: dict, solo_request) -> dict:
    """solo_request in a worker thread, torch on one thread; an error of the soloist in one line."""
    import torch

    torch.set_num_threads(1)
    return solo_request(req, studio.out_root, studio.solo_model, studio.standards, studio.synth)
