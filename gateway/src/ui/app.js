// OpenClaw Control: a small client of the gateway's WebSocket protocol v4.
// Structure: `Gateway` (connection, requests, events) and one render function per tab.
// A new tab (e.g. chat) adds a <nav> button, a <section data-panel>, and listens to
// `gateway.on(event, fn)` / calls `gateway.request(method, params)`.
"use strict";

const CLIENT = { id: "openclaw-control-ui", version: "openclaw-rs", mode: "ui" };
const SCOPES = ["operator.read", "operator.write", "operator.pairing"];
const $ = (id) => document.getElementById(id);
const b64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const hex = (bytes) => [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");

// Device identity: an Ed25519 key kept in this browser, as the original Control UI does.
async function deviceIdentity() {
  if (!window.isSecureContext || !crypto.subtle) {
    throw new Error("control ui requires device identity (use HTTPS or localhost secure context)");
  }
  const stored = localStorage.getItem("openclaw.device");
  let pair;
  if (stored) {
    const { publicJwk, privateJwk } = JSON.parse(stored);
    pair = {
      publicKey: await crypto.subtle.importKey("jwk", publicJwk, { name: "Ed25519" }, true, ["verify"]),
      privateKey: await crypto.subtle.importKey("jwk", privateJwk, { name: "Ed25519" }, true, ["sign"]),
    };
  } else {
    pair = await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"]);
    localStorage.setItem("openclaw.device", JSON.stringify({
      publicJwk: await crypto.subtle.exportKey("jwk", pair.publicKey),
      privateJwk: await crypto.subtle.exportKey("jwk", pair.privateKey),
    }));
  }
  const raw = await crypto.subtle.exportKey("raw", pair.publicKey);
  return { pair, publicKey: b64url(raw), id: hex(await crypto.subtle.digest("SHA-256", raw)) };
}

class Gateway {
  constructor() { this.pending = new Map(); this.listeners = new Map(); this.nextId = 1; }

  on(event, fn) { (this.listeners.get(event) || this.listeners.set(event, []).get(event)).push(fn); }
  emit(event, payload) { (this.listeners.get(event) || []).forEach((fn) => fn(payload)); }

  connect(secret) {
    return new Promise((resolve, reject) => {
      const scheme = location.protocol === "https:" ? "wss" : "ws";
      const ws = new WebSocket(`${scheme}://${location.host}/`);
      this.ws = ws;
      ws.onmessage = async (msg) => {
        const frame = JSON.parse(msg.data);
        if (frame.type === "event" && frame.event === "connect.challenge") {
          try { ws.send(JSON.stringify(await this.connectFrame(frame.payload, secret))); } catch (e) { reject(e); ws.close(); }
        } else if (frame.type === "res" && frame.id === "connect") {
          if (frame.ok) { this.hello = frame.payload; resolve(frame.payload); } else { reject(new Error(frame.error.message)); }
        } else if (frame.type === "res") {
          const p = this.pending.get(frame.id);
          if (p) { this.pending.delete(frame.id); frame.ok ? p.resolve(frame.payload) : p.reject(new Error(frame.error.message)); }
        } else if (frame.type === "event") {
          this.emit(frame.event, frame.payload);
        }
      };
      ws.onclose = (e) => { reject(new Error(e.reason || "connection closed")); this.emit("close", e); };
    });
  }

  async connectFrame(challenge, secret) {
    const device = await deviceIdentity();
    const signedAt = challenge.ts;
    const platform = (navigator.platform || "web").trim().toLowerCase();
    const payload = ["v3", device.id, CLIENT.id, CLIENT.mode, "operator", SCOPES.join(","), String(signedAt), secret, challenge.nonce, platform, ""].join("|");
    const signature = await crypto.subtle.sign({ name: "Ed25519" }, device.pair.privateKey, new TextEncoder().encode(payload));
    return {
      type: "req", id: "connect", method: "connect",
      params: {
        minProtocol: 4, maxProtocol: 4,
        client: { ...CLIENT, platform, instanceId: sessionInstanceId() },
        role: "operator", scopes: SCOPES, caps: [],
        auth: { token: secret },
        device: { id: device.id, publicKey: device.publicKey, signature: b64url(signature), signedAt, nonce: challenge.nonce },
      },
    };
  }

  request(method, params) {
    const id = String(this.nextId++);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.ws.send(JSON.stringify(params === undefined ? { type: "req", id, method } : { type: "req", id, method, params }));
    });
  }
}

