// The agent console: the queue, one conversation at a time, live over the agent websocket.
"use strict";

(() => {
  const { api, el, live, duration, since, time, show, session } = Tandem;
  const $ = (id) => document.getElementById(id);
  const auth = session("tandem.agent"); // {token, role, name}
  let me = auth.get();
  let current = null; // the open conversation's id
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
    return el("li", {}, el("button", {
      type: "button", "aria-current": String(id === current), onclick: () => openConversation(id, true),
      "aria-label": `Conversation ${id}, ${reason}, waiting ${duration(waited)}`,
    },
      el("span", { class: "line" }, el("strong", { text: reason.replace(/_/g, " ") }), priority),
      el("span", { class: "line" }, el("span", { text: waited == null ? "" : `waiting ${duration(waited)}` }), el("span", { class: "badge", text: c.locale || "" })),
      preview ? el("span", { class: "preview", text: preview }) : null,
    ));
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
    $("view-title").textContent = `Conversation ${conv.id || current}`;
    $("view-title").tabIndex = -1;
    $("conv-status").textContent = conv.status || "";
    const esc = c.escalation || {};
    $("reason").textContent = esc.reason ? `${esc.reason.replace(/_/g, " ")}${esc.detail ? ": " + esc.detail : ""}` : "No escalation.";
    renderSignals(c.signals || []);
    renderSentiment(c.sentiment_trend || []);
    const summary = c.summary || {};
    $("summary").textContent = summary.text ? `${summary.text}${summary.source ? ` (${summary.source})` : ""}` : "No summary yet.";
    const atBottom = $("transcript").scrollHeight - $("transcript").scrollTop - $("transcript").clientHeight < 40;
    $("transcript").replaceChildren(...(c.messages || []).map(line));
    if (switching || atBottom) $("transcript").scrollTop = $("transcript").scrollHeight;
    const held = conv.status === "agent" && mine.has(conv.id);
    $("claim").disabled = !["queued", "offline"].includes(conv.status);
    $("release").disabled = $("transfer").disabled = !held;
    $("close").disabled = conv.status === "closed";
    $("send").disabled = conv.status === "closed";
    $("action-error").textContent = "";
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
    const li = el("li", { class: `${m.role} ${m.internal ? "note" : ""}`, "aria-label": `${label}: ${m.text}` },
      el("span", { class: "who", "aria-hidden": "true", text: `${label} · ${time(m.created_at)}` }),
      el("span", { text: m.text }));
    if (m.sources && m.sources.length) li.append(el("div", { class: "sources", text: "Sources: " + m.sources.map((s) => s.title).join(", ") }));
    return li;
  }

  async function act(action, body) {
    if (!current) return;
    $("action-error").textContent = "";
    try {
      await call(`/api/v1/agent/conversations/${current}/${action}`, { method: "POST", body });
      await loadQueue();
      await openConversation(current, false);
    } catch (err) {
      if (!unauthorized(err)) $("action-error").textContent = err.message;
    }
  }

  async function reply(event) {
    event.preventDefault();
    const text = $("reply-text").value.trim();
    if (!text || !current) return;
    const note = $("as-note").checked;
    await act(note ? "notes" : "messages", { text });
    if (!$("action-error").textContent) $("reply-text").value = "";
    if (socket) socket.send({ type: "typing", conversation_id: current, typing: false });
  }

  function onEvent(ev) {
    if (ev.type === "queue") loadQueue();
    else if (ev.type === "resync") {
      loadQueue();
      if (current) openConversation(current, false);
    } else if (ev.conversation_id === current) {
      if (ev.type === "typing" && ev.role === "customer") {
        $("typing").textContent = ev.typing ? "The customer is typing…" : "";
        $("typing").hidden = !ev.typing;
      } else if (["message", "status"].includes(ev.type)) openConversation(current, false);
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
