// voicelab Recorder: microphone → AudioWorklet (native rate) → binary buffers to the kernel.
//
// The capture lives at model level (initialize), so re-rendering the output does not stop a
// recording; views only draw the button, the level meter and the status line.
// Messages to the kernel (content, buffers):
//   {type: "start", sr, channels}                       capture began at the context's native rate
//   {type: "chunk", sr, seq, t, level}, [Float32Array]   mono float32 samples at `sr`
//   {type: "stop", seq}                                 capture ended; `seq` chunks were sent
//   {type: "error", name, message}                      getUserMedia / AudioContext failure
//   {type: "ready"}                                     a browser holds the widget (sent once, on initialize)

const WORKLET = `
class VoicelabCapture extends AudioWorkletProcessor {
  constructor(options) {
    super();
    this.frames = Math.max(128, options.processorOptions.frames | 0);
    this.buf = new Float32Array(this.frames);
    this.n = 0;
    this.peak = 0;
    this.port.onmessage = (e) => { if (e.data === "flush") this.flush(true); };
  }
  flush(final) {
    const out = this.buf.slice(0, this.n);
    this.port.postMessage({ samples: out, peak: this.peak, final }, [out.buffer]);
    this.n = 0;
    this.peak = 0;
  }
  process(inputs) {
    const input = inputs[0];
    if (input && input.length) {
      const ch0 = input[0];
      const chs = input.length;
      for (let i = 0; i < ch0.length; i++) {
        let v = 0;
        for (let c = 0; c < chs; c++) v += input[c][i];
        v /= chs;
        this.buf[this.n++] = v;
        const a = v < 0 ? -v : v;
        if (a > this.peak) this.peak = a;
        if (this.n === this.frames) this.flush(false);
      }
    }
    return true;
  }
}
registerProcessor("voicelab-capture", VoicelabCapture);
`;

function registry() {
  globalThis.__voicelab ??= { recorders: new Map(), players: new Map() };
  return globalThis.__voicelab;
}

function describeError(err) {
  const name = (err && err.name) || "Error";
  if (name === "NotAllowedError" || name === "SecurityError") {
    return [name, "Microphone permission denied: allow microphone access for this page in the browser's site settings, then click record again."];
  }
  if (name === "NotFoundError" || name === "OverconstrainedError") {
    return [name, "No microphone found: connect an input device (or enable one in the system settings), then click record again."];
  }
  if (name === "NotReadableError") {
    return [name, "The microphone is busy or unreadable: close other applications using it, then click record again."];
  }
  if (typeof navigator === "undefined" || !navigator.mediaDevices) {
    return ["NotSupportedError", "This page cannot use the microphone (it must be served over https or from localhost)."];
  }
  return [name, `Could not start the microphone: ${(err && err.message) || err}`];
}

class Capture {
  constructor(model) {
    this.model = model;
    this.state = "idle";
    this.level = 0;
    this.seq = 0;
    this.listeners = new Set();
    this.ctx = null;
    this.stream = null;
    this.node = null;
    this.stopping = null;
  }

  notify() {
    for (const fn of this.listeners) fn(this);
  }

  setState(state, error = "") {
    this.state = state;
    this.model.set("state", state);
    this.model.set("error", error);
    this.model.save_changes();
    this.notify();
  }