function sessionInstanceId() {
  let id = sessionStorage.getItem("openclaw.instance");
  if (!id) { id = crypto.randomUUID(); sessionStorage.setItem("openclaw.instance", id); }
  return id;
}

const ago = (ts) => { const s = Math.max(0, Math.round((Date.now() - ts) / 1000)); return s < 60 ? `${s}s ago` : `${Math.round(s / 60)}m ago`; };
const text = (el, value) => { el.textContent = value; return el; };

function renderHealth(h) {
  const state = $("health-state");
  text(state, h && h.ok ? "OK" : "Degraded").className = h && h.ok ? "ok" : "bad";
  text($("health-ts"), h && h.ts ? `${new Date(h.ts).toLocaleTimeString()} (${h.durationMs ?? 0} ms)` : "–");
  const channel = (id) => {
    const c = (h.channels || {})[id] || {};
    const state = c.lifecycle === "ready" ? `connected${c.bot ? " as @" + c.bot.username : ""}` : (c.lifecycle || "?");
    return `${(h.channelLabels || {})[id] || id}: ${state}`;
  };
  text($("health-channels"), h && h.channelOrder && h.channelOrder.length ? h.channelOrder.map(channel).join(" · ") : "none configured");
  text($("health-agents"), h && h.agents && h.agents.length ? h.agents.map((a) => a.agentId).join(", ") : "none");
}

function renderStatus(s) {
  const dl = $("status-facts");
  dl.replaceChildren();
  const gw = s.gateway || {};
  const rows = [
    ["Version", `${s.runtimeVersion} (${s.buildId || "?"})`],
    ["PID", s.pid], ["Uptime", `${Math.round((s.uptimeMs || 0) / 1000)} s`],
    ["Memory (RSS)", s.processMemory ? `${(s.processMemory.rssBytes / 1048576).toFixed(1)} MB` : "?"],
    ["Bind", `${gw.bind} :${gw.port}`], ["Auth", gw.authMode], ["State dir", gw.stateDir], ["Config", gw.configPath],
  ];
  for (const [k, v] of rows) { dl.append(text(document.createElement("dt"), k), text(document.createElement("dd"), v ?? "?")); }
}

function renderPresence(list) {
  const rows = (list || []).map((p) => {
    const tr = document.createElement("tr");
    for (const v of [p.host, p.mode, p.clientId || "gateway", p.version, ago(p.ts)]) tr.append(text(document.createElement("td"), v ?? ""));
    return tr;
  });
  $("presence-rows").replaceChildren(...rows);
}

function selectTab(name) {
  document.querySelectorAll("#tabs button").forEach((b) => b.setAttribute("aria-selected", String(b.dataset.tab === name)));
  document.querySelectorAll("[data-panel]").forEach((p) => { p.hidden = p.dataset.panel !== name; });
}

function setState(state, label) { const el = $("conn-state"); el.dataset.state = state; text(el, label || state); }

async function start(secret) {
  const gw = new Gateway();
  $("login-error").hidden = true;
  setState("connecting");
  try {
    const hello = await gw.connect(secret);
    setState("connected");
    $("login").hidden = true; $("tabs").hidden = false; $("panels").hidden = false;
    text($("server-version"), `${hello.server.version} · ${hello.server.buildId || ""}`);
    renderHealth(hello.snapshot.health); renderPresence(hello.snapshot.presence);
    gw.on("health", renderHealth);
    gw.on("presence", (p) => renderPresence(p.presence));
    gw.on("tick", () => gw.request("status").then(renderStatus).catch(() => {}));
    gw.on("close", (e) => setState("error", `disconnected${e.reason ? ": " + e.reason : ""}`));
    renderHealth(await gw.request("health"));
    renderStatus(await gw.request("status"));
    renderPresence(await gw.request("system-presence"));
    sessionStorage.setItem("openclaw.token", secret);
    window.openclaw = gw; // for extensions and debugging
    document.dispatchEvent(new CustomEvent("openclaw:connected", { detail: gw }));
  } catch (e) {
    setState("error", "not connected");
    text($("login-error"), e.message).hidden = false;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("#tabs button").forEach((b) => b.addEventListener("click", () => selectTab(b.dataset.tab)));
  $("login").addEventListener("submit", (e) => { e.preventDefault(); start($("token").value.trim()); });
  const remembered = sessionStorage.getItem("openclaw.token");
  if (remembered) start(remembered);
});
