// voicelab Player: queued PCM16 playback in the browser, with interrupt and played-ms reports.
//
// One AudioContext per page (globalThis.__voicelab.audio), created only once the page has had a
// user gesture; until then chunks wait in the queue and the view shows "click to enable audio".
// The queue lives at model level (initialize), so re-rendering the output keeps playing; a new
// Player (cell re-executed) reuses the enabled context without another click.
// Kernel → browser (msg:custom): {cmd: "chunk", stream, sr, channels, seq}, [Int16 PCM]
//                                {cmd: "interrupt", seq}
// Browser → kernel: {type: "state", state, audio_enabled}
//                   {type: "started", stream, seq, t}       epoch ms when the stream's first sample plays
//                   {type: "played", stream, ms, final, reason}
//                   {type: "interrupted", seq, streams: {id: ms}, reason}

function registry() {
  globalThis.__voicelab ??= { recorders: new Map(), players: new Map() };
  globalThis.__voicelab.audio ??= { ctx: null, listeners: new Set() };
  return globalThis.__voicelab;
}

function sharedAudio() {
  return registry().audio;
}

function runningContext() {
  const a = sharedAudio();
  return a.ctx && a.ctx.state === "running" ? a.ctx : null;
}

// Create (or resume) the page's AudioContext. Call from a click handler, or when the page has
// already had a gesture (sticky activation), which is what the autoplay policy asks for.
function enableAudio() {
  const a = sharedAudio();
  if (!a.ctx || a.ctx.state === "closed") {
    a.ctx = new AudioContext();
    a.ctx.onstatechange = () => { for (const fn of a.listeners) fn(); };
  }
  const resumed = a.ctx.state === "running" ? Promise.resolve() : a.ctx.resume();
  resumed.then(() => { for (const fn of a.listeners) fn(); }, () => {});
  return a.ctx;
}

function maybeEnableAudio() {
  if (runningContext()) return;
  const activated = navigator.userActivation ? navigator.userActivation.hasBeenActive : false;
  if (activated) enableAudio();
}

const nowEpochMs = () => performance.timeOrigin + performance.now();

class Playback {
  constructor(model) {
    this.model = model;
    this.pending = [];     // chunks waiting for a running AudioContext
    this.scheduled = [];   // {stream, start, dur, src, stopped}
    this.finished = new Map(); // stream → seconds already played to the end
    this.started = new Set();
    this.nextTime = 0;
    this.timer = null;
    this.state = "";
    this.listeners = new Set();
    this.lastReport = new Map();
    this.onAudio = () => this.pump();
    sharedAudio().listeners.add(this.onAudio);
  }

  notify() {
    for (const fn of this.listeners) fn(this);
  }

  setState(state) {
    const enabled = !!runningContext();
    if (state === this.state && enabled === this.enabled) return;
    this.state = state;
    this.enabled = enabled;
    this.model.send({ type: "state", state, audio_enabled: enabled });
    this.notify();
  }

  add(msg, buffers) {
    const channels = Math.max(1, msg.channels | 0);
    const buf = buffers && buffers[0];
    if (!buf) return;
    const view = buf instanceof DataView ? buf : new DataView(buf.buffer ?? buf, buf.byteOffset ?? 0, buf.byteLength);
    const frames = Math.floor(view.byteLength / 2 / channels);
    if (!frames) return;
    const data = [];
    for (let c = 0; c < channels; c++) data.push(new Float32Array(frames));
    for (let i = 0; i < frames; i++) {
      for (let c = 0; c < channels; c++) data[c][i] = view.getInt16((i * channels + c) * 2, true) / 32768;
    }
    this.pending.push({ stream: msg.stream, seq: msg.seq, sr: msg.sr, data, frames });
    maybeEnableAudio();
    this.pump();
  }

  pump() {
    const ctx = runningContext();
    if (!ctx) {
      this.setState("locked");
      return;
    }
    while (this.pending.length) {
      const item = this.pending.shift();
      const buffer = ctx.createBuffer(item.data.length, item.frames, item.sr);
      item.data.forEach((ch, c) => buffer.copyToChannel(ch, c));
      const src = ctx.createBufferSource();
      src.buffer = buffer;
      src.connect(ctx.destination);
      const start = Math.max(ctx.currentTime + 0.02, this.nextTime);
      src.start(start);
      this.nextTime = start + buffer.duration;
      const entry = { stream: item.stream, start, dur: buffer.duration, src, stopped: false };
      src.onended = () => this.ended(entry);
      this.scheduled.push(entry);
      if (!this.started.has(item.stream)) {
        this.started.add(item.stream);
        const latency = (ctx.outputLatency || 0) + (ctx.baseLatency || 0);
        this.model.send({
          type: "started", stream: item.stream, seq: item.seq,
          t: nowEpochMs() + (start - ctx.currentTime + latency) * 1000,
        });
      }
    }
    if (this.scheduled.length) {
      this.setState("playing");
      if (!this.timer) this.timer = setInterval(() => this.report(false), 100);
    } else {
      this.setState("idle");
    }
  }

