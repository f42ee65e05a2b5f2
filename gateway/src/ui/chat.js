// OpenClaw Control — the Chat tab: talk to an agent in a session, watch the
// answer stream in (`chat` events), see which model answered and why another
// was skipped, stop a run, and page through the session's history.
// Uses only the gateway's public methods: sessions.list, chat.history,
// chat.send, chat.abort. Starts when app.js reports the connection.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  let gw = null;
  let defaultAgent = "main";
  let session = "main";
  const bubbles = new Map(); // runId -> <li> of the assistant's answer
  const active = new Set(); // runIds still running in this session

  // "main" → "agent:main:main", as the gateway scopes bare keys.
  const canonical = (key) => (key.startsWith("agent:") ? key : `agent:${defaultAgent}:${key}`);
  const mine = (payload) => payload && payload.sessionKey === canonical(session);

  function bubble(role, text, { state, meta, runId } = {}) {
    const li = document.createElement("li");
    li.dataset.role = role;
    if (state) li.dataset.state = state;
    if (runId) li.dataset.run = runId;
    const body = document.createElement("span");
    body.className = "text";
    body.textContent = text;
    li.append(body);
    if (meta) setMeta(li, meta);
    $("chat-log").append(li);
    $("chat-log").scrollTop = $("chat-log").scrollHeight;
    return li;
  }

  function setMeta(li, meta) {
    let el = li.querySelector(".meta");
    if (!el) { el = document.createElement("small"); el.className = "meta"; li.append(el); }
    el.textContent = meta;
  }

  const textOf = (m) => (typeof m.content === "string" ? m.content
    : (m.content || []).filter((b) => b.type === "text").map((b) => b.text).join(""));

  function modelNote(m) {
    const parts = [];
    if (m.provider && m.model) parts.push(`${m.provider}/${m.model}`);
    const attempts = (m.__openclaw && m.__openclaw.attempts) || [];
    for (const a of attempts.filter((a) => a.failure)) parts.push(`skipped ${a.model}: ${a.failure.reason}`);
    if (m.openclawAbort) parts.push("stopped");
    return parts.join(" · ");
  }

  function setRunning() {
    $("chat-abort").disabled = active.size === 0;
  }

  async function loadHistory() {
    session = $("chat-session").value.trim() || "main";
    bubbles.clear(); active.clear(); setRunning();
    $("chat-log").replaceChildren();
    try {
      const h = await gw.request("chat.history", { sessionKey: session, limit: 100 });
      for (const m of h.messages) {
        if (m.role === "user") bubble("user", textOf(m));
        else if (m.role === "assistant") bubble("assistant", textOf(m), { meta: modelNote(m) });
        else bubble("assistant", textOf(m), { state: "error" });
      }
      $("chat-status").textContent = h.totalMessages > h.messages.length
        ? `last ${h.messages.length} of ${h.totalMessages} messages` : "";
    } catch (e) {
      $("chat-status").textContent = e.message;
    }
  }

  async function loadSessions() {
    try {
      const list = await gw.request("sessions.list", { limit: 50 });
      $("chat-sessions").replaceChildren(...list.sessions.map((s) => {
        const o = document.createElement("option");
        o.value = s.key;
        return o;
      }));
    } catch (_) { /* read scope missing: the input still works */ }
  }

  function onChat(p) {
    if (!mine(p)) return;
    let li = bubbles.get(p.runId);
    if (!li && p.state !== "status") {
      li = bubble("assistant", "", { state: "streaming", runId: p.runId });
      bubbles.set(p.runId, li);
    }
    switch (p.state) {
      case "status":
        $("chat-status").textContent = p.phase === "model_fallback"
          ? `${p.from} failed (${p.reason}); trying ${p.to}` : (p.phase || "").replace(/_/g, " ");
        active.add(p.runId);
        break;
      case "delta":
        active.add(p.runId);
        li.querySelector(".text").textContent = textOf(p.message);
        break;
      case "final":
      case "aborted":
        li.querySelector(".text").textContent = textOf(p.message);
        li.dataset.state = p.state === "final" ? "done" : "aborted";
        if (p.state === "aborted") setMeta(li, "stopped");
        active.delete(p.runId);
        $("chat-status").textContent = "";
        break;
      case "error":
        li.querySelector(".text").textContent = p.errorMessage || "the run failed";
        li.dataset.state = "error";
        active.delete(p.runId);
        $("chat-status").textContent = "";
        break;
    }
    setRunning();
  }

  function onAgent(p) {
    if (!mine(p) || p.stream !== "lifecycle") return;
    const li = bubbles.get(p.runId);
    if (li && p.data.phase === "model" && p.data.provider) setMeta(li, `${p.data.provider}/${p.data.model}`);
    if (li && p.data.phase === "end" && p.data.terminalReceipt && p.data.terminalReceipt.attempts) {
      const skipped = p.data.terminalReceipt.attempts.filter((a) => a.failure).map((a) => `skipped ${a.model}: ${a.failure.reason}`);
      const eff = p.data.terminalReceipt.effective || {};
      setMeta(li, [`${eff.provider}/${eff.model}`, ...skipped].join(" · "));
    }
  }

  async function send(e) {
    e.preventDefault();
    const input = $("chat-input");
    const message = input.value;
    if (!message.trim()) return;
    const runId = crypto.randomUUID();
    input.value = "";
    bubble("user", message);
    const li = bubble("assistant", "", { state: "streaming", runId });
    bubbles.set(runId, li);
    active.add(runId); setRunning();
    try {
      await gw.request("chat.send", { sessionKey: session, message, idempotencyKey: runId });
    } catch (err) {
      li.querySelector(".text").textContent = err.message;
      li.dataset.state = "error";
      active.delete(runId); setRunning();
    }
  }

  async function start(connected) {
    gw = connected;
    defaultAgent = (gw.hello && gw.hello.snapshot && gw.hello.snapshot.health && gw.hello.snapshot.health.defaultAgentId) || "main";
    gw.on("chat", onChat);
    gw.on("agent", onAgent);
    $("chat-form").addEventListener("submit", send);
    $("chat-input").addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); $("chat-form").requestSubmit(); }
    });
    $("chat-abort").addEventListener("click", () => gw.request("chat.abort", { sessionKey: session }).catch(() => {}));
    $("chat-session").addEventListener("change", loadHistory);
    await loadSessions();
    await loadHistory();
    $("tab-chat").dataset.ready = "true";
  }

  document.addEventListener("openclaw:connected", (e) => { start(e.detail); });
})();
