// The agent console: the queue, one conversation at a time, live over the agent websocket.
"use strict";

(() => {
  const { api, el, live, duration, since, time, show, session } = Tandem;
  const $ = (id) => document.getElementById(id);
  const auth = session("tandem.agent"); // {token, role, name}
  let me = auth.get();
  let current = null; // the open conversation's id
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
    socket = live("/api/v1/agent/ws", me.token, { onEvent, onState: (up) => ($("live").hidden = !up) });
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
      const all = items(data, "queue", "conversations", "items", "waiting");
      const queued = all.filter((c) => !c.status || c.status === "queued");
      const offline = data.offline || all.filter((c) => c.status === "offline");
      const mine = data.mine || data.claimed || all.filter((c) => c.status === "agent");
      fill($("queue"), queued, "Nobody is waiting.");
      fill($("mine"), mine, "None.");
      fill($("offline"), offline, "None.");
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
    const id = c.id || c.conversation_id;
    const waited = c.waiting_seconds ?? c.wait_seconds ?? (c.queued_at ? since(c.queued_at) : null);
    const reason = c.escalation_reason || c.reason || (c.escalation && c.escalation.reason) || "—";
    const priority = c.priority ? el("span", { class: "badge hot", text: `priority ${c.priority}` }) : null;
    const preview = c.preview || c.last_message || c.contact_email || "";
    return el("li", {}, el("button", {
      type: "button", "aria-current": String(id === current), onclick: () => openConversation(id, true),
      "aria-label": `Conversation ${id}, ${reason}, waiting ${duration(waited)}`,
    },
      el("span", { class: "line" }, el("strong", { text: reason.replace(/_/g, " ") }), priority),
      el("span", { class: "line" }, el("span", { text: `waiting ${duration(waited)}` }), el("span", { class: "badge", text: c.locale || "" })),
      preview ? el("span", { class: "preview", text: typeof preview === "string" ? preview : show(preview) }) : null,
      c.agent || c.agent_name ? el("span", { class: "preview", text: `with ${c.agent_name || c.agent}` }) : null,
    ));
  }

  async function loadCanned() {
    try {
      const data = await call("/api/v1/agent/canned");
      const replies = items(data, "canned", "replies", "items");
      $("canned").replaceChildren(el("option", { value: "", text: "—" }), ...replies.map((r, i) => {
        const text = typeof r === "string" ? r : r.text;
        return el("option", { value: String(i), dataset: { text }, text: (r.title || text).slice(0, 60) });
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
      if (focus) $("view-title").focus();
    } catch (err) {
      if (!unauthorized(err)) $("action-error").textContent = err.message;
    }
  }

  function render(c, switching) {
    $("empty").hidden = true;
    $("conv").hidden = false;
    $("view-title").textContent = `Conversation ${c.id || current}`;
    $("view-title").tabIndex = -1;
    $("conv-status").textContent = c.status || "";
    const esc = c.escalation || {};
    const reason = esc.reason || c.escalation_reason;
    $("reason").textContent = reason ? `${reason.replace(/_/g, " ")}${esc.detail || c.escalation_detail ? ": " + (esc.detail || c.escalation_detail) : ""}` : "No escalation.";
    renderSignals(esc.signals || c.signals || {});
    renderSentiment(c.sentiment_trend || c.sentiment || []);
    $("summary").textContent = c.summary || "No summary yet.";
    const messages = items(c, "messages", "transcript");
    $("transcript").replaceChildren(...messages.map(line));
    if (switching) $("transcript").scrollTop = $("transcript").scrollHeight;
    const mine = c.status === "agent" && (c.agent_is_me ?? (c.agent ? c.agent === me.name || c.agent.name === me.name : true));
    $("claim").disabled = !["queued", "offline"].includes(c.status);
    $("release").disabled = $("transfer").disabled = !mine;
    $("close").disabled = c.status === "closed";
    $("send").disabled = c.status === "closed";
    $("action-error").textContent = "";
  }

  function renderSignals(signals) {
    const rows = Object.entries(signals).flatMap(([k, v]) => [el("dt", { text: k.replace(/_/g, " ") }), el("dd", { text: show(v) })]);
    $("signals").replaceChildren(...rows);
  }

  function renderSentiment(trend) {
    const values = trend.map((x) => (typeof x === "number" ? x : x.negative ?? x.score ?? 0));
    $("sentiment").replaceChildren(...values.map((v) => {
      const bar = el("span", { class: v >= 0.6 ? "neg" : "", title: `negative ${v.toFixed(2)}` });
      bar.style.height = `${Math.max(4, Math.round(v * 100))}%`;
      return bar;
    }));
    $("sentiment").setAttribute("aria-label", values.length ? `Negative sentiment per turn: ${values.map((v) => v.toFixed(2)).join(", ")}` : "No sentiment yet");
  }

  function line(m) {
    const label = m.internal ? `Note by ${m.author || "agent"}` : m.role === "assistant" ? "AI assistant" : m.role === "agent" ? m.author || "Agent" : m.role === "system" ? "System" : "Customer";
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
      await openConversation(current, false);
      loadQueue();
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
      const email = prompt("Transfer to which agent (e-mail)? Leave empty to put it back in the queue.");
      if (email !== null) act("transfer", email.trim() ? { email: email.trim() } : {});
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
