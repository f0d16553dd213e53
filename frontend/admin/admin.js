// The operator console: escalation policy, disclosure texts, knowledge base and suggestions, audit trail, stats.
"use strict";

(() => {
  const { api, el, table, show, session } = Tandem;
  const $ = (id) => document.getElementById(id);
  const auth = session("tandem.operator");
  const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
  const TEXT_KEYS = ["disclosure", "offer_person", "quote_intro", "no_answer", "handoff_queued", "handoff_offline",
    "handoff_offline_chat", "message_left", "message_left_chat", "opt_out", "llm_unavailable", "declined", "agent_joined", "agent_left", "closed", "lease_expired"];
  const NUMBERS = ["min_confidence", "negative_sentiment_threshold", "offer_person_threshold", "negative_turns", "max_bot_turns", "long_wait_seconds"];
  let me = auth.get();
  let config = null; // the settings as last loaded: {policy, disclosure}

  const call = (path, options = {}) => api(path, { ...options, token: me && me.token });

  async function login(event) {
    event.preventDefault();
    $("login-error").textContent = "";
    try {
      const data = await api("/api/v1/auth/login", { method: "POST", body: { email: $("email").value, password: $("password").value } });
      if (data.role !== "operator") throw new Error("This account is not an operator.");
      me = { token: data.token, name: data.name || $("email").value };
      auth.set(me);
      enter();
    } catch (err) {
      $("login-error").textContent = err.message;
    }
  }

  function logout() {
    call("/api/v1/auth/logout", { method: "POST" }).catch(() => {});
    auth.set(null);
    me = null;
    $("app").hidden = $("logout").hidden = true;
    $("login").hidden = false;
    $("me").textContent = "";
  }

  function enter() {
    $("login").hidden = true;
    $("app").hidden = $("logout").hidden = false;
    $("me").textContent = me.name;
    loadSettings();
  }

  function guard(target) {
    return (err) => {
      if (err.status === 401) return logout();
      target.textContent = err.message;
      target.className = "error";
    };
  }

  function info(target, text) {
    target.textContent = text;
    target.className = "ok";
  }

  // ---- tabs -------------------------------------------------------------------------------

  const loadSuggestions = (event) => {
    if (event) event.preventDefault();
    TandemSuggestions.load(call, guard($("suggestions-info")));
  };
  // E-mail: the outbox (frontend/admin/mail.js).
  const loadMail = (event) => {
    if (event) event.preventDefault();
    TandemMail.load(call, guard($("mail-status")));
  };
  const loadTeam = () => TandemTeamAdmin.load(call, guard($("team-info")));
  // Fairness: the bias audit (frontend/admin/audit.js).
  const loadFairness = () => TandemFairness.load(call, guard($("fairness-info")));
  const loadPrivacy = () => TandemPrivacy.load(call, guard($("privacy-info"))); // frontend/admin/privacy.js
  const loaders = { kb: loadDocuments, suggestions: loadSuggestions, decisions: loadDecisions, stats: loadStats, texts: renderTexts, settings: () => {}, mail: loadMail, team: loadTeam, fairness: loadFairness, privacy: loadPrivacy };

  function showTab(name) {
    document.querySelectorAll("[data-tab]").forEach((b) => b.setAttribute("aria-current", b.dataset.tab === name ? "page" : "false"));
    document.querySelectorAll("main > section").forEach((s) => (s.hidden = s.id !== "tab-" + name));
    loaders[name]();
  }

  // ---- policy -----------------------------------------------------------------------------

  async function loadSettings() {
    try {
      config = await call("/api/v1/admin/settings");
      fillPolicy(config.policy);
    } catch (err) {
      guard($("policy-info"))(err);
    }
  }

  function fillPolicy(p) {
    NUMBERS.forEach((k) => ($(k).value = p[k] ?? ""));
    $("low_confidence_action").value = p.low_confidence_action || "escalate";
    $("human_only").checked = Boolean(p.human_only);
    $("restricted_topics").value = JSON.stringify(p.restricted_topics || [], null, 2);
    $("reply_expectation").value = JSON.stringify(p.reply_expectation || {}, null, 2);
    const hours = p.business_hours;
    $("hours_on").checked = Boolean(hours);
    $("timezone").value = hours ? hours.timezone : "UTC";
    DAYS.forEach((d) => ($("day-" + d).value = hours && hours.days[d] ? hours.days[d].map((s) => s.join("-")).join(", ") : ""));
    $("hours").disabled = !hours;
  }

  function readPolicy() {
    const p = { ...(config ? config.policy : {}) };
    NUMBERS.forEach((k) => (p[k] = Number($(k).value)));
    p.low_confidence_action = $("low_confidence_action").value;
    p.human_only = $("human_only").checked;
    p.restricted_topics = parseJson("restricted_topics", "Restricted topics");
    p.reply_expectation = parseJson("reply_expectation", "Reply expectation");
    p.business_hours = $("hours_on").checked ? { timezone: $("timezone").value.trim() || "UTC", days: readDays() } : null;
    return p;
  }

  function readDays() {
    const days = {};
    for (const d of DAYS) {
      const spans = $("day-" + d).value.split(",").map((s) => s.trim()).filter(Boolean).map((s) => s.split("-").map((x) => x.trim()));
      if (spans.length) days[d] = spans;
    }
    return days;
  }

  function parseJson(id, name) {
    try {
      return JSON.parse($(id).value || "null");
    } catch (err) {
      throw new Error(`${name}: not valid JSON (${err.message})`);
    }
  }

  async function savePolicy(event) {
    event.preventDefault();
    try {
      config = await call("/api/v1/admin/settings", { method: "PUT", body: { policy: readPolicy(), disclosure: config.disclosure } });
      fillPolicy(config.policy);
      info($("policy-info"), "Saved. Every conversation uses it from its next turn.");
    } catch (err) {
      guard($("policy-info"))(err);
    }
  }

  async function previewPolicy() {
    $("preview").replaceChildren(el("p", { class: "muted", text: "Replaying recent decisions…" }));
    try {
      const result = await call("/api/v1/admin/settings/preview", { method: "POST", body: { policy: readPolicy() } });
      $("preview").replaceChildren(...renderPreview(result));
    } catch (err) {
      $("preview").replaceChildren(el("p", { class: "error", role: "alert", text: err.message }));
    }
  }

  function renderPreview(r) {
    const nodes = [el("h3", { text: "Preview: what this policy would have done" })];
    const scalars = Object.entries(r).filter(([, v]) => v == null || typeof v !== "object");
    nodes.push(el("div", { class: "cards" }, scalars.map(([k, v]) => card(k, v))));
    for (const [k, v] of Object.entries(r)) {
      if (Array.isArray(v)) nodes.push(el("h4", { text: k.replace(/_/g, " ") }), v.length ? table(v) : el("p", { class: "muted", text: "None." }));
      else if (v && typeof v === "object") nodes.push(el("h4", { text: k.replace(/_/g, " ") }), counts(v));
    }
    return nodes;
  }

  // ---- disclosure texts -------------------------------------------------------------------

  function renderTexts() {
    if (!config) return;
    const locale = $("locale").value;
    const current = (config.disclosure.texts || {})[locale] || {};
    const fields = TEXT_KEYS.flatMap((key) => [
      el("label", { for: "text-" + key, text: key.replace(/_/g, " ") }),
      el("textarea", { id: "text-" + key, rows: key === "disclosure" ? 4 : 2, dataset: { key } }),
    ]);
    $("texts").replaceChildren(...fields, el("div", { class: "buttons" }, el("button", { type: "submit", class: "primary", text: `Save ${locale} texts` })));
    TEXT_KEYS.forEach((key) => ($("text-" + key).value = current[key] || ""));
  }

  async function saveTexts(event) {
    event.preventDefault();
    const locale = $("locale").value;
    const entries = {};
    $("texts").querySelectorAll("textarea").forEach((t) => t.value.trim() && (entries[t.dataset.key] = t.value.trim()));
    const texts = { ...(config.disclosure.texts || {}), [locale]: entries };
    if (!Object.keys(entries).length) delete texts[locale];
    try {
      config = await call("/api/v1/admin/settings", { method: "PUT", body: { policy: config.policy, disclosure: { texts } } });
      info($("texts-info"), `Saved the ${locale} texts.`);
    } catch (err) {
      guard($("texts-info"))(err);
    }
  }

  // ---- knowledge base ---------------------------------------------------------------------

  async function loadDocuments() {
    try {
      const docs = await call("/api/v1/admin/kb/documents");
      const rows = docs.map((d) => el("tr", {},
        el("td", { text: d.title }), el("td", { text: d.source || "" }), el("td", { text: show(d.chunks) }),
        el("td", { text: (d.updated_at || "").slice(0, 16).replace("T", " ") }),
        el("td", {}, el("button", { type: "button", class: "danger", "aria-label": `Delete ${d.title}`, text: "Delete", onclick: () => deleteDocument(d) }))));
      $("documents").replaceChildren(el("table", {},
        el("thead", {}, el("tr", {}, ["Title", "Source", "Passages", "Updated", ""].map((h) => el("th", { scope: "col", text: h })))),
        el("tbody", {}, rows)));
    } catch (err) {
      guard($("kb-info"))(err);
    }
  }

  // Each file is sent as it is and parsed by the server, as `tandem kb ingest` parses it; one
  // file refused (the 422 says why) does not stop the others.
  async function upload(event) {
    event.preventDefault();
    const files = [...$("files").files];
    if (!files.length) return;
    const added = [];
    const refused = [];
    for (const file of files) {
      try {
        const doc = await call("/api/v1/admin/kb/files", { method: "POST", body: file, query: { name: file.name } });
        added.push(doc.title);
      } catch (err) {
        if (err.status === 401) return logout();
        refused.push(err.status === 422 ? err.message : `${file.name}: ${err.message}`);
      }
    }
    const lines = added.length ? [el("p", { class: "ok", text: `Added ${added.length} document(s): ${added.join(", ")}.` })] : [];
    if (refused.length) lines.push(el("p", { class: "error", text: `Not added (${refused.length}):` }), el("ul", { class: "error" }, refused.map((r) => el("li", { text: r }))));
    $("kb-info").className = "";
    $("kb-info").replaceChildren(...lines);
    $("files").value = "";
    if (added.length) loadDocuments();
  }

  async function deleteDocument(doc) {
    if (!confirm(`Delete "${doc.title}" from the knowledge base?`)) return;
    try {
      await call(`/api/v1/admin/kb/documents/${doc.id}`, { method: "DELETE" });
      info($("kb-info"), `Deleted "${doc.title}".`);
      loadDocuments();
    } catch (err) {
      guard($("kb-info"))(err);
    }
  }

  // ---- decisions --------------------------------------------------------------------------

  async function loadDecisions(event) {
    if (event) event.preventDefault();
    const since = $("f-since").value;
    try {
      const data = await call("/api/v1/admin/decisions", {
        query: { outcome: $("f-outcome").value, reason: $("f-reason").value.trim(), conversation_id: $("f-conv").value.trim(), since: since ? since + "T00:00:00Z" : "" },
      });
      const list = Array.isArray(data) ? data : data.decisions || [];
      if ("chain_intact" in data) {
        $("chain").textContent = data.chain_intact ? "Audit chain intact: no decision was altered." : "Warning: the audit chain is broken.";
        $("chain").className = data.chain_intact ? "ok" : "error";
      }
      $("decisions").replaceChildren(list.length ? decisionTable(list) : el("p", { class: "muted", text: "No decisions match." }));
    } catch (err) {
      guard($("chain"))(err);
    }
  }

  function decisionTable(list) {
    const cols = ["When", "Conversation", "Turn", "Outcome", "Reason", "Confidence", "Signals"];
    const rows = list.map((d) => el("tr", {},
      el("td", { text: (d.created_at || "").slice(0, 19).replace("T", " ") }),
      el("td", { text: d.conversation_id }), el("td", { text: show(d.message_seq) }),
      el("td", { text: d.outcome }), el("td", { text: d.reason || "" }), el("td", { text: show(d.confidence) }),
      el("td", {}, el("details", {}, el("summary", { text: `${Object.keys(d.signals || {}).length} signals` }),
        el("pre", { text: JSON.stringify({ signals: d.signals, thresholds: d.thresholds }, null, 2) })))));
    return el("table", {}, el("thead", {}, el("tr", {}, cols.map((c) => el("th", { scope: "col", text: c })))), el("tbody", {}, rows));
  }

  // ---- stats ------------------------------------------------------------------------------

  async function loadStats() {
    try {
      const s = await call("/api/v1/admin/stats");
      const scalars = Object.entries(s).filter(([, v]) => v == null || typeof v !== "object");
      const nodes = [el("div", { class: "cards" }, scalars.map(([k, v]) => card(k, v)))];
      for (const [k, v] of Object.entries(s)) {
        if (v && typeof v === "object") nodes.push(el("h3", { text: k.replace(/_/g, " ") }), Array.isArray(v) ? table(v) : counts(v, /seconds/.test(k)));
      }
      $("stats").replaceChildren(...nodes);
    } catch (err) {
      $("stats").replaceChildren(el("p", { class: "error", text: err.message }));
    }
  }

  function card(key, value) {
    const rate = /rate|ratio|share/.test(key) && typeof value === "number" && value <= 1;
    const text = value == null ? "–" : rate ? Math.round(value * 100) + "%" : /seconds/.test(key) ? Tandem.duration(value) : show(value);
    return el("div", { class: "card" }, el("div", { class: "value", text }), el("div", { class: "label", text: key.replace(/_seconds$/, "").replace(/_/g, " ") }));
  }

  // A {name: number} object as a table with bars; anything else as key/value rows.
  function counts(obj, seconds = false) {
    const max = Math.max(1, ...Object.values(obj).filter((v) => typeof v === "number"));
    const rows = Object.entries(obj).map(([k, v]) => {
      const cell = el("td", {});
      if (typeof v === "number") {
        const bar = el("span", { class: "bar", "aria-hidden": "true" });
        bar.style.width = `${Math.round((v / max) * 200)}px`;
        cell.append(bar);
      }
      cell.append(v == null ? "–" : seconds && k !== "count" ? Tandem.duration(v) : show(v));
      return el("tr", {}, el("th", { scope: "row", text: k.replace(/_/g, " ") }), cell);
    });
    return el("table", {}, el("tbody", {}, rows));
  }

  function bind() {
    for (const d of DAYS) $("hours").append(el("label", { for: "day-" + d, text: d }), el("input", { id: "day-" + d, placeholder: "09:00-17:00" }));
    $("hours_on").addEventListener("change", () => ($("hours").disabled = !$("hours_on").checked));
    $("login").addEventListener("submit", login);
    $("logout").addEventListener("click", logout);
    $("policy").addEventListener("submit", savePolicy);
    $("preview-btn").addEventListener("click", previewPolicy);
    $("locale").addEventListener("change", renderTexts);
    $("texts").addEventListener("submit", saveTexts);
    $("upload").addEventListener("submit", upload);
    $("filters").addEventListener("submit", loadDecisions);
    $("suggestions-filter").addEventListener("submit", loadSuggestions);
    $("mail-filter").addEventListener("submit", loadMail);
    TandemFairness.bind(call, guard($("fairness-info")));
    document.querySelectorAll("[data-tab]").forEach((b) => b.addEventListener("click", () => showTab(b.dataset.tab)));
  }

  bind();
  if (me && me.token) enter();
  else $("login").hidden = false;
})();
