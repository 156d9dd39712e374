"""The studio's WebSocket messages: JSON objects with a `type`, each field checked here.

Page to server (times `t` are the page's Web Audio clock, `AudioContext.currentTime`, seconds):

- `hello {t}`: start of a session; the engine's grid starts just after `t`.
- `note {pitch, velocity, t, id?}`: velocity 0 is a note-off; `id` comes back as `ack`.
- `cc {control, value, t, id?}`: a controller (64: sustain pedal, the engine's controls).
- `mode {mode}`: free, bass, chords or improv. `config {tempo?, bars?, meter?, click?, drums?, key?}`.
- `start`, `stop`, `panic` (stop and silence everything), `ping {t, id}`, `save`.
- `blues_train {epochs, seed}`, `blues_run {choruses, seed}`: the Blues tab.

Server to page: `welcome`, `notes {events: [[t, channel, pitch, velocity], ...], ack}`, `state`,
`pong`, `saved`, `blues_progress`, `blues_done`, `blues_rollout` and `error {error, ack}`. A
message that is not JSON, not an object, of an unknown type, or with a field missing, of the
wrong type or out of range is answered with `error` and changes nothing.
"""

from __future__ import annotations

import json
import math

from improvise.live.engine import MODES

MAX_MESSAGE_BYTES = 4096
MAX_TIME = 1e7  # seconds of page clock (about 115 days)


class ProtocolError(ValueError):
    """A message the studio does not take; its text is sent back as the error reply."""


def _num(lo, hi, integer=False):
    return ("int" if integer else "num", lo, hi)


_T = _num(0, MAX_TIME)
_ID = _num(0, 2**53, integer=True)
SCHEMA: dict[str, dict[str, tuple]] = {
    "hello": {"t": _T},
    "note": {"pitch": _num(0, 127, True), "velocity": _num(0, 127, True), "t": _T, "id?": _ID},
    "cc": {"control": _num(0, 127, True), "value": _num(0, 127, True), "t": _T, "id?": _ID},
    "mode": {"mode": ("choice", MODES)},
    "config": {
        "tempo?": _num(20, 400),
        "bars?": _num(1, 64, True),
        "meter?": ("str", 7),
        "click?": ("bool",),
        "drums?": ("choice", ("off", "rule", "model")),
        "key?": _num(0, 11, True),
    },
    "start": {},
    "stop": {},
    "panic": {},
    "ping": {"t": _T, "id": _ID},
    "save": {},
    "blues_train": {"epochs": _num(1, 2000, True), "seed": _num(0, 2**32 - 1, True)},
    "blues_run": {"choruses": _num(1, 100, True), "seed": _num(0, 2**32 - 1, True)},
}


def _check(name: str, value, rule: tuple):
    kind = rule[0]
    if kind in ("num", "int"):
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ProtocolError(f"{name}: a number, not {json.dumps(value)[:40]}")
        if kind == "int" and value != int(value):
            raise ProtocolError(f"{name}: a whole number, not {value}")
        if not rule[1] <= value <= rule[2]:
            raise ProtocolError(f"{name}: {rule[1]} to {rule[2]}, not {value}")
        return int(value) if kind == "int" else float(value)
    if kind == "bool":
        if not isinstance(value, bool):
            raise ProtocolError(f"{name}: true or false, not {json.dumps(value)[:40]}")
        return value
    if kind == "str":
        if not isinstance(value, str) or len(value) > rule[1]:
            raise ProtocolError(f"{name}: a string of at most {rule[1]} characters")
        return value
    if value not in rule[1]:  # choice
        raise ProtocolError(f"{name}: one of {', '.join(rule[1])}, not {json.dumps(value)[:40]}")
    return value


def parse(text: str | bytes) -> dict:
    """The checked message (a dict with `type` and the schema's fields), or a ProtocolError."""
    if len(text) > MAX_MESSAGE_BYTES:
        raise ProtocolError(f"a message of {len(text)} bytes; at most {MAX_MESSAGE_BYTES}")
    try:
        msg = json.loads(text)
    except (ValueError, RecursionError) as e:
        raise ProtocolError(f"not JSON ({str(e)[:80]})") from None
    if not isinstance(msg, dict):
        raise ProtocolError("a message is a JSON object with a 'type'")
    kind = msg.get("type")
    if not isinstance(kind, str) or kind not in SCHEMA:
        raise ProtocolError(f"unknown message type {json.dumps(kind)[:40]}; known: {', '.join(SCHEMA)}")
    schema = SCHEMA[kind]
    allowed = {k.rstrip("?") for k in schema} | {"type"}
    extra = sorted(set(msg) - allowed)
    if extra:
        raise ProtocolError(f"{kind}: unknown field {extra[0][:40]!r}")
    out = {"type": kind}
    for key, rule in schema.items():
        name = key.rstrip("?")
        if name not in msg:
            if key.endswith("?"):
                continue
            raise ProtocolError(f"{kind}: '{name}' is missing")
        out[name] = _check(f"{kind}.{name}", msg[name], rule)
    return out


def error_reply(text: str, ack=None) -> dict:
    """The reply to a message the studio could not take."""
    return {"type": "error", "error": str(text)[:300], "ack": ack}


def request_id(text: str | bytes):
    """The `id` of a message, if it has a usable one even though it failed to parse (else None)."""
    try:
        msg = json.loads(text)
    except (ValueError, RecursionError, TypeError):
        return None
    value = msg.get("id") if isinstance(msg, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None
