// Web Audio: the instrument samples (rendered by the server from the GM soundfont) and a
// scheduler. Every note is started and stopped at a time of the AudioContext's clock, so what
// the engine stamped with a grid time sounds exactly then: the loop cannot drift.
const CHANNEL_GAIN = { 0: 0.55, 1: 0.6, 2: 0.7, 3: 0.35, 9: 0.5 };

export class Sampler {
  constructor(ctx) {
    this.ctx = ctx;
    this.out = ctx.createGain();
    this.out.gain.value = 0.8;
    this.out.connect(ctx.destination);
    this.instruments = {};   // name -> [{pitch, buffer}]
    this.channels = {};      // channel -> instrument name
    this.voices = new Map(); // "ch:pitch" -> voice held (note-on without its note-off yet)
    this.live = new Set();   // every source started or scheduled and not yet ended
    this.played = 0;
    this.starts = [];        // [channel, pitch, time asked, time scheduled] of the last notes started
  }
  async load(base) {
    const manifest = await (await fetch(`${base}/manifest.json`)).json();
    this.channels = manifest.channels;
    this.manifest = manifest;
    const jobs = [];
    for (const [name, inst] of Object.entries(manifest.instruments)) {
      this.instruments[name] = [];
      for (const s of inst.samples) {
        jobs.push(fetch(`${base}/${s.file}`).then((r) => r.arrayBuffer())
          .then((b) => this.ctx.decodeAudioData(b))
          .then((buffer) => this.instruments[name].push({ pitch: s.pitch, buffer })));
      }
    }
    await Promise.all(jobs);
    return manifest;
  }
  now() {  // the context's time now, between render quanta too
    const ts = this.ctx.getOutputTimestamp ? this.ctx.getOutputTimestamp() : null;
    if (ts && ts.contextTime > 0 && ts.performanceTime > 0) {
      return Math.max(this.ctx.currentTime, ts.contextTime + (performance.now() - ts.performanceTime) / 1000);
    }
    return this.ctx.currentTime;
  }
  instrumentFor(channel, program) {
    if (program != null) return program === 65 ? "sax" : (program >= 32 && program < 40 ? "bass" : "piano");
    return this.channels[String(channel)] || "piano";
  }
  nearest(name, pitch) {
    let best = null;
    for (const s of this.instruments[name] || []) {
      if (!best || Math.abs(s.pitch - pitch) < Math.abs(best.pitch - pitch)) best = s;
    }
    return best;
  }
  start(channel, pitch, velocity, when, program) {
    const name = this.instrumentFor(channel, program);
    const s = this.nearest(name, pitch);
    if (!s) return null;
    const src = this.ctx.createBufferSource();
    src.buffer = s.buffer;
    if (name !== "drums") src.playbackRate.value = Math.pow(2, (pitch - s.pitch) / 12);
    else if (s.pitch !== pitch) return null;
    const gain = this.ctx.createGain();
    gain.gain.value = (velocity / 127) * (CHANNEL_GAIN[channel] ?? 0.5);
    src.connect(gain).connect(this.out);
    const t = Math.max(when, this.ctx.currentTime);
    src.start(t);
    const voice = { src, gain, start: t };
    this.live.add(voice);
    src.onended = () => this.live.delete(voice);
    this.played++;
    this.starts.push([channel, pitch, when, t]);
    if (this.starts.length > 4096) this.starts.splice(0, 2048);
    return voice;
  }
  release(voice, when) {
    const t = Math.max(when, voice.start, this.ctx.currentTime);
    voice.gain.gain.setTargetAtTime(0, t, 0.03);
    try { voice.src.stop(t + 0.25); } catch (e) { /* already stopped */ }
  }
  noteOn(channel, pitch, velocity, when, program) {
    const key = `${channel}:${pitch}`;
    if (this.voices.has(key)) { this.release(this.voices.get(key), when); this.voices.delete(key); }
    const v = this.start(channel, pitch, velocity, when, program);
    if (v && channel !== 9) this.voices.set(key, v);   // drums ring out; everything else is held
  }
  noteOff(channel, pitch, when) {
    const key = `${channel}:${pitch}`;
    const v = this.voices.get(key);
    if (v) { this.release(v, when); this.voices.delete(key); }
  }
  channelOff(channel, when) {
    for (const [key, v] of this.voices) {
      if (key.startsWith(`${channel}:`)) { this.release(v, when); this.voices.delete(key); }
    }
  }
  allOff() {  // panic: everything stops now, scheduled notes too
    const now = this.ctx.currentTime;
    for (const v of this.live) {
      v.gain.gain.cancelScheduledValues(now);
      v.gain.gain.setValueAtTime(0, now);
      try { v.src.stop(now); } catch (e) { /* not started */ }
    }
    this.live.clear();
    this.voices.clear();
  }
  // one engine event [t, channel, pitch, velocity] (pitch -1: all notes off on the channel)
  event(ev) {
    const [t, ch, pitch, vel] = ev;
    if (pitch < 0) this.channelOff(ch, t);
    else if (vel > 0) this.noteOn(ch, pitch, vel, t);
    else this.noteOff(ch, pitch, t);
  }
  // a list of [start, length, channel, pitch, velocity, program] from now (+ `delay` s), swung
  playNotes(notes, beat, swing = 0.5, delay = 0.1) {
    const t0 = this.ctx.currentTime + delay;
    const warp = (t) => swingTime(t, beat, swing);
    for (const [s, d, ch, p, v, prog] of notes) {
      const voice = this.start(ch, p, v, t0 + warp(s), prog);
      if (voice) this.release(voice, t0 + warp(s + d));
    }
    return t0;
  }
}

// Swing: within each beat, the first half is stretched to `swing` of the beat (0.5: straight).
export function swingTime(t, beat, swing) {
  const b = Math.floor(t / beat + 1e-9), x = t / beat - b;
  const y = x <= 0.5 ? x * swing / 0.5 : swing + (x - 0.5) * (1 - swing) / 0.5;
  return (b + y) * beat;
}