  async start() {
    if (this.state === "recording" || this.state === "requesting") return;
    this.setState("requesting");
    try {
      if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
        throw Object.assign(new Error("mediaDevices unavailable"), { name: "NotSupportedError" });
      }
      this.stream = await navigator.mediaDevices.getUserMedia({
        audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true, channelCount: 1 },
        video: false,
      });
      this.ctx = new AudioContext(); // the device's native rate; the kernel resamples to 24 kHz
      const url = URL.createObjectURL(new Blob([WORKLET], { type: "application/javascript" }));
      try {
        await this.ctx.audioWorklet.addModule(url);
      } finally {
        URL.revokeObjectURL(url);
      }
      const chunkMs = this.model.get("chunk_ms") || 20;
      const frames = Math.round((this.ctx.sampleRate * chunkMs) / 1000);
      this.node = new AudioWorkletNode(this.ctx, "voicelab-capture", {
        numberOfInputs: 1,
        numberOfOutputs: 1,
        outputChannelCount: [1],
        processorOptions: { frames },
      });
      this.seq = 0;
      this.node.port.onmessage = (e) => this.onSamples(e.data);
      const source = this.ctx.createMediaStreamSource(this.stream);
      const mute = this.ctx.createGain();
      mute.gain.value = 0; // keep the node pulled by the graph without echoing the mic
      source.connect(this.node).connect(mute).connect(this.ctx.destination);
      this.source = source;
      if (this.ctx.state !== "running") await this.ctx.resume();
      this.model.send({ type: "start", sr: this.ctx.sampleRate, channels: 1 });
      this.setState("recording");
    } catch (err) {
      this.release();
      const [name, message] = describeError(err);
      this.model.send({ type: "error", name, message });
      this.setState("error", message);
    }
  }

  onSamples(data) {
    const samples = data.samples;
    this.level = data.peak;
    this.notify();
    if (samples.length && this.ctx) {
      this.model.send(
        { type: "chunk", sr: this.ctx.sampleRate, seq: this.seq++, t: performance.timeOrigin + performance.now(), level: data.peak },
        undefined,
        [samples.buffer],
      );
    }
    if (data.final && this.stopping) {
      const done = this.stopping;
      this.stopping = null;
      done();
    }
  }

  async stop() {
    if (this.state !== "recording") return;
    this.setState("stopping");
    await new Promise((resolve) => {
      this.stopping = resolve;
      this.node.port.postMessage("flush");
      setTimeout(() => { if (this.stopping) { this.stopping = null; resolve(); } }, 500);
    });
    this.release();
    this.model.send({ type: "stop", seq: this.seq });
    this.level = 0;
    this.setState("idle");
  }

  release() {
    try { this.source && this.source.disconnect(); } catch (_) { /* already gone */ }
    try { this.node && this.node.disconnect(); } catch (_) { /* already gone */ }
    if (this.stream) for (const track of this.stream.getTracks()) track.stop();
    if (this.ctx && this.ctx.state !== "closed") this.ctx.close();
    this.ctx = this.stream = this.node = this.source = null;
  }
}

function initialize({ model }) {
  const uid = model.get("_uid");
  const capture = new Capture(model);
  registry().recorders.set(uid, capture);
  const onMsg = (msg) => {
    if (!msg || typeof msg !== "object") return;
    if (msg.cmd === "start") capture.start();
    else if (msg.cmd === "stop") capture.stop();
  };
  model.on("msg:custom", onMsg);
  model.send({ type: "ready" });
  return () => {
    model.off("msg:custom", onMsg);
    capture.release();
    registry().recorders.delete(uid);
  };
}

function render({ model, el }) {
  const capture = registry().recorders.get(model.get("_uid"));
  const root = document.createElement("div");
  root.className = "voicelab-recorder";
  root.style.cssText = "display:flex;align-items:center;gap:10px;font:13px sans-serif;padding:4px 0";
  const button = document.createElement("button");
  button.className = "voicelab-record";
  button.style.cssText = "min-width:96px;padding:4px 10px;cursor:pointer";
  const meter = document.createElement("div");
  meter.style.cssText = "width:140px;height:10px;background:#ddd;border-radius:5px;overflow:hidden";
  const bar = document.createElement("div");
  bar.className = "voicelab-level";
  bar.style.cssText = "height:100%;width:0%;background:#2e8b57;transition:width 60ms linear";
  meter.appendChild(bar);
  const status = document.createElement("span");
  status.className = "voicelab-status";
  root.append(button, meter, status);
  el.appendChild(root);

  const draw = (c) => {
    const state = c ? c.state : model.get("state");
    const recording = state === "recording";
    button.textContent = recording ? "■ Stop" : state === "requesting" ? "… Starting" : "● Record";
    button.disabled = state === "requesting" || state === "stopping";
    button.dataset.state = state;
    const level = c ? c.level : 0;
    bar.style.width = `${Math.min(100, Math.round(Math.sqrt(level) * 100))}%`;
    const err = model.get("error");
    status.style.color = state === "error" ? "#b00020" : "#555";
    const note = model.get("note");
    status.textContent = state === "error" ? err
      : recording && c && c.ctx ? `recording at ${c.ctx.sampleRate} Hz${note ? ` · ${note}` : ""}`
        : state === "idle" && model.get("duration") > 0 ? `${model.get("duration").toFixed(1)} s recorded`
          : note;
  };
  button.addEventListener("click", () => {
    if (!capture) return;
    if (capture.state === "recording") capture.stop();
    else capture.start();
  });
  const listener = (c) => draw(c);
  capture && capture.listeners.add(listener);
  const onChange = () => draw(capture);
  model.on("change:duration", onChange);
  model.on("change:error", onChange);
  model.on("change:note", onChange);
  draw(capture);
  return () => {
    capture && capture.listeners.delete(listener);
    model.off("change:duration", onChange);
    model.off("change:error", onChange);
    model.off("change:note", onChange);
  };
}

export default { initialize, render };
