// voicelab live conversation views.
//
// mode "kernel": a transcript and status view; audio flows through the kernel's RealtimeSession
//                (the Recorder and Player widgets sit beside this view).
// mode "direct": the browser talks to the Realtime API itself: microphone → WebSocket → speaker,
//                authenticated with an ephemeral key (subprotocol "openai-insecure-api-key.<ek_…>")
//                that the kernel minted. The real API key never comes here.
//                transport "webrtc": as OpenAI's WebRTC guide does — RTCPeerConnection with the
//                microphone's track, data channel "oai-events", the SDP offer POSTed to the calls URL
//                with the ephemeral key, the answer's audio on the remote track (an <audio> element).
// Browser → kernel (direct mode): {type: "need_key"}, {type: "event", event} (server events without
// audio payloads), {type: "sent", event} (client events without audio), {type: "transcript", lines},
// {type: "state", state, error}, {type: "call", call_id} (WebRTC: the call id from the Location header).

const CAPTURE_WORKLET = `
class VoicelabLiveCapture extends AudioWorkletProcessor {
  constructor(options) {
    super();
    this.frames = options.processorOptions.frames | 0;
    this.buf = new Float32Array(this.frames);
    this.n = 0;
  }
  process(inputs) {
    const input = inputs[0];
    if (input && input.length) {
      const ch = input[0];
      for (let i = 0; i < ch.length; i++) {
        this.buf[this.n++] = ch[i];
        if (this.n === this.frames) {
          const out = this.buf.slice(0);
          this.port.postMessage(out, [out.buffer]);
          this.n = 0;
        }
      }
    }
    return true;
  }
}
registerProcessor("voicelab-live-capture", VoicelabLiveCapture);
`;

const RATE = 24000;

function drawTranscript(list, lines) {
  list.replaceChildren();
  for (const line of lines || []) {
    const row = document.createElement("div");
    row.className = `voicelab-line voicelab-${line.role}`;
    row.style.cssText = `margin:2px 0;${line.role === "assistant" ? "color:#1f4e9c" : "color:#222"}`;
    const who = document.createElement("b");
    who.textContent = `${line.role}: `;
    row.append(who, document.createTextNode(line.text));
    list.appendChild(row);
  }
  list.scrollTop = list.scrollHeight;
}

function shell(el, withButton) {
  const root = document.createElement("div");
  root.className = "voicelab-live";
  root.style.cssText = "font:13px sans-serif;border:1px solid #ccc;border-radius:6px;padding:6px 8px;max-width:640px";
  const bar = document.createElement("div");
  bar.style.cssText = "display:flex;gap:10px;align-items:center;margin-bottom:4px";
  const button = document.createElement("button");
  button.className = "voicelab-live-toggle";
  button.style.cssText = "padding:4px 10px;cursor:pointer";
  const status = document.createElement("span");
  status.className = "voicelab-live-status";
  if (withButton) bar.appendChild(button);
  bar.appendChild(status);
  const list = document.createElement("div");
  list.className = "voicelab-transcript";
  list.style.cssText = "max-height:220px;overflow-y:auto";
  root.append(bar, list);
  el.appendChild(root);
  return { root, button, status, list };
}

