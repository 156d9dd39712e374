// The Blues tab: train the headline model with a live loss curve, then free-run it and
// play it with a bar-by-bar chord-match meter.
const $ = (id) => document.getElementById(id);

export function setupBlues(sampler, socket) {
  const state = { losses: [], rollout: null, done: null };
  window.studio.blues = state;
  const canvas = $("blues-loss"), g = canvas.getContext("2d");
  const drawLoss = () => {
    g.fillStyle = "#111827"; g.fillRect(0, 0, canvas.width, canvas.height);
    if (!state.losses.length) return;
    const epochs = state.losses[state.losses.length - 1].epochs;
    const top = Math.max(...state.losses.map((p) => p.loss));
    g.strokeStyle = "#f97316"; g.lineWidth = 2; g.beginPath();
    state.losses.forEach((p, i) => {
      const x = (p.epoch / epochs) * (canvas.width - 20) + 10, y = canvas.height - 10 - (p.loss / top) * (canvas.height - 20);
      if (i) g.lineTo(x, y); else g.moveTo(x, y);
    });
    g.stroke();
    g.fillStyle = "#e5e7eb";
    const last = state.losses[state.losses.length - 1];
    g.fillText(`epoch ${last.epoch}/${epochs}  loss ${last.loss.toFixed(3)}  chord acc ${last.chord_acc.toFixed(3)}  pitch acc ${last.pitch_acc.toFixed(3)}`, 14, 16);
  };
  socket.on("blues_progress", (p) => { state.losses.push(p); drawLoss(); });
  socket.on("blues_done", (d) => {
    state.done = d;
    $("blues-info").textContent = `trained in ${d.seconds} s: teacher-forced chord accuracy ${d.chord_acc}, pitch ${d.pitch_acc}; run folder ${d.run}`;
    $("blues-run").disabled = false;
  });
  socket.on("blues_rollout", (r) => {
    state.rollout = r;
    const meter = $("blues-meter");
    meter.innerHTML = "";
    for (const b of r.bars) {
      const el = document.createElement("div");
      el.className = `bar ${b.match ? "match" : "miss"}`;
      el.textContent = `${b.bar}: ${b.chord}`;
      el.title = `form: ${b.form}`;
      meter.append(el);
    }
    $("blues-info").textContent = `${r.bars.length} bars; the chord at the bar onset matches the form at ${(100 * r.bar_onset_match).toFixed(1)}% of them`;
    const t0 = sampler.playNotes(r.midi.notes, r.midi.beat_seconds, 0.62);
    const barSeconds = 4 * r.midi.beat_seconds;   // 8 eighths a bar, 4 beats
    const cells = [...meter.children];
    const tick = () => {
      const k = Math.floor((sampler.ctx.currentTime - t0) / barSeconds);
      cells.forEach((c, i) => c.classList.toggle("now", i === k));
      if (k < cells.length && state.rollout === r) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  $("blues-train").onclick = () => {
    state.losses = []; drawLoss();
    $("blues-info").textContent = "training...";
    socket.send({ type: "blues_train", epochs: Number($("blues-epochs").value), seed: Number($("blues-seed").value) });
  };
  $("blues-run").onclick = () => socket.send({ type: "blues_run", choruses: Number($("blues-choruses").value), seed: Number($("blues-seed").value) });
  drawLoss();
}
