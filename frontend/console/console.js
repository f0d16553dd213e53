// The agent console: the queue, one conversation at a time, live over the agent websocket.
"use strict";

(() => {
  const { api, el, live, duration, since, time, show, session } = Tandem;
  const $ = (id) => document.getElementById(id);
  const auth = session("tandem.agent"); // {token, role, name}
  let me = auth.get();
  let current = null; // the open conversation's id
  let shown = null; // the open conversation as last heard of: {id, status, agent_id, ...}
  let seqs = new Set(); // the seqs in the open transcript
  const previews = new Map(); // waiting conversation id -> {seq, text} of its latest message
  let mine = new Set(); // ids of the conversations I hold
  let resumed = new Set(); // held conversations followed live on this socket
  let socket = null;
  let typingSent = 0;
  let timers = [];

  const call = (path, options = {}) => api(path, { ...options, token: me && me.token });

  // ---- log-in -----------------------------------------------------------------------------

  async function login(event) {
    event.preventDefault();
    $("login-error").textContent = "";
    try {
      const data = await api("/api/v1/auth/login", { method: "POST", body: { email: $("email").value, password: $("password").value } });
      me = { token: data.token, role: data.role, name: data.name || $("email").value };
      auth.set(me);
      $("password").value = "";
      enter();
    } catch (err) {
      $("login-error").textContent = err.message;
    }
  }

  function logout() {
    call("/api/v1/auth/logout", { method: "POST" }).catch(() => {});
    auth.set(null);
    me = null;
    if (socket) socket.close();
    socket = null;
    timers.forEach(clearInterval);
    timers = [];
    showLogin();
  }

  function showLogin() {
    $("login").hidden = false;
    $("app").hidden = true;
    $("logout").hidden = true;
    $("me").textContent = "";
    $("email").focus();
  }

  function enter() {
    $("login").hidden = true;
    $("app").hidden = false;
    $("logout").hidden = false;
    $("me").textContent = `${me.name} (${me.role})`;
    loadQueue();
    loadCanned();
    socket = live("/api/v1/agent/ws", me.token, { onEvent, onState: (up) => {
      $("live").hidden = !up;
      resumed = new Set();
      if (up && current) openConversation(current, false);
    } });
    // Polling fallback while the websocket is down.
    timers.push(setInterval(() => socket.open || loadQueue(), 5000));
    timers.push(setInterval(() => socket.open || (current && openConversation(current, false)), 3000));
  }

  function unauthorized(err) {
    if (err && err.status === 401) {
      logout();
      return true;
    }
    return false;
  }

  // ---- the queue --------------------------------------------------------------------------

  function items(data, ...keys) {
    if (Array.isArray(data)) return data;
    for (const key of keys) if (data && Array.isArray(data[key])) return data[key];
    return [];
  }

  async function loadQueue() {
    try {
      const data = await call("/api/v1/agent/queue");
      const queued = data.queued || [];
      const held = data.mine || [];
      mine = new Set(held.map((c) => c.id));
      fill($("queue"), queued, "Nobody is waiting.");
      fill($("mine"), held, "None.");
      fill($("offline"), data.offline || [], "None.");
      $("queue-count").textContent = String(queued.length);
      $("queue-error").textContent = "";
      const fresh = [...queued, ...held, ...(data.offline || [])].find((c) => shown && c.id === shown.id);
      if (fresh) shown = fresh;
      if (shown) renderControls();
    } catch (err) {
      if (!unauthorized(err)) $("queue-error").textContent = err.message;
    }
  }

  function fill(list, convs, emptyText) {
    list.replaceChildren(...(convs.length ? convs.map(queueItem) : [el("li", { class: "muted", text: emptyText })]));
  }

  function queueItem(c) {
    const id = c.id;
    const waited = c.queued_at ? since(c.queued_at) : null;
    const reason = c.escalation_reason || "—";
    const priority = c.priority ? el("span", { class: "badge hot", text: `priority ${c.priority}` }) : null;
    const preview = c.escalation_detail || c.contact_email || "";
    const said = previews.get(id);
    return el("li", { dataset: { id } }, el("button", {
      type: "button", "aria-current": String(id === current), onclick: () => openConversation(id, true),
      "aria-label": `Conversation ${id}, ${reason}, waiting ${duration(waited)}`,
    },
      el("span", { class: "line" }, el("strong", { text: reason.replace(/_/g, " ") }), priority),
      el("span", { class: "line" }, el("span", { text: waited == null ? "" : `waiting ${duration(waited)}` }), el("span", { class: "badge", text: c.locale || "" })),
      preview ? el("span", { class: "preview", text: preview }) : null,
      said ? el("span", { class: "preview said", text: `Customer: ${said.text}` }) : null,
    ));
  }

  // A waiting customer wrote again: shown next to their conversation in the queue.
  function showPreview(ev) {
    const last = previews.get(ev.conversation_id);
    if (last && last.seq >= ev.seq) return;
    previews.set(ev.conversation_id, { seq: ev.seq, text: ev.text });
    document.querySelectorAll("#queue li[data-id], #offline li[data-id]").forEach((li) => {
      if (li.dataset.id !== ev.conversation_id) return;
      const button = li.querySelector("button");
      const old = button.querySelector(".said");
      const said = el("span", { class: "preview said", text: `Customer: ${ev.text}` });
      if (old) old.replaceWith(said);
      else button.append(said);
    });
  }

  async function loadCanned() {
    try {
      const data = await call("/api/v1/agent/canned");
      const replies = items(data, "canned", "replies", "items");
      $("canned").replaceChildren(el("option", { value: "", text: "—" }), ...replies.map((r, i) => {
        const text = typeof r === "string" ? r : r.text;
        return el("option", { value: String(i), dataset: { text }, text: (r.shortcut ? `/${r.shortcut} — ` : "") + text.slice(0, 50) });
      }));
    } catch (err) {
      unauthorized(err);
    }
  }

  // ---- one conversation -------------------------------------------------------------------

  async function openConversation(id, focus) {
    const switching = id !== current;
    current = id;
    document.querySelectorAll(".conv-list button").forEach((b) => b.setAttribute("aria-current", "false"));
    try {
      const c = await call(`/api/v1/agent/conversations/${id}`);
      if (current !== id) return;
      render(c, switching);
      if (mine.has(id) && socket && socket.open && !resumed.has(id)) {
        resumed.add(id);
        socket.send({ type: "resume", conversation_id: id, last_seq: Math.max(0, ...c.messages.map((m) => m.seq)) });
      }
      if (focus) $("view-title").focus();
    } catch (err) {
      if (!unauthorized(err)) $("action-error").textContent = err.message;
    }
  }

  function render(c, switching) {
    $("empty").hidden = true;
    $("conv").hidden = false;
    const conv = c.conversation || {};
    shown = conv;
    $("view-title").textContent = `Conversation ${conv.id || current}`;
    $("view-title").tabIndex = -1;
    const esc = c.escalation || {};
    $("reason").textContent = esc.reason ? `${esc.reason.replace(/_/g, " ")}${esc.detail ? ": " + esc.detail : ""}` : "No escalation.";
    renderSignals(c.signals || []);
    renderSentiment(c.sentiment_trend || []);
    showSummary(c.summary);
    const atBottom = nearBottom();
    const messages = c.messages || [];
    seqs = new Set(messages.map((m) => m.seq));
    $("transcript").replaceChildren(...messages.map(line));
    if (switching || atBottom) $("transcript").scrollTop = $("transcript").scrollHeight;
    renderControls();
    $("action-error").textContent = "";
  }

  function showSummary(summary) {
    const s = summary || {};
    $("summary").textContent = s.text ? `${s.text}${s.source ? ` (${s.source})` : ""}` : "No summary yet.";
  }

  // The status badge and the buttons, from what we last heard of the open conversation.
  function renderControls() {
    const conv = shown || {};
    $("conv-status").textContent = conv.status || "";
    const held = conv.status === "agent" && mine.has(conv.id);
    $("claim").disabled = !["queued", "offline"].includes(conv.status);
    $("release").disabled = $("transfer").disabled = !held;
    $("close").disabled = conv.status === "closed";
    $("send").disabled = conv.status === "closed";
  }

  function nearBottom() {
    return $("transcript").scrollHeight - $("transcript").scrollTop - $("transcript").clientHeight < 40;
  }

  // One message into the open transcript, in seq order, once.
  function append(m) {
    if (!m || seqs.has(m.seq)) return;
    seqs.add(m.seq);
    const atBottom = nearBottom();
    const later = [...$("transcript").children].find((li) => Number(li.dataset.seq) > m.seq);
    $("transcript").insertBefore(line(m), later || null);
    if (atBottom) $("transcript").scrollTop = $("transcript").scrollHeight;
  }

  // The signals of the last decision that handed over (or else the last decision).
  function renderSignals(decisions) {
    const last = [...decisions].reverse().find((d) => d.outcome !== "answered") || decisions[decisions.length - 1];
    if (!last) return $("signals").replaceChildren();
    const head = { outcome: last.outcome, reason: last.reason, confidence: last.confidence };
    const rows = Object.entries({ ...head, ...(last.signals || {}) }).flatMap(([k, v]) => [el("dt", { text: k.replace(/_/g, " ") }), el("dd", { text: show(v) })]);
    $("signals").replaceChildren(...rows);
  }

  function renderSentiment(trend) {
    const values = trend.map((x) => (typeof x === "number" ? x : Number(x.negative ?? 0)));
    $("sentiment").replaceChildren(...values.map((v) => {
      const bar = el("span", { class: v >= 0.6 ? "neg" : "", title: `negative ${v.toFixed(2)}` });
      bar.style.height = `${Math.max(4, Math.round(v * 100))}%`;
      return bar;
    }));
    $("sentiment").setAttribute("aria-label", values.length ? `Negative sentiment per turn: ${values.map((v) => v.toFixed(2)).join(", ")}` : "No sentiment yet");
  }

  function line(m) {
    const labels = { assistant: "AI assistant", agent: "Agent", system: "System", customer: "Customer" };
    const label = m.internal ? "Internal note" : labels[m.role] || m.role;
    const textId = `msg-${m.seq}`;
    const li = el("li", { class: `${m.role} ${m.internal ? "note" : ""}`, "aria-label": `${label}: ${m.text}`, dataset: { seq: String(m.seq) } },
      el("span", { class: "who", "aria-hidden": "true", text: `${label} · ${time(m.created_at)}` }),
      el("span", { id: textId, text: m.text }));
    if (m.sources && m.sources.length) li.append(el("div", { class: "sources", text: "Sources: " + m.sources.map((s) => s.title).join(", ") }));
    if (TandemMarks.markable(m)) li.append(TandemMarks.controls(m, textId, markAnswer(current, m.seq), showError));
    return li;
  }

  // An agent's verdict on one AI answer; the stored mark comes back and is shown.
  function markAnswer(id, seq) {
    return (verdict) => call(`/api/v1/agent/conversations/${id}/messages/${seq}/mark`, { method: "POST", body: { verdict } });
  }

  function showError(err) {
    if (!unauthorized(err)) $("action-error").textContent = err.message;
  }

  async function act(action, body) {
    if (!current) return;
    $("action-error").textContent = "";
    try {
      // The answer says where the conversation stands now; its messages come over the socket.
      // (Fetching it again would be refused once it is no longer waiting or ours.)
      const now = await call(`/api/v1/agent/conversations/${current}/${action}`, { method: "POST", body });
      if (shown && shown.id === now.id) shown = { ...shown, status: now.status, agent_id: now.agent_id };
      await loadQueue();
      renderControls();
    } catch (err) {
      if (!unauthorized(err)) $("action-error").textContent = err.message;
    }
  }

  // The stored reply comes back in the answer: shown at once, with nothing to reload.
  async function reply(event) {
    event.preventDefault();
    const text = $("reply-text").value.trim();
    const id = current;
    if (!text || !id) return;
    const note = $("as-note").checked;
    $("action-error").textContent = "";
    try {
      const m = await call(`/api/v1/agent/conversations/${id}/${note ? "notes" : "messages"}`, { method: "POST", body: { text } });
      if (current === id) append(m);
      $("reply-text").value = "";
    } catch (err) {
      if (!unauthorized(err)) $("action-error").textContent = err.message;
    }
    if (socket) socket.send({ type: "typing", conversation_id: id, typing: false });
  }

  async function resummarise() {
    const id = current;
    if (!id) return;
    $("resummarise").disabled = true;
    try {
      const s = await call(`/api/v1/agent/conversations/${id}/summary`, { method: "POST" });
      if (current === id) showSummary(s);
    } catch (err) {
      if (!unauthorized(err)) $("action-error").textContent = err.message;
    } finally {
      $("resummarise").disabled = false;
    }
  }

  // Each event changes what is shown by itself; only a resync reloads.
  function onEvent(ev) {
    switch (ev.type) {
      case "queue":
        loadQueue();
        break;
      case "preview":
        showPreview(ev);
        break;
      case "resync":
        loadQueue();
        if (current) openConversation(current, false);
        break;
      case "message":
        if (ev.conversation_id === current) append(ev.message);
        break;
      case "status":
        if (shown && ev.conversation_id === shown.id) {
          shown = { ...shown, status: ev.status };
          renderControls();
        }
        break;
      case "typing":
        if (ev.conversation_id === current && ev.role === "customer") {
          $("typing").textContent = ev.typing ? "The customer is typing…" : "";
          $("typing").hidden = !ev.typing;
        }
        break;
    }
  }

  function bind() {
    $("login").addEventListener("submit", login);
    $("logout").addEventListener("click", logout);
    $("claim").addEventListener("click", () => act("claim"));
    $("release").addEventListener("click", () => act("release"));
    $("close").addEventListener("click", () => confirm("Close this conversation?") && act("close"));
    $("transfer").addEventListener("click", () => {
      const id = prompt("Transfer to which agent (agent id number)?");
      if (id && Number.isInteger(Number(id))) act("transfer", { agent_id: Number(id) });
    });
    $("reply").addEventListener("submit", reply);
    $("resummarise").addEventListener("click", resummarise);
    $("as-note").addEventListener("change", () => $("reply").classList.toggle("note", $("as-note").checked));
    $("canned").addEventListener("change", () => {
      const option = $("canned").selectedOptions[0];
      if (option && option.dataset.text) $("reply-text").value = option.dataset.text;
      $("reply-text").focus();
    });
    $("reply-text").addEventListener("input", () => {
      if (!socket || !current || Date.now() - typingSent < 3000) return;
      typingSent = Date.now();
      socket.send({ type: "typing", conversation_id: current, typing: true });
    });
  }

  bind();
  if (me && me.token) enter();
  else showLogin();
})();