// ---------------------------------------------------------------- browser-direct client
function toBase64(int16) {
  const bytes = new Uint8Array(int16.buffer, int16.byteOffset, int16.byteLength);
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function fromBase64(text) {
  const s = atob(text);
  const bytes = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
  return new Int16Array(bytes.buffer, 0, bytes.length >> 1);
}

function slim(event) {
  const out = { ...event };
  if (typeof out.delta === "string" && out.type === "response.output_audio.delta") out.delta = `<${out.delta.length} b64 chars>`;
  if (typeof out.audio === "string") out.audio = `<${out.audio.length} b64 chars>`;
  return out;
}

function startFailure(err) {
  const name = err && err.name;
  return name === "NotAllowedError" ? "Microphone permission denied: allow microphone access for this page, then click start again."
    : name === "NotFoundError" ? "No microphone found: connect an input device, then click start again."
      : `Could not start: ${(err && err.message) || err}`;
}

class DirectClient {
  constructor(model) {
    this.model = model;
    this.state = "idle";
    this.error = "";
    this.lines = [];
    this.itemLine = new Map();
    this.listeners = new Set();
    this.entries = [];       // scheduled output audio {item, start, dur, src}
    this.received = new Map(); // item → ms received
    this.nextTime = 0;
  }

  notify() { for (const fn of this.listeners) fn(this); }

  setState(state, error = "") {
    this.state = state;
    this.error = error;
    this.model.send({ type: "state", state, error });
    this.notify();
  }

  async key() {
    const secret = this.model.get("client_secret");
    const expires = this.model.get("expires_at");
    if (secret && expires * 1000 > Date.now() + 5000) return secret;
    return new Promise((resolve, reject) => {
      const done = () => { this.model.off("change:client_secret", done); resolve(this.model.get("client_secret")); };
      this.model.on("change:client_secret", done);
      this.model.send({ type: "need_key" });
      setTimeout(() => reject(new Error("the kernel did not mint a key within 10 s")), 10000);
    });
  }

  send(event) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(JSON.stringify(event));
    if (event.type !== "input_audio_buffer.append") this.model.send({ type: "sent", event: slim(event) });
  }

  async start() {
    if (this.state === "live" || this.state === "connecting") return;
    this.setState("connecting");
    try {
      const secret = await this.key();
      this.ctx = new AudioContext({ sampleRate: RATE });
      this.stream = await navigator.mediaDevices.getUserMedia({
        audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true, channelCount: 1 },
      });
      const url = URL.createObjectURL(new Blob([CAPTURE_WORKLET], { type: "application/javascript" }));
      try { await this.ctx.audioWorklet.addModule(url); } finally { URL.revokeObjectURL(url); }
      this.node = new AudioWorkletNode(this.ctx, "voicelab-live-capture", {
        processorOptions: { frames: RATE / 50 }, outputChannelCount: [1],
      });
      const mute = this.ctx.createGain();
      mute.gain.value = 0;
      this.source = this.ctx.createMediaStreamSource(this.stream);
      this.source.connect(this.node).connect(mute).connect(this.ctx.destination);
      if (this.ctx.state !== "running") await this.ctx.resume();
      await new Promise((resolve, reject) => {
        const ws = new WebSocket(this.model.get("url"), ["realtime", `openai-insecure-api-key.${secret}`]);
        this.ws = ws;
        ws.onopen = () => resolve();
        ws.onerror = () => reject(new Error("could not open the Realtime WebSocket"));
        ws.onclose = (e) => this.closed(e);
        ws.onmessage = (e) => this.receive(JSON.parse(e.data));
      });
      this.send({ type: "session.update", session: this.model.get("session") });
      this.node.port.onmessage = (e) => {
        const f = e.data;
        const pcm = new Int16Array(f.length);
        for (let i = 0; i < f.length; i++) pcm[i] = Math.max(-32768, Math.min(32767, Math.round(f[i] * 32767)));
        this.send({ type: "input_audio_buffer.append", audio: toBase64(pcm) });
      };
      this.setState("live");
    } catch (err) {
      this.release();
      this.setState("error", startFailure(err));
    }
  }

  closed(e) {
    if (this.state === "live" || this.state === "connecting") {
      const clean = e.code === 1000 || e.code === 1005;
      this.release();
      this.setState(clean ? "closed" : "error", clean ? "" : `connection closed (${e.code}${e.reason ? ": " + e.reason : ""})`);
    }
  }

  stop() {
    if (this.ws) { try { this.ws.close(1000); } catch (_) { /* closed */ } }
    this.release();
    this.setState("closed");
  }

  release() {
    this.stopPlayback();
    if (this.node) this.node.port.onmessage = null;
    try { this.source && this.source.disconnect(); } catch (_) { /* gone */ }
    if (this.stream) for (const t of this.stream.getTracks()) t.stop();
    if (this.ctx && this.ctx.state !== "closed") this.ctx.close();
    this.ctx = this.stream = this.node = this.source = null;
  }

  line(itemId, role) {
    let line = this.itemLine.get(itemId);
    if (!line) {
      line = { role, text: "" };
      this.itemLine.set(itemId, line);
      this.lines.push(line);
    }
    return line;
  }

  publishTranscript() {
    this.model.send({ type: "transcript", lines: this.lines.map((l) => ({ role: l.role, text: l.text })) });
    this.notify();
  }

  receive(event) {
    const type = event.type;
    if (type === "response.output_audio.delta") {
      this.play(event.item_id, fromBase64(event.delta));
      return;
    }
    this.model.send({ type: "event", event: slim(event) });
    if (type === "conversation.item.added" && event.item && event.item.type === "message") {
      const role = event.item.role;
      if (role === "user" || role === "assistant") this.line(event.item.id, role);
    } else if (type === "conversation.item.input_audio_transcription.completed") {
      this.line(event.item_id, "user").text = event.transcript;
      this.publishTranscript();
    } else if (type === "response.output_audio_transcript.delta") {
      this.line(event.item_id, "assistant").text += event.delta;
      this.notify();
    } else if (type === "response.output_audio_transcript.done") {
      this.line(event.item_id, "assistant").text = event.transcript;
      this.publishTranscript();
    } else if (type === "input_audio_buffer.speech_started") {
      this.bargeIn();
    } else if (type === "error") {
      this.error = (event.error && event.error.message) || "server error";
      this.notify();
    }
  }

  play(itemId, pcm) {
    if (!this.ctx || !pcm.length) return;
    const buffer = this.ctx.createBuffer(1, pcm.length, RATE);
    const ch = buffer.getChannelData(0);
    for (let i = 0; i < pcm.length; i++) ch[i] = pcm[i] / 32768;
    const src = this.ctx.createBufferSource();
    src.buffer = buffer;
    src.connect(this.ctx.destination);
    const start = Math.max(this.ctx.currentTime + 0.02, this.nextTime);
    src.start(start);
    this.nextTime = start + buffer.duration;
    this.entries.push({ item: itemId, start, dur: buffer.duration, src });
    this.received.set(itemId, (this.received.get(itemId) || 0) + (pcm.length / RATE) * 1000);
  }

  playedMs(itemId) {
    if (!this.ctx) return 0;
    const now = this.ctx.currentTime;
    let s = 0;
    for (const e of this.entries) if (e.item === itemId) s += Math.min(e.dur, Math.max(0, now - e.start));
    return s * 1000;
  }

  bargeIn() {
    if (!this.ctx) return;
    const now = this.ctx.currentTime;
    const playing = this.entries.find((e) => now < e.start + e.dur);
    if (!playing) return;
    const item = playing.item;
    const played = Math.floor(Math.min(this.playedMs(item), this.received.get(item) || 0));
    this.stopPlayback();
    this.send({ type: "conversation.item.truncate", item_id: item, content_index: 0, audio_end_ms: played });
  }

  stopPlayback() {
    for (const e of this.entries) { try { e.src.stop(); } catch (_) { /* not started */ } }
    this.entries = [];
    this.nextTime = 0;
  }
}

