"""OSC in and out through python-osc, on 127.0.0.1 unless told otherwise.

In (what a client sends the engine):   /note pitch velocity   (velocity 0: note off)
                                       /cc control value      (mapped like MIDI CCs)
                                       /mode name             (free, bass, chords, improv)
Out (what the engine sends, e.g. to SuperCollider, live/jam.scd):
                                       /note pitch velocity channel   (velocity 0: note off)
                                       /cc channel control value
The input socket is non-blocking so that the single-threaded run loop can poll it between
grid steps.
"""

from __future__ import annotations

import socket

import mido
from pythonosc.osc_message import OscMessage
from pythonosc.osc_packet import OscPacket
from pythonosc.udp_client import SimpleUDPClient

from improvise.core.errors import UserError

RECEIVE_BUFFER = 4 << 20  # bytes asked for; Linux gives at most net.core.rmem_max


class OscIn:
    """Polls a UDP socket for OSC messages and turns them into mido messages (and modes).

    A host or port it cannot listen on is a one-line UserError naming --host / --osc-in.
    The socket asks the system for a large receive buffer (up to 4 MiB, as the system allows),
    so that a burst of messages waits there while a grid step is played instead of being lost."""

    def __init__(self, host: str = "127.0.0.1", port: int = 57121):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
            self.sock.bind((host, port))
        except (OSError, OverflowError) as e:
            self.sock.close()
            why = getattr(e, "strerror", None) or str(e)
            raise UserError(f"--host {host} --osc-in {port}: cannot listen there ({why})") from None
        self.sock.setblocking(False)
        self.address = self.sock.getsockname()

    def poll(self) -> list:
        """Every message waiting: mido.Message, or ("mode", name)."""
        out = []
        while True:
            got = self.read()
            if got is None:
                return out
            out += got

    def read(self) -> list | None:
        """The messages of the next datagram waiting ([] when it holds nothing the engine
        takes); None when no datagram is waiting."""
        try:
            data = self.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return None
        except OSError:  # e.g. an ICMP error queued on the socket: nothing to read
            return []
        return self.decode(data)

    @classmethod
    def decode(cls, data: bytes) -> list:
        """A datagram's messages, converted; [] for a datagram that does not parse."""
        try:
            msgs = [m.message for m in OscPacket(data).messages]
        except Exception:  # noqa: BLE001  (python-osc raises its own parse errors: drop the datagram)
            return []
        return [m for m in (cls._convert(x) for x in msgs) if m is not None]

    @staticmethod
    def _convert(m: OscMessage):
        a = list(m.params)
        try:
            if m.address == "/note" and len(a) >= 2:
                vel = int(a[1])
                if vel > 0:
                    return mido.Message("note_on", note=int(a[0]), velocity=min(vel, 127))
                return mido.Message("note_off", note=int(a[0]))
            if m.address == "/cc" and len(a) >= 2:
                return mido.Message("control_change", control=int(a[0]), value=int(a[1]))
            if m.address == "/mode" and a:
                return ("mode", str(a[0]))
        except (ValueError, TypeError, OverflowError):  # a pitch of 200, a velocity of nan: not a note
            return None
        return None

    def close(self) -> None:
        self.sock.close()


class OscOutPort:
    """A port (`send(msg)`) that forwards notes and controllers as OSC."""

    def __init__(self, host: str = "127.0.0.1", port: int = 57120):
        try:
            self.client = SimpleUDPClient(host, port)
        except (OSError, OverflowError, UnicodeError) as e:
            why = getattr(e, "strerror", None) or str(e)
            raise UserError(f"--host {host} --osc-out {port}: cannot send there ({why})") from None

    def send(self, msg: mido.Message) -> None:
        if msg.type == "note_on":
            self.client.send_message("/note", [msg.note, msg.velocity, msg.channel])
        elif msg.type == "note_off":
            self.client.send_message("/note", [msg.note, 0, msg.channel])
        elif msg.type == "control_change":
            self.client.send_message("/cc", [msg.channel, msg.control, msg.value])
