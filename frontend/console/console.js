// The agent console: the queue, one conversation at a time, live over the agent websocket.
"use strict";

(() => {
  const { api, el, live, time, session } = Tandem;
  const $ = (id) => document.getElementById(id);
  const auth = session("tandem.agent"); // {token, role, name}
  let me = auth.get();
  let current = null; // the open conversation's id
  let shown = null; // the open conversation as last heard of: {id, status, agent_id, ...}
  let heard = 0; // counts what we hear of `shown`: a queue list asked for before is older news
  let lastTeamLoad = 0;
  let forcedNote = false; // the note box was ticked because only notes were possible
  let seqs = new Set(); // the seqs in the open transcript
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
    TandemAlerts.reset();
    showLogin();
  }

  function showLogin() {
    $("login").hidden = false;
    $("app").hidden = true;
    $("logout").hidden = true;
    $("presence").hidden = $("settings").hidden = true;
    $("me").textContent = "";
    $("email").focus();
  }

  async function enter() {
    $("login").hidden = true;
    $("app").hidden = false;
    $("logout").hidden = false;
    $("me").textContent = `${me.name} (${me.role})`;
    try {
      await TandemTeam.start(call, showError);
    } catch (err) {
      if (unauthorized(err)) return;
      $("queue-error").textContent = err.message;
    }
    TandemCanned.start(call, () => ({ ...TandemTeam.me(), role: me.role })).catch(showError);
    TandemHistory.start(call, (id) => openConversation(id, true, true));
    loadQueue();
    TandemTeam.load();
    socket = live("/api/v1/agent/ws", me.token, { onEvent, onState: (up) => {
      $("live").hidden = !up;
      resumed = new Set();
      if (up && current) refresh();
    } });
    // Polling fallback while the websocket is down; the team list refreshes now and then.
    timers.push(setInterval(() => socket.open || loadQueue(), 5000));
    timers.push(setInterval(() => socket.open || refresh(), 3000));
    timers.push(setInterval(() => TandemTeam.load(), 30000));
  }

  function unauthorized(err) {
    if (err && err.status === 401) {
      logout();
      return true;
    }
    return false;
  }

  // ---- the queue --------------------------------------------------------------------------

  async function loadQueue() {
    const asked = heard;
    try {
      const data = await call("/api/v1/agent/queue");
      const queued = data.queued || [];
      const holding = data.mine || [];
      TandemQueue.fill($("queue"), queued, "Nobody is waiting.");
      TandemQueue.fill($("mine"), holding, "None.");
      TandemQueue.fill($("offline"), data.offline || [], "None.");
      $("queue-count").textContent = String(queued.length);
      $("queue-error").textContent = "";
      TandemAlerts.update([...queued, ...holding, ...(data.offline || [])].map((c) => c.id));
      const fresh = [...queued, ...holding, ...(data.offline || [])].find((c) => shown && c.id === shown.id);
      // A list asked for before the latest news (an action's answer, a status frame) was read
      // before it: it would put back a state the conversation has left (a close undone).
      if (fresh && heard === asked) shown = fresh;
      if (shown) renderControls();
    } catch (err) {
      if (!unauthorized(err)) $("queue-error").textContent = err.message;
    }
  }

  // ---- one conversation -------------------------------------------------------------------

  // `byUser`: opened from a list (an error is shown); else a refresh of what is shown, made
  // only while the server still lets this agent read it (no error once it is no longer theirs).
  async function openConversation(id, focus, byUser = true) {
    const switching = id !== current;
    current = id;
    document.querySelectorAll(".conv-list button").forEach((b) => b.setAttribute("aria-current", String(b.closest("li").dataset.id === id)));
    if (byUser && window.matchMedia("(max-width: 800px)").matches) TandemQueue.collapse(true);
    try {
      const c = await call(`/api/v1/agent/conversations/${id}`);
      if (current !== id) return;
      render(c, switching);
      if (held(shown) && socket && socket.open && !resumed.has(id)) {
        resumed.add(id);
        socket.send({ type: "resume", conversation_id: id, last_seq: Math.max(0, ...c.messages.map((m) => m.seq)) });
      }
      if (focus) $("view-title").focus();
    } catch (err) {
      if (unauthorized(err)) return;
      if (byUser) $("action-error").textContent = err.message;
      else if (shown && [403, 404].includes(err.status)) renderControls(); // no longer ours
    }
  }

  function refresh() {
    if (current && shown && shown.id === current && mayRead(shown)) openConversation(current, false, false);
  }

  const who = () => ({ id: (TandemTeam.me() || {}).id, role: me.role });
  const held = (conv) => TandemRules.held(conv, who());
  const mayRead = (conv) => TandemRules.mayRead(conv, who());

  function render(c, switching) {
    $("empty").hidden = true;
    $("conv").hidden = false;
    const conv = c.conversation || {};
    shown = conv;
    heard += 1;
    $("view-title").textContent = `Conversation ${conv.id || current}`;
    $("view-title").tabIndex = -1;
    const esc = c.escalation || {};
    $("reason").textContent = TandemSignals.headline(esc.reason);
    TandemSignals.render($("signals"), c.signals || [], c.documents || {});
    $("contact").textContent = `${conv.contact_email ? "E-mail: " + conv.contact_email : "No e-mail address left"} · Language: ${conv.locale || "unknown"}`;
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

  // A note must never pass for a reply: the box turns amber and the button says what it does.
  function noteMode() {
    const note = $("as-note").checked;
    $("reply").classList.toggle("note", note);
    $("send").textContent = note ? "Add internal note" : "Send to customer";
  }

  // The status badge, the buttons and the reply box, from what we last heard of the open
  // conversation: only what this agent may do in this state is enabled.
  function renderControls() {
    const conv = shown || {};
    const may = TandemRules.allowed(conv, who());
    $("conv-status").textContent = conv.status === "agent" && !may.mine ? `agent: ${TandemTeam.name(conv.agent_id)}` : conv.status || "";
    for (const action of ["claim", "release", "transfer", "close"]) $(action).disabled = !may[action];
    const noting = !may.reply && may.note; // not the holder: internal notes only
    if (noting !== forcedNote) $("as-note").checked = noting; // and back to replies on a claim
    forcedNote = noting;
    $("as-note").disabled = !may.reply;
    noteMode();
    $("send").disabled = $("reply-text").disabled = $("canned").disabled = !(may.reply || may.note);
    $("resummarise").disabled = !may.read;
    document.querySelectorAll("#transcript .marks button").forEach((b) => (b.disabled = !may.read));
    const note = TandemRules.readOnly(conv, who(), TandemTeam.name);
    $("readonly").hidden = !note;
    $("readonly").textContent = note;
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
    const id = current;
    if (!id) return;
    $("action-error").textContent = "";
    try {
      // The answer says where the conversation stands now; its messages come over the socket.
      // What was shown stays (read-only once the conversation is no longer ours): fetching it
      // again would be refused after a transfer or a release.
      const now = await call(`/api/v1/agent/conversations/${id}/${action}`, { method: "POST", body });
      if (shown && shown.id === now.id) {
        shown = { ...shown, status: now.status, agent_id: now.agent_id };
        heard += 1;
      }
      if (action === "claim") TandemAlerts.clear();
      renderControls();
      await loadQueue();
      if (action === "transfer") TandemTeam.load().then(renderControls);
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
        if (Date.now() - lastTeamLoad > 5000) {
          lastTeamLoad = Date.now();
          TandemTeam.load().then(renderControls);
        }
        break;
      case "preview":
        TandemQueue.preview(ev);
        break;
      case "presence": // a colleague is away or back: the team list and the picker follow
        TandemTeam.load().then(renderControls);
        break;
      case "resync":
        loadQueue();
        refresh();
        break;
      case "message":
        if (ev.conversation_id === current) append(ev.message);
        break;
      case "status":
        if (shown && ev.conversation_id === shown.id) {
          shown = { ...shown, status: ev.status, agent_id: ev.status === "agent" ? ev.agent_id ?? shown.agent_id : null };
          heard += 1;
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
    $("transfer").addEventListener("click", async () => {
      try {
        const to = await TandemTeam.pick();
        if (to) act("transfer", { agent_id: to });
      } catch (err) {
        showError(err);
      }
    });
    $("reply").addEventListener("submit", reply);
    $("resummarise").addEventListener("click", resummarise);
    $("as-note").addEventListener("change", noteMode);
    $("reply-text").addEventListener("input", () => {
      if (!socket || !current || Date.now() - typingSent < 3000) return;
      typingSent = Date.now();
      socket.send({ type: "typing", conversation_id: current, typing: true });
    });
  }

  bind();
  TandemQueue.start((id) => openConversation(id, true), () => current);
  if (me && me.token) enter();
  else showLogin();
})();
