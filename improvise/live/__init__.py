"""Live structured improvisation (seed 003): a single-threaded jam engine on a 16th-note grid
with a looper, click, bass/chords/free/improv modes, drums from the bassline and hybrid
call-and-response, driven by MIDI or OSC, or by a simulated performer in simulated time."""

from improvise.live.clock import RealClock, SimClock
from improvise.live.engine import JamConfig, JamEngine
from improvise.live.grid import LoopSpec, tap_tempo
from improvise.live.ports import MemoryPort

__all__ = ["JamConfig", "JamEngine", "LoopSpec", "MemoryPort", "RealClock", "SimClock", "tap_tempo"]
