// The performer's input: the computer keyboard (two octaves from the home row) and Web MIDI.
const KEYS = "awsedftgyhujkolp;'";   // C, C#, D, ... from the octave chosen (z/x move it)

export class KeyboardInput {
  constructor(onNote) {
    this.onNote = onNote;
    this.octave = 60;
    this.down = new Map();   // key -> pitch it started
    window.addEventListener("keydown", (e) => this.key(e, true));
    window.addEventListener("keyup", (e) => this.key(e, false));
    window.addEventListener("blur", () => this.releaseAll());
  }
  key(e, down) {
    const tag = (e.target && e.target.tagName) || "";
    if (["INPUT", "TEXTAREA", "SELECT"].includes(tag) || e.ctrlKey || e.metaKey || e.altKey) return;
    const k = e.key.toLowerCase();
    if (down && (k === "z" || k === "x")) { this.octave = Math.min(96, Math.max(24, this.octave + (k === "x" ? 12 : -12))); return; }
    const i = KEYS.indexOf(k);
    if (i < 0) return;
    e.preventDefault();
    if (down) {
      if (e.repeat || this.down.has(k)) return;
      const pitch = this.octave + i;
      this.down.set(k, pitch);
      this.onNote(pitch, 96);
    } else if (this.down.has(k)) {
      this.onNote(this.down.get(k), 0);
      this.down.delete(k);
    }
  }
  releaseAll() {
    for (const pitch of this.down.values()) this.onNote(pitch, 0);
    this.down.clear();
  }
}

// Web MIDI: every input's notes and controllers (asked for only when the player clicks).
export async function connectMidi(onNote, onCC) {
  if (!navigator.requestMIDIAccess) return "this browser has no Web MIDI";
  const access = await navigator.requestMIDIAccess();
  const names = [];
  for (const input of access.inputs.values()) {
    names.push(input.name);
    input.onmidimessage = (m) => {
      const [status, a, b] = m.data;
      const kind = status & 0xf0;
      if (kind === 0x90) onNote(a, b);
      else if (kind === 0x80) onNote(a, 0);
      else if (kind === 0xb0) onCC(a, b);
    };
  }
  return names.length ? `MIDI: ${names.join(", ")}` : "no MIDI input connected";
}