  playedSeconds(stream) {
    const ctx = runningContext();
    let s = this.finished.get(stream) || 0;
    if (ctx) {
      const now = ctx.currentTime;
      for (const e of this.scheduled) {
        if (e.stream === stream) s += Math.min(e.dur, Math.max(0, now - e.start));
      }
    }
    return s;
  }

  activeStreams() {
    const streams = new Set(this.scheduled.map((e) => e.stream));
    for (const p of this.pending) streams.add(p.stream);
    return streams;
  }

  report(final, reason = "") {
    for (const stream of this.activeStreams()) {
      const ms = Math.round(this.playedSeconds(stream) * 10000) / 10;
      if (!final && this.lastReport.get(stream) === ms) continue;
      this.lastReport.set(stream, ms);
      this.model.send({ type: "played", stream, ms, final, reason });
    }
    this.notify();
  }

  ended(entry) {
    if (entry.stopped) return;
    const i = this.scheduled.indexOf(entry);
    if (i < 0) return;
    this.scheduled.splice(i, 1);
    this.finished.set(entry.stream, (this.finished.get(entry.stream) || 0) + entry.dur);
    const stillPlaying = this.scheduled.some((e) => e.stream === entry.stream)
      || this.pending.some((p) => p.stream === entry.stream);
    if (!stillPlaying) {
      const ms = Math.round(this.finished.get(entry.stream) * 10000) / 10;
      this.model.send({ type: "played", stream: entry.stream, ms, final: true, reason: "finished" });
    }
    if (!this.scheduled.length && !this.pending.length) this.idle();
  }

  idle() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.nextTime = 0;
    this.setState(runningContext() ? "idle" : "locked");
  }

  interrupt(seq, reason) {
    const streams = {};
    for (const stream of this.activeStreams()) streams[stream] = Math.round(this.playedSeconds(stream) * 10000) / 10;
    for (const e of this.scheduled) {
      e.stopped = true;
      try { e.src.stop(); } catch (_) { /* never started */ }
      e.src.disconnect();
    }
    this.scheduled = [];
    this.pending = [];
    for (const [stream, ms] of Object.entries(streams)) {
      this.finished.set(stream, ms / 1000);
      this.model.send({ type: "played", stream, ms, final: true, reason });
    }
    this.model.send({ type: "interrupted", seq: seq ?? null, streams, reason });
    this.idle();
    this.notify();
  }

  dispose() {
    this.interrupt(null, "closed");
    sharedAudio().listeners.delete(this.onAudio);
  }
}

function initialize({ model }) {
  const uid = model.get("_uid");
  const playback = new Playback(model);
  registry().players.set(uid, playback);
  const onMsg = (msg, buffers) => {
    if (!msg || typeof msg !== "object") return;
    if (msg.cmd === "chunk") playback.add(msg, buffers);
    else if (msg.cmd === "interrupt") playback.interrupt(msg.seq, "interrupted");
  };
  model.on("msg:custom", onMsg);
  maybeEnableAudio();
  playback.pump();
  return () => {
    model.off("msg:custom", onMsg);
    playback.dispose();
    registry().players.delete(uid);
  };
}

function render({ model, el }) {
  const playback = registry().players.get(model.get("_uid"));
  const root = document.createElement("div");
  root.className = "voicelab-player";
  root.style.cssText = "display:flex;align-items:center;gap:10px;font:13px sans-serif;padding:4px 0";
  const enable = document.createElement("button");
  enable.className = "voicelab-enable-audio";
  enable.textContent = "🔈 Click to enable audio";
  enable.style.cssText = "padding:4px 10px;cursor:pointer";
  const stop = document.createElement("button");
  stop.className = "voicelab-stop";
  stop.textContent = "■ Stop playback";
  stop.style.cssText = "padding:4px 10px;cursor:pointer";
  const status = document.createElement("span");
  status.className = "voicelab-status";
  root.append(enable, stop, status);
  el.appendChild(root);

  const draw = () => {
    const locked = !runningContext();
    enable.style.display = locked ? "" : "none";
    const state = playback ? playback.state : "";
    root.dataset.state = locked ? "locked" : state;
    stop.disabled = state !== "playing";
    const stream = model.get("stream_id");
    const played = playback && stream ? playback.playedSeconds(stream) : 0;
    status.textContent = locked
      ? (playback && playback.pending.length ? `${playback.pending.length} chunk(s) waiting` : "")
      : state === "playing" ? `playing · ${played.toFixed(1)} s` : played > 0 ? `played ${played.toFixed(1)} s` : "ready";
  };
  enable.addEventListener("click", () => {
    enableAudio();
    playback && playback.pump();
    draw();
  });
  stop.addEventListener("click", () => playback && playback.interrupt(null, "user"));
  const listener = () => draw();
  playback && playback.listeners.add(listener);
  sharedAudio().listeners.add(listener);
  draw();
  return () => {
    playback && playback.listeners.delete(listener);
    sharedAudio().listeners.delete(listener);
  };
}

export default { initialize, render };
