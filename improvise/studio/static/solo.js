// The Solo tab: a solo over a lead sheet from the server's soloist; its score (verovio SVG),
// audio (WAV), downloads, piano roll, and in-browser playback (solo.mid: comping, swung by the server).
import { PianoRoll } from "./roll.js";

const $ = (id) => document.getElementById(id);

export function setupSolo(sampler) {
  const roll = new PianoRoll($("solo-roll"));
  const state = { result: null, fileText: null, fileExt: null, playing: null };
  window.studio.solo = state;
  fetch("/api/tunes").then((r) => r.json()).then(({ titles }) => {
    for (const t of titles) { const o = document.createElement("option"); o.textContent = t; $("solo-title").append(o); }
  });
  $("solo-file").onchange = async () => {
    const f = $("solo-file").files[0];
    if (!f) return;
    state.fileText = await f.text();
    state.fileExt = f.name.split(".").pop();
    $("solo-text").value = state.fileText.slice(0, 20000);
  };
  const request = (extra) => {
    const seed = $("solo-seed").value;
    const body = {
      key: $("solo-key").value || null, tempo: Number($("solo-tempo").value),
      choruses: Number($("solo-choruses").value), temperature: Number($("solo-temperature").value),
      swing: Number($("solo-swing").value), ...extra,
    };
    if (seed !== "") body.seed = Number(seed);
    if ($("solo-title").value) body.title = $("solo-title").value;
    else { body.text = $("solo-text").value; body.ext = state.fileExt && state.fileText === $("solo-text").value ? state.fileExt : "txt"; }
    return generate(body);
  };
  const generate = async (body) => {
    $("solo-info").textContent = "generating...";
    const r = await fetch("/api/solo", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    const doc = await r.json();
    if (!r.ok) { $("solo-info").textContent = doc.error; state.error = doc.error; return doc; }
    show(doc);
    return doc;
  };
  const show = (doc) => {
    state.result = doc;
    const base = `/runs/${doc.folder}`, bust = `?v=${Date.now()}`;
    $("solo-svg").src = `${base}/solo.svg${bust}`;
    if (doc.files.includes("solo.wav")) $("solo-audio").src = `${base}/solo.wav${bust}`;
    $("solo-downloads").innerHTML = ["solo.mid", "solo.musicxml", "solo.wav"].filter((f) => doc.files.includes(f))
      .map((f) => `<a href="${base}/${f}" download>${f.split(".")[1].replace("musicxml", "MusicXML").toUpperCase()}</a>`).join(" ");
    const m = doc.metrics;
    $("solo-info").textContent = `${doc.leadsheet} in ${doc.key}: ${m.notes} notes, chord-tone rate ` +
      `${m.chord_tone_rate.toFixed(3)}, seed ${doc.seed}; bars: ` + doc.bars.map((b) => b.join(" ")).join(" | ");
    roll.setNotes(doc.midi.notes);
    roll.draw(0, 0, doc.midi.seconds);
    $("solo-play").disabled = false;
    $("solo-regen").disabled = false;
  };
  state.generate = generate;
  $("solo-go").onclick = () => request({});
  $("solo-regen").onclick = () => request({ regenerate: $("solo-bars").value, folder: state.result.folder });
  $("solo-play").onclick = () => {
    const midi = state.result.midi;
    sampler.allOff();
    state.playing = sampler.playNotes(midi.notes, midi.beat_seconds, 0.5);   // solo.mid is swung already
  };
  $("solo-stop").onclick = () => sampler.allOff();
}
