// OpenClaw Control — the Channels tab: each Discord/Telegram bot account's
// connection (bot name, state, last error, reconnects, messages), config issues,
// and the DM pairing queue with Approve / Dismiss. Uses health events and the
// gateway's public methods channels.status and channels.pairing.*; starts when
// app.js reports the connection.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const el = (tag, text, cls) => { const e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e; };
  let gw = null;

  const STATE = { ready: ["connected", "ok"], starting: ["connecting", "muted"], recovering: ["reconnecting", "bad"], blocked: ["blocked", "bad"], stopped: ["stopped", "muted"] };

  function stateOf(a) {
    if (a.enabled === false) return ["disabled", "muted"];
    if (!a.configured && a.lifecycle !== "blocked") return ["not configured", "muted"];
    return STATE[a.lifecycle] || [a.lifecycle || "?", "muted"];
  }

  function renderAccounts(status) {
    const rows = [];
    for (const channel of status.channelOrder || []) {
      for (const a of (status.channelAccounts || {})[channel] || []) {
        const tr = el("tr");
        tr.dataset.channel = channel;
        tr.dataset.account = a.accountId;
        const [word, cls] = stateOf(a);
        const m = a.messages || {};
        for (const [v, c] of [
          [(status.channelLabels || {})[channel] || channel], [a.accountId],
          [a.bot ? `@${a.bot.username}` : "–"], [word, cls], [a.mode],
          [`dm:${a.dmPolicy} · groups:${a.groupPolicy}`],
          [`${m.received ?? 0} in · ${m.answered ?? 0} answered · ${m.ignored ?? 0} ignored`],
          [String(a.reconnectAttempts ?? 0)], [a.lastError || "", "bad"],
        ]) tr.append(el("td", v ?? "", c));
        tr.children[3].dataset.field = "state";
        rows.push(tr);
      }
    }
    $("channel-rows").replaceChildren(...rows);
    $("channels-empty").hidden = rows.length > 0;
    $("channel-issues").replaceChildren(...(status.statusIssues || []).map((i) => el("li", `${i.channel}:${i.accountId} — ${i.message} ${i.fix || ""}`)));
  }

  function renderPairing(list) {
    const rows = (list.requests || []).map((r) => {
      const tr = el("tr");
      tr.dataset.request = r.requestId;
      const who = r.metadata && (r.metadata.username || r.metadata.firstName) ? ` (${r.metadata.username || r.metadata.firstName})` : "";
      for (const v of [r.channelLabel, r.accountId, `${r.senderId}${who}`, r.code || "", new Date(r.createdAt).toLocaleTimeString()]) tr.append(el("td", v));
      const actions = el("td");
      const approve = el("button", "Approve");
      approve.dataset.action = "approve";
      const dismiss = el("button", "Dismiss", "secondary");
      dismiss.dataset.action = "dismiss";
      approve.addEventListener("click", () => act("channels.pairing.approve", r, { notify: !!r.notifySupported }));
      dismiss.addEventListener("click", () => act("channels.pairing.dismiss", r, {}));
      actions.append(approve, " ", dismiss);
      tr.append(actions);
      return tr;
    });
    $("pairing-rows").replaceChildren(...rows);
    $("pairing-empty").hidden = rows.length > 0;
    $("pairing-section").hidden = (list.accounts || []).length === 0;
  }

  async function act(method, r, extra) {
    try {
      await gw.request(method, { channel: r.channel, accountId: r.accountId, requestId: r.requestId, ...extra });
      $("pairing-error").hidden = true;
    } catch (e) {
      $("pairing-error").textContent = e.message;
      $("pairing-error").hidden = false;
    }
    refresh();
  }

  async function refresh() {
    if (!gw) return;
    try { renderAccounts(await gw.request("channels.status", {})); } catch (e) { /* older gateway */ }
    try { renderPairing(await gw.request("channels.pairing.list", {})); } catch (e) { $("pairing-section").hidden = true; }
    $("tab-channels").dataset.ready = "true";
  }

  document.addEventListener("openclaw:connected", (e) => {
    gw = e.detail;
    gw.on("health", refresh);
    gw.on("tick", refresh);
    document.querySelector("[data-tab=channels]").addEventListener("click", refresh);
    refresh();
  });
})();
