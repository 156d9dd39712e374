// A piano roll on a canvas: notes as {start, end, pitch, channel}; the performer's and the
// machine's in different colours. `scroll`: the view follows the audio clock.
export const COLOURS = { 0: "#3b82f6", 1: "#f97316", 2: "#16a34a", 3: "#a855f7", 9: "#9ca3af" };

export class PianoRoll {
  constructor(canvas, { low = 36, high = 96, span = 8 } = {}) {
    this.canvas = canvas;
    this.g = canvas.getContext("2d");
    this.low = low; this.high = high; this.span = span;
    this.notes = [];
    this.open = new Map();
  }
  event(t, channel, pitch, velocity) {   // an engine event: opens or closes a note
    if (pitch < 0) return;
    const key = `${channel}:${pitch}`;
    if (velocity > 0) {
      const n = { start: t, end: null, pitch, channel };
      this.notes.push(n);
      if (channel !== 9) this.open.set(key, n); else n.end = t + 0.05;
    } else if (this.open.has(key)) {
      this.open.get(key).end = t;
      this.open.delete(key);
    }
  }
  setNotes(notes) {  // a whole piece: [start, length, channel, pitch, ...]
    this.notes = notes.map(([s, d, ch, p]) => ({ start: s, end: s + d, pitch: p, channel: ch }));
    const ps = this.notes.map((n) => n.pitch);
    if (ps.length) { this.low = Math.min(...ps) - 2; this.high = Math.max(...ps) + 2; }
  }
  draw(now, from = null, to = null) {
    const { canvas: c, g } = this;
    const t0 = from ?? now - this.span * 0.75, t1 = to ?? t0 + this.span;
    this.notes = this.notes.filter((n) => n.end === null || n.end > t0 - this.span);
    g.fillStyle = "#111827"; g.fillRect(0, 0, c.width, c.height);
    const rows = this.high - this.low + 1, h = c.height / rows;
    g.fillStyle = "#1f2937";
    for (let p = this.low; p <= this.high; p++) {
      if ([1, 3, 6, 8, 10].includes(p % 12)) g.fillRect(0, c.height - (p - this.low + 1) * h, c.width, h);
    }
    const x = (t) => ((t - t0) / (t1 - t0)) * c.width;
    for (const n of this.notes) {
      const end = n.end ?? now;
      if (end < t0 || n.start > t1) continue;
      g.fillStyle = COLOURS[n.channel] || "#e5e7eb";
      g.fillRect(x(n.start), c.height - (n.pitch - this.low + 1) * h, Math.max(2, x(end) - x(n.start)), Math.max(2, h - 1));
    }
    if (now >= t0 && now <= t1) { g.fillStyle = "#fbbf24"; g.fillRect(x(now), 0, 1, c.height); }
  }
}
