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


def make_drums(cfg):
    from improvise.live.jam import make_drums as drums

    return drums(cfg)


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
            text = await ws.receive_text()
            arrived = time.perf_counter()
            try:
                msg = protocol.parse(text)
            except protocol.ProtocolError as e:
                session.counts["errors"] += 1
                await ws.send_text(json.dumps(protocol.error_reply(e, protocol.request_id(text))))
                continue
            if "t" in msg:
                clock.observe(msg["t"], arrived)
            if msg["type"].startswith("blues_"):
                _blues(msg, studio, work, queue)
                continue
            page_now = clock.now() if clock.now() is not None else msg.get("t", 0.0)
            for reply in session.handle(msg, page_now):
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


def build_app(studio: Studio):
    """The Starlette application of `studio`."""
    from starlette.applications import Starlette
    from starlette.responses import FileResponse, JSONResponse, Response
    from starlette.routing import Mount, Route, WebSocketRoute
    from starlette.staticfiles import StaticFiles

    async def index(request):
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})

    async def sound(request):
        name = request.path_params["name"]
        if not NAME.match(name) or not (studio.samples / name).is_file():
            return Response("no such sample", status_code=404)
        media = "application/json" if name.endswith(".json") else "audio/wav"
        return FileResponse(studio.samples / name, media_type=media)

    async def run_file(request):
        folder, name = request.path_params["folder"], request.path_params["name"]
        path = studio.out_root / folder / name
        if not NAME.match(folder) or not RUN_FILES.match(name) or not path.is_file():
            return Response("no such file", status_code=404)
        return FileResponse(path, media_type=MEDIA.get(path.suffix, "application/octet-stream"))

    async def solo(request):
        from improvise.studio.solo import solo_request

        if not same_origin(request.headers):
            return JSONResponse({"error": "the studio answers its own page only"}, status_code=403)
        try:
            req = await request.json()
            if not isinstance(req, dict):
                raise UserError("solo: the request is a JSON object")
            return JSONResponse(await asyncio.to_thread(_solo, studio, req, solo_request))
        except (UserError, ValueError) as e:
            return JSONResponse({"error": " ".join(str(e).split())[:300]}, status_code=400)
        except Exception as e:  # noqa: BLE001  (a bug of the soloist: one line to the page, not a traceback)
            text = f"internal error: {type(e).__name__}: {' '.join(str(e).split())[:200]}"
            return JSONResponse({"error": text}, status_code=500)

    async def tunes(request):
        from improvise.studio.solo import titles

        return JSONResponse({"titles": titles(studio.standards)})

    async def sessions(request):
        return JSONResponse(studio.book())

    async def ws(websocket):
        await websocket_session(websocket, studio)

    routes = [
        Route("/", index),
        Route("/sounds/{name}", sound),
        Route("/runs/{folder}/{name}", run_file),
        Route("/api/solo", solo, methods=["POST"]),
        Route("/api/tunes", tunes),
        Route("/api/sessions", sessions),
        WebSocketRoute("/ws", ws),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    return Starlette(routes=routes)


def _solo(studio: Studio, req: dict, solo_request) -> dict:
    """solo_request in a worker thread, torch on one thread; an error of the soloist in one line."""
    import torch

    torch.set_num_threads(1)
    return solo_request(req, studio.out_root, studio.solo_model, studio.standards, studio.synth)
