// The customer's chat, inside its own frame. Message text is untrusted: textContent only.
"use strict";

(() => {
  const { api, ApiError, el, live, duration, session } = Tandem;
  const $ = (id) => document.getElementById(id);
  const locale = pickLocale();
  const T = WIDGET_TEXTS[locale];
  // Both last in this browser: a customer who left a message comes back to the same chat.
  const stored = session("tandem.conversation", { lasting: true }); // {id, token, last_seq}
  const outbox = session("tandem.outbox", { lasting: true }); // [{client_id, text}], unsent

  let conv = null;
  let status = null;
  let socket = null;
  let pollTimer = null;
  let typingSent = 0;
  let agentName = "";
  let line = {}; // the queue line as last heard: position, expected wait, anyone online
  let emailReplies = false; // the server answers left messages by e-mail (missing: no)
  let loaded = false; // the transcript is loaded: what arrives now is new to the customer
  let hostOrigin = null; // the embedding page, as the browser reported it in its hello
  const seen = new Map(); // seq -> rendered <li>
  const drafts = new Map(); // reply_to -> provisional <li>

  function pickLocale() {
    const asked = new URLSearchParams(location.search).get("locale"); // the embed's choice
    const browser = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language];
    const langs = [asked, ...browser];
    for (const lang of langs) {
      const code = String(lang || "").slice(0, 2).toLowerCase();
      if (WIDGET_TEXTS[code]) return code;
    }
    return "en";
  }

  function t(key, values = {}) {
    return T[key].replace(/\{(\w+)\}/g, (_, k) => (values[k] == null ? "" : values[k]));
  }

  function translate() {
    document.documentElement.lang = locale;
    document.querySelectorAll("[data-i18n]").forEach((n) => (n.textContent = t(n.dataset.i18n)));
    document.querySelectorAll("[data-i18n-label]").forEach((n) => n.setAttribute("aria-label", t(n.dataset.i18nLabel)));
    document.querySelectorAll("[data-i18n-placeholder]").forEach((n) => (n.placeholder = t(n.dataset.i18nPlaceholder)));
  }

  // ---- rendering -------------------------------------------------------------------------

  function who(m) {
    if (m.role === "customer") return t("you");
    if (m.role === "agent") return m.author || agentName || t("agent");
    if (m.role === "system") return t("system");
    return m.ai === false && m.author ? m.author : t("ai");
  }

  function bubble(m, extraClass = "") {
    const label = who(m);
    const li = el("li", { class: `msg ${m.role} ${m.kind || "text"} ${extraClass}`.trim(), "aria-label": `${label}: ${m.text}` });
    li.append(el("span", { class: "who", "aria-hidden": "true", text: label }));
    li.append(m.kind === "disclosure" ? disclosureText(m.text) : el("span", { class: "text", text: m.text }));
    if (m.sources && m.sources.length) {
      const titles = [...new Set(m.sources.map((s) => s.title))];
      li.append(el("div", { class: "sources" }, el("span", { text: t("sources") + ":" }), el("ul", {}, titles.map((x) => el("li", { text: x })))));
      li.setAttribute("aria-label", `${label}: ${m.text} ${t("sources")}: ${titles.join(", ")}`);
    }
    return li;
  }

  // The disclosure is ours, not the LLM's: its "/ai-policy" mention becomes a real link.
  function disclosureText(text) {
    const span = el("span", { class: "text" });
    text.split("/ai-policy").forEach((part, i) => {
      if (i > 0) span.append(el("a", { href: "/ai-policy", target: "_blank", rel: "noopener", text: "/ai-policy" }));
      span.append(part);
    });
    return span;
  }

  function addMessage(m) {
    if (!m || m.seq == null || seen.has(m.seq)) return;
    if (loaded && m.role !== "customer") tell({ type: "tandem:reply" }); // counts only while closed
    if (m.role === "assistant" || m.role === "system") clearDrafts(m.seq);
    if (m.role === "customer") dropPending(m.text);
    if (m.role === "agent" && m.author && m.author !== agentName) {
      agentName = m.author;
      if (status === "agent") setStatus("agent"); // the status line names who answers now
    }
    const li = bubble(m);
    li.dataset.seq = m.seq;
    seen.set(m.seq, li);
    const later = [...$("log").querySelectorAll("li[data-seq]")].find((n) => Number(n.dataset.seq) > m.seq);
    $("log").insertBefore(li, later || firstTransient());
    if (conv && m.seq > conv.last_seq) {
      conv.last_seq = m.seq;
      stored.set(conv);
    }
    scrollDown();
  }

  function firstTransient() {
    return $("log").querySelector("li.pending, li.draft");
  }

  function addAll(messages) {
    [...(messages || [])].sort((a, b) => a.seq - b.seq).forEach(addMessage);
  }

  function scrollDown() {
    $("log").scrollTop = $("log").scrollHeight;
  }

  function clearDrafts(beforeSeq = Infinity) {
    for (const [replyTo, li] of drafts) {
      if (replyTo < beforeSeq) {
        li.remove();
        drafts.delete(replyTo);
      }
    }
  }

  function draftToken(replyTo, text) {
    let li = drafts.get(replyTo);
    if (!li) {
      li = bubble({ role: "assistant", kind: "text", text: "", ai: true }, "draft");
      li.setAttribute("aria-busy", "true");
      drafts.set(replyTo, li);
      $("log").append(li);
    }
    const span = li.querySelector(".text");
    span.textContent += text;
    li.setAttribute("aria-label", `${t("ai")}: ${span.textContent}`);
    scrollDown();
  }

  function dropPending(text) {
    const match = [...$("log").querySelectorAll("li.pending")].find((n) => n.dataset.text === text);
    if (match) match.remove();
  }

  // ---- status ----------------------------------------------------------------------------

  // The line comes from a status frame (flat) or an HTTP answer (`queue`); a turn's answer has
  // none, and then the last one heard still holds.
  function hearLine(info) {
    const q = info.queue || info;
    if (q.position != null) line = { position: q.position, wait: q.expected_wait_seconds, online: q.agents_online };
  }

  function setStatus(next, info = {}) {
    if (!next) return;
    status = next;
    if ("email_replies" in info) emailReplies = info.email_replies === true;
    if (next === "queued") hearLine(info);
    else line = {};
    const nobody = next === "queued" && line.online === false;
    const box = $("status");
    const lines = [];
    if (next === "queued") {
      // Nobody online: say so, and offer the message form instead of promising a wait.
      lines.push(t(nobody ? "nobodyOnline" : "queued"));
      if (line.position != null) lines.push(t("position", { n: line.position }));
      if (line.wait != null && !nobody) lines.push(t("wait", { t: duration(line.wait) }));
    } else if (next === "agent") {
      if (info.agent) agentName = info.agent; // a transfer's new holder, until they write
      lines.push(t("withAgent", { name: agentName || t("agent") }));
    }
    else if (next === "offline") lines.push(t("offline"));
    else if (next === "closed") lines.push(t("closed"));
    box.textContent = lines.join(" ");
    box.hidden = lines.length === 0;
    $("human-btn").disabled = next !== "bot";
    if (next === "offline" || nobody) $("contact").hidden = false;
    else if (next !== "queued") $("contact").hidden = true; // someone answers here, or it is over
    $("email-link").hidden = next !== "queued" || !$("contact").hidden;
    $("contact-intro").textContent = t(emailReplies ? "contactWithEmail" : "contactInChat");
    $("new-btn").hidden = next !== "closed";
    if (next === "closed") offerRating();
    setInput(next !== "closed");
    scrollDown();
  }

  function setInput(enabled) {
    $("export-btn").disabled = $("delete-btn").disabled = !conv;
    $("input").disabled = !enabled;
    $("send-btn").disabled = !enabled;
  }

  function setTyping(text) {
    $("typing").textContent = text || "";
    $("typing").hidden = !text;
  }

  // ---- conversation lifecycle -------------------------------------------------------------

  async function start(aiOptOut) {
    $("start-info").textContent = t("starting");
    $("start-btn").disabled = $("optout-btn").disabled = true;
    try {
      const data = await api("/api/v1/conversations", { method: "POST", body: { locale, ai_opt_out: aiOptOut } });
      conv = { id: data.id, token: data.token, last_seq: 0 };
      stored.set(conv);
      emailReplies = data.email_replies === true;
      open(data.messages, data.status, data);
      if (!$("input").disabled) $("input").focus();
    } catch (err) {
      $("start-info").textContent = t("error");
    } finally {
      $("start-btn").disabled = $("optout-btn").disabled = false;
    }
  }

  // Show the transcript (disclosure first) and only then enable the input.
  function open(messages, initialStatus, info) {
    $("start").hidden = true;
    addAll(messages);
    setStatus(initialStatus, info);
    connect();
    flushOutbox();
    loaded = true;
    tell({ type: "tandem:active", active: true });
  }

  async function resume() {
    conv = stored.get();
    if (!conv || !conv.id) return false;
    try {
      const data = await api(`/api/v1/conversations/${conv.id}/messages`, { token: conv.token, query: { after: 0 } });
      open(data.messages, data.status, data);
      return true;
    } catch (err) {
      if (err instanceof ApiError && [401, 403, 404].includes(err.status)) {
        forget();
        return false;
      }
      $("start").hidden = true;
      connect(); // the network is down: keep the conversation and keep trying
      return true;
    }
  }

  function forget() {
    stored.set(null);
    outbox.set(null);
    conv = null;
    if (socket) socket.close();
    socket = null;
    clearInterval(pollTimer);
    seen.clear();
    drafts.clear();
    $("log").replaceChildren();
    $("status").hidden = true;
    $("contact").hidden = true;
    setTyping("");
    setInput(false);
    $("human-btn").disabled = false;
    $("new-btn").hidden = true;
    $("email-link").hidden = true;
    $("start").hidden = false;
    $("rating").hidden = true;
    line = {};
    loaded = false;
    tell({ type: "tandem:active", active: false });
  }

  function connect() {
    if (socket || !conv) return;
    socket = live(`/api/v1/conversations/${conv.id}/ws`, conv.token, {
      lastSeq: () => (conv ? conv.last_seq : 0),
      onEvent,
      onState: (up) => up && poll(),
    });
    clearInterval(pollTimer);
    // Polling is the fallback while the websocket is down. While it is up, the socket replays
    // from last_seq without gaps (or says resync), so nothing is fetched behind its back.
    pollTimer = setInterval(() => socket.open || poll(), 3000);
  }

  async function poll() {
    if (!conv) return;
    try {
      const data = await api(`/api/v1/conversations/${conv.id}/messages`, { token: conv.token, query: { after: conv.last_seq } });
      addAll(data.messages);
      if (data.status !== status || data.queue || (data.agent && data.agent !== agentName)) setStatus(data.status, data);
      else if ("email_replies" in data) emailReplies = data.email_replies === true;
    } catch (err) {
      if (err instanceof ApiError && [401, 403, 404].includes(err.status)) forget();
    }
  }

  function onEvent(ev) {
    switch (ev.type) {
      case "message": // the stored message itself: shown as it is, nothing to fetch
        addMessage(ev.message);
        if (ev.message && ev.message.role === "agent") setTyping("");
        break;
      case "token":
        draftToken(ev.reply_to, ev.text || "");
        break;
      case "draft_discarded":
        if (drafts.has(ev.reply_to)) {
          drafts.get(ev.reply_to).remove();
          drafts.delete(ev.reply_to);
        }
        break;
      case "status": // with the queue position and expected wait while queued
        setStatus(ev.status, ev);
        break;
      case "typing":
        if (ev.role === "agent") setTyping(ev.typing ? t("typingAgent", { name: agentName || t("agent") }) : "");
        else if (ev.role === "assistant") setTyping(ev.typing ? t("typingAI") : "");
        break;
      case "ready":
        if (ev.status !== status) setStatus(ev.status, ev);
        break;
      case "resync":
        poll();
        break;
    }
  }

  // ---- sending ----------------------------------------------------------------------------

  function newId() {
    return crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2);
  }

  function queueSend(text) {
    const item = { client_id: newId(), text };
    outbox.set([...(outbox.get() || []), item]);
    send(item);
  }

  function flushOutbox() {
    (outbox.get() || []).forEach(send);
  }

  async function send(item) {
    let li = $("log").querySelector(`li.pending[data-client-id="${item.client_id}"]`);
    if (!li) {
      li = bubble({ role: "customer", kind: "text", text: item.text }, "pending");
      li.dataset.clientId = item.client_id;
      li.dataset.text = item.text;
      $("log").append(li);
      scrollDown();
    }
    li.classList.remove("failed");
    li.querySelectorAll(".meta, .retry").forEach((n) => n.remove());
    if (status === "bot") setTyping(t("typingAI"));
    for (let attempt = 0; attempt < 4; attempt += 1) {
      try {
        const data = await api(`/api/v1/conversations/${conv.id}/messages`, {
          method: "POST", token: conv.token, body: { text: item.text, client_id: item.client_id },
        });
        li.remove();
        unqueue(item);
        clearDrafts();
        addAll(data.messages);
        setStatus(data.status, data);
        setTyping("");
        return;
      } catch (err) {
        const retryable = !(err instanceof ApiError) || err.status >= 500 || err.status === 429;
        if (!retryable) {
          unqueue(item);
          return fail(li, item, err.message, false);
        }
        await new Promise((r) => setTimeout(r, 1000 * 2 ** attempt));
      }
    }
    fail(li, item, t("failed"), true);
  }

  function unqueue(item) {
    outbox.set((outbox.get() || []).filter((x) => x.client_id !== item.client_id));
  }

  function fail(li, item, message, canRetry) {
    setTyping("");
    li.classList.add("failed");
    li.append(el("div", { class: "meta", role: "alert", text: message }));
    if (canRetry) li.append(el("button", { type: "button", class: "retry", text: t("retry"), onclick: () => send(item) }));
  }

  // ---- controls ---------------------------------------------------------------------------

  async function handoff() {
    if (!conv) return start(true);
    $("human-btn").disabled = true;
    try {
      const data = await api(`/api/v1/conversations/${conv.id}/handoff`, { method: "POST", token: conv.token });
      addAll(data.messages);
      setStatus(data.status, data);
      poll(); // the queue position and expected wait
    } catch (err) {
      $("human-btn").disabled = false;
      setTyping(t("error"));
    }
  }

  async function leaveContact(event) {
    event.preventDefault();
    const email = $("contact-email").value.trim();
    try {
      const data = await api(`/api/v1/conversations/${conv.id}/contact`, { method: "POST", token: conv.token, body: { email, leave_message: true } });
      addAll(data.messages);
      setStatus(data.status, data);
      $("contact-info").textContent = t(emailReplies ? "contactSavedEmail" : "contactSavedChat", { email });
      $("contact-info").className = "";
    } catch (err) {
      $("contact-info").textContent = err.message || t("error");
      $("contact-info").className = "error";
    }
  }

  async function exportData() {
    closeMenu();
    if (!conv) return;
    const data = await api(`/api/v1/conversations/${conv.id}/export`, { token: conv.token });
    const url = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: "application/json" }));
    const a = el("a", { href: url, download: `conversation-${conv.id}.json` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  async function erase() {
    closeMenu();
    if (!conv || !confirm(t("confirmDelete"))) return;
    try {
      await api(`/api/v1/conversations/${conv.id}`, { method: "DELETE", token: conv.token });
      forget();
      $("start-info").textContent = t("deleted");
    } catch (err) {
      setTyping(t("error"));
    }
  }

  function toggleMenu() {
    const menu = $("menu");
    menu.hidden = !menu.hidden;
    $("menu-btn").setAttribute("aria-expanded", String(!menu.hidden));
    if (!menu.hidden) menu.querySelector("[role=menuitem]").focus();
  }

  function closeMenu() {
    $("menu").hidden = true;
    $("menu-btn").setAttribute("aria-expanded", "false");
  }

  function onInput() {
    if (!socket || Date.now() - typingSent < 3000) return;
    typingSent = Date.now();
    socket.send({ type: "typing", typing: true });
  }

  function bind() {
    $("start-btn").addEventListener("click", () => start(false));
    $("optout-btn").addEventListener("click", () => start(true));
    $("human-btn").addEventListener("click", handoff);
    $("new-btn").addEventListener("click", () => forget());
    $("email-link").addEventListener("click", () => {
      $("contact").hidden = false;
      $("email-link").hidden = true;
      $("contact-email").focus();
    });
    $("contact").addEventListener("submit", leaveContact);
    $("menu-btn").addEventListener("click", toggleMenu);
    $("menu").addEventListener("keydown", (e) => e.key === "Escape" && (closeMenu(), $("menu-btn").focus()));
    $("export-btn").addEventListener("click", exportData);
    $("delete-btn").addEventListener("click", erase);
    $("close-btn").addEventListener("click", () => tell({ type: "tandem:close" }));
    window.addEventListener("message", hello);
    $("input").addEventListener("input", onInput);
    $("input").addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey) {
        e.preventDefault();
        $("composer").requestSubmit();
      }
    });
    $("composer").addEventListener("submit", (e) => {
      e.preventDefault();
      const text = $("input").value.trim();
      if (!text || !conv) return;
      $("input").value = "";
      if (socket) socket.send({ type: "typing", typing: false });
      queueSend(text);
    });
  }

  // ---- the embedding page and the rating -------------------------------------------------

  // Only the embed script in our parent says hello; its origin (from the browser, not from the
  // message) is the one place our notices go. Never "*": a notice says a reply came.
  function hello(e) {
    if (e.source !== parent || parent === window || !e.data || e.data.type !== "tandem:hello") return;
    hostOrigin = e.origin;
    if (conv) tell({ type: "tandem:active", active: true });
  }

  function tell(message) {
    if (hostOrigin) parent.postMessage(message, hostOrigin);
  }

  const rated = {
    key: () => `tandem.rated.${conv.id}`,
    get() {
      try {
        return localStorage.getItem(this.key()) !== null;
      } catch (err) {
        return false;
      }
    },
    set(score) {
      try {
        localStorage.setItem(this.key(), String(score));
      } catch (err) {
        /* storage off: the question may come back after a reload */
      }
    },
  };

  function offerRating() {
    if (!conv || rated.get() || !$("rating").hidden) return;
    const stars = [1, 2, 3, 4, 5].map((n) =>
      el("button", { type: "button", class: "star", "aria-label": t("rateScore", { n }), text: "★", onclick: () => rate(n) }),
    );
    $("rating-stars").replaceChildren(...stars);
    $("rating-info").textContent = "";
    $("rating").hidden = false;
    scrollDown();
  }

  async function rate(score) {
    const buttons = [...$("rating-stars").querySelectorAll("button")];
    buttons.forEach((b) => (b.disabled = true));
    try {
      await api(`/api/v1/conversations/${conv.id}/rating`, { method: "POST", token: conv.token, body: { score } });
      rated.set(score);
      $("rating-stars").replaceChildren();
      $("rating-info").textContent = t("rateThanks");
    } catch (err) {
      buttons.forEach((b) => (b.disabled = false));
      $("rating-info").textContent = t("error");
    }
  }

  translate();
  bind();
  setInput(false);
  resume();
})();