// ---------------------------------------------------------------- browser-direct client over WebRTC
class WebRTCClient extends DirectClient {
  send(event) {
    if (!this.dc || this.dc.readyState !== "open") return;
    this.dc.send(JSON.stringify(event));
    this.model.send({ type: "sent", event: slim(event) });
  }

  async start() {
    if (this.state === "live" || this.state === "connecting") return;
    this.setState("connecting");
    try {
      const secret = await this.key();
      const pc = new RTCPeerConnection();
      this.pc = pc;
      this.audio = document.createElement("audio");
      this.audio.autoplay = true;
      pc.ontrack = (e) => { this.audio.srcObject = e.streams[0]; };
      // The microphone opens once the call is up (its track replaces the placeholder): nothing said while
      // the connection is being set up is lost.
      const transceiver = pc.addTransceiver("audio", { direction: "sendrecv" });
      const dc = pc.createDataChannel("oai-events");
      this.dc = dc;
      dc.addEventListener("message", (e) => this.receive(JSON.parse(e.data)));
      dc.addEventListener("close", () => this.closed({ code: 1000 }));
      const opened = new Promise((resolve) => dc.addEventListener("open", resolve, { once: true }));
      const offer = await pc.createOffer();
      await pc.setLocalDescription(offer);
      const response = await fetch(this.model.get("url"), {
        method: "POST",
        body: offer.sdp,
        headers: { Authorization: `Bearer ${secret}`, "Content-Type": "application/sdp" },
      });
      if (!response.ok) {
        let message = `HTTP ${response.status}`;
        try { message = (await response.json()).error.message; } catch (_) { /* not JSON */ }
        throw new Error(message);
      }
      const location = response.headers.get("Location") || "";
      this.callId = location.split("/").pop();
      this.model.send({ type: "call", call_id: this.callId });
      await pc.setRemoteDescription({ type: "answer", sdp: await response.text() });
      await opened;
      this.send({ type: "session.update", session: this.model.get("session") });
      this.stream = await navigator.mediaDevices.getUserMedia({
        audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true, channelCount: 1 },
      });
      await transceiver.sender.replaceTrack(this.stream.getTracks()[0]);
      this.setState("live");
    } catch (err) {
      this.release();
      this.setState("error", startFailure(err));
    }
  }

  // Over WebRTC the server plays the answer on the remote track and keeps the output audio buffer: a
  // barge-in needs nothing from the page (the server clears its buffer and truncates the item itself).
  bargeIn() {}

  stop() {
    this.release();
    this.setState("closed");
  }

  release() {
    try { this.pc && this.pc.close(); } catch (_) { /* closed */ }
    if (this.stream) for (const t of this.stream.getTracks()) t.stop();
    if (this.audio) this.audio.srcObject = null;
    this.pc = this.dc = this.stream = this.audio = null;
  }
}

