// The studio page: tabs, the Jam tab's wiring, and `window.studio` (what the tests drive).
// The engine runs in the server; this page only captures input and plays sound.
import { EngineSocket } from "./ws.js";
import { Sampler } from "./audio.js";
import { PianoRoll } from "./roll.js";
import { KeyboardInput, connectMidi } from "./input.js";
import { setupSolo } from "./solo.js";
import { setupBlues } from "./blues.js";

const $ = (id) => document.getElementById(id);
const ctx = new AudioContext({ latencyHint: "interactive" });
const sampler = new Sampler(ctx);
const socket = new EngineSocket(`ws://${location.host}/ws`);
const roll = new PianoRoll($("roll"), { low: 28, high: 96, span: 8 });
const log = { events: [], errors: [], states: [], sent: [] };
const studio = { ctx, sampler, socket, roll, log, state: null };
window.studio = studio;

for (const b of document.querySelectorAll(".tab")) {
  b.onclick = () => {
    for (const x of document.querySelectorAll(".tab, .panel")) x.classList.remove("active");
    b.classList.add("active");
    $(b.dataset.tab).classList.add("active");
  };
}
const resume = () => { if (ctx.state !== "running") ctx.resume(); };
window.addEventListener("pointerdown", resume);
window.addEventListener("keydown", resume);

// ---- engine -> page ------------------------------------------------------------------------
socket.on("notes", (msg) => {
  const arrived = sampler.now();
  for (const ev of msg.events) {
    sampler.event(ev);
    roll.event(...ev);
    if (log.events.length < 400000) log.events.push([...ev, arrived, msg.ack != null ? 1 : 0]);
  }
});
socket.on("state", (s) => {
  studio.state = s;
  log.states.push(s);
  for (const b of document.querySelectorAll(".mode")) b.classList.toggle("active", b.dataset.mode === s.mode);
  $("jam-state").textContent = `${s.running ? "playing" : "stopped"}, ${s.mode}` +
    (s.recording ? `, recording ${s.recording}` : "") + (s.replacing ? ", machine answering" : "") +
    (s.layers.length ? `; loops: ${s.layers.join(", ")}` : "");
  $("tempo").value = Math.round(s.tempo * 100) / 100;
  $("bars").value = s.bars;
  if ([...$("meter").options].some((o) => o.value === s.meter)) $("meter").value = s.meter;
  $("click").checked = s.click;
  $("drums").value = s.drums;
  if (s.running && s.loop_start != null) roll.span = Math.max(4, (s.bars * s.steps_per_bar * s.step_seconds));
});
socket.on("panic", () => sampler.allOff());
socket.on("error", (m) => { log.errors.push(m.error); $("jam-info").textContent = m.error; });
socket.on("saved", (m) => { $("jam-info").textContent = `saved ${m.path}`; });
socket.on("welcome", (m) => { studio.session = m.session; });
socket.on("closed", () => { $("status").textContent = "disconnected"; });

// ---- page -> engine -------------------------------------------------------------------------
const running = () => ctx.state === "running";   // before the first click, the audio clock stands still
studio.note = (pitch, velocity) => {
  if (!running()) return Promise.resolve(null);
  const t = sampler.now();
  if (log.sent.length < 400000) log.sent.push([t, pitch, velocity]);
  return socket.request({ type: "note", pitch, velocity, t });
};
studio.cc = (control, value) => running() ? socket.request({ type: "cc", control, value, t: sampler.now() }) : null;
studio.send = (msg) => socket.send(msg);
studio.panic = () => { sampler.allOff(); socket.send({ type: "panic" }); };
studio.measureRoundTrip = async (n, pitch = 60) => {   // ms from a key to the engine's answer
  const ms = [];
  for (let i = 0; i < n; i++) {
    for (const vel of [90, 0]) {
      const t0 = performance.now();
      await studio.note(pitch + (i % 12), vel);
      if (vel) ms.push(performance.now() - t0);
    }
  }
  return ms;
};
new KeyboardInput((pitch, velocity) => { resume(); studio.note(pitch, velocity); });
$("midi").onclick = async () => {
  try { $("jam-info").textContent = await connectMidi((p, v) => studio.note(p, v), (c, v) => studio.cc(c, v)); }
  catch (e) { $("jam-info").textContent = `no MIDI: ${e.message}`; }
};
const config = () => socket.send({
  type: "config", tempo: Number($("tempo").value), bars: Number($("bars").value), meter: $("meter").value,
  click: $("click").checked, drums: $("drums").value,
});
for (const id of ["tempo", "bars", "meter", "click", "drums"]) $(id).onchange = config;
$("start").onclick = () => { resume(); socket.send({ type: "start" }); };
$("stop").onclick = () => socket.send({ type: "stop" });
$("panic").onclick = () => studio.panic();
$("save").onclick = () => socket.send({ type: "save" });
for (const b of document.querySelectorAll(".mode")) b.onclick = () => socket.send({ type: "mode", mode: b.dataset.mode });
window.addEventListener("pagehide", () => { sampler.allOff(); socket.send({ type: "panic" }); socket.close(); });

function frame() { roll.draw(sampler.now()); requestAnimationFrame(frame); }

studio.ready = (async () => {
  const manifest = await sampler.load("/sounds");
  await socket.ready;
  if (!running()) {
    $("status").textContent = "click anywhere (or press a key) to start the sound";
    await new Promise((ok) => { ctx.onstatechange = () => { if (running()) ok(); }; });
  }
  socket.send({ type: "hello", t: sampler.now() });
  setInterval(() => { if (running()) socket.send({ type: "ping", t: sampler.now(), id: 0 }); }, 500);
  $("status").textContent = `connected; sounds: ${manifest.synth}`;
  setupSolo(sampler);
  setupBlues(sampler, socket);
  requestAnimationFrame(frame);
  return true;
})();