function registry() {
  globalThis.__voicelab ??= { recorders: new Map(), players: new Map() };
  globalThis.__voicelab.live ??= new Map();
  return globalThis.__voicelab;
}

function initialize({ model }) {
  if (model.get("mode") !== "direct") return undefined;
  const client = model.get("transport") === "webrtc" ? new WebRTCClient(model) : new DirectClient(model);
  const uid = model.get("_uid");
  registry().live.set(uid, client);
  const onMsg = (msg) => {
    if (msg && msg.cmd === "start") client.start();
    else if (msg && msg.cmd === "stop") client.stop();
  };
  model.on("msg:custom", onMsg);
  return () => {
    model.off("msg:custom", onMsg);
    client.stop();
    registry().live.delete(uid);
  };
}

function render({ model, el }) {
  if (model.get("mode") !== "direct") {
    const ui = shell(el, false);
    const draw = () => {
      ui.status.textContent = model.get("status");
      ui.root.dataset.status = model.get("status");
      drawTranscript(ui.list, model.get("lines"));
    };
    model.on("change:lines", draw);
    model.on("change:status", draw);
    draw();
    return () => { model.off("change:lines", draw); model.off("change:status", draw); };
  }
  const client = registry().live.get(model.get("_uid"));
  const ui = shell(el, true);
  const draw = () => {
    const state = client ? client.state : "idle";
    ui.root.dataset.status = state;
    ui.button.textContent = state === "live" ? "■ Stop" : state === "connecting" ? "… Connecting" : "● Start talking";
    ui.button.disabled = state === "connecting";
    ui.status.style.color = state === "error" ? "#b00020" : "#555";
    ui.status.textContent = state === "error" ? client.error
      : state === "live" ? `live (browser ↔ Realtime API directly, ${model.get("transport") === "webrtc" ? "WebRTC" : "WebSocket"})`
        : state === "closed" ? "closed" : "";
    drawTranscript(ui.list, client ? client.lines : []);
  };
  ui.button.addEventListener("click", () => {
    if (!client) return;
    if (client.state === "live") client.stop();
    else client.start();
  });
  client && client.listeners.add(draw);
  draw();
  return () => client && client.listeners.delete(draw);
}

export default { initialize, render };
