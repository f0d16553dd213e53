// The operator console's frame: log-in, the tabs, and the small tabs (disclosure texts, the audit
// trail). Each bigger tab lives in its own file and registers itself here:
//
//   TandemAdmin.tab("NAME", { init(ctx) {...}, onShow(ctx) {...} });
//
// A tab is a <button data-tab="NAME"> in the nav and a <section id="tab-NAME"> in <main>;
// `init` runs once after log-in, `onShow` each time the tab is opened. ctx = {call, guard, info,
// logout}: `call(path, options)` is Tandem.api with the operator's token, `guard(target)` an
// error handler that writes the error into `target` (and logs out on 401), `info(target, text)`
// a success line.
"use strict";

const TandemAdmin = (() => {
  const hooks = {};
  return {
    tab(name, hook) {
      hooks[name] = hook;
    },
    hooks,
  };
})();

(() => {
  const { api, el, show, session } = Tandem;
  const $ = (id) => document.getElementById(id);
  const auth = session("tandem.operator");
  const TEXT_KEYS = ["disclosure", "offer_person", "quote_intro", "no_answer", "handoff_queued", "handoff_offline",
    "handoff_offline_chat", "message_left", "message_left_chat", "opt_out", "llm_unavailable", "declined", "agent_joined", "agent_left", "closed", "lease_expired"];
  let me = auth.get();
  let started = false;
  let config = null; // the settings as last loaded, for the texts tab: {policy, disclosure}

  const call = (path, options = {}) => api(path, { ...options, token: me && me.token });

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

  const ctx = { call, guard, info, logout: () => logout() };

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
    if (!started) {
      started = true;
      for (const hook of Object.values(TandemAdmin.hooks)) if (hook.init) hook.init(ctx);
    }
    const current = document.querySelector('[data-tab][aria-current="page"]');
    showTab(current ? current.dataset.tab : "settings");
  }

  function showTab(name) {
    document.querySelectorAll("[data-tab]").forEach((b) => b.setAttribute("aria-current", b.dataset.tab === name ? "page" : "false"));
    document.querySelectorAll("main > section").forEach((s) => (s.hidden = s.id !== "tab-" + name));
    const hook = TandemAdmin.hooks[name];
    if (hook && hook.onShow) hook.onShow(ctx);
  }

  // ---- disclosure texts -------------------------------------------------------------------

  async function loadTexts() {
    try {
      config = await call("/api/v1/admin/settings");
      renderTexts();
    } catch (err) {
      guard($("texts-info"))(err);
    }
  }

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

  // ---- decisions --------------------------------------------------------------------------

  async function loadDecisions(event) {
    if (event) event.preventDefault();
    const since = $("f-since").value;
    try {
      const data = await call("/api/v1/admin/decisions", {
        query: { outcome: $("f-outcome").value, reason: $("f-reason").value.trim(), conversation_id: $("f-conv").value.trim(), since: since ? since + "T00:00:00Z" : "" },
      });
      $("chain").textContent = data.chain_intact ? "Audit chain intact: no decision was altered." : "Warning: the audit chain is broken.";
      $("chain").className = data.chain_intact ? "ok" : "error";
      $("decisions").replaceChildren(data.decisions.length ? decisionTable(data.decisions) : el("p", { class: "muted", text: "No decisions match." }));
    } catch (err) {
      guard($("chain"))(err);
    }
  }

  function decisionTable(list) {
    const cols = ["When", "Conversation", "Turn", "Outcome", "Reason", "Confidence", "Signals"];
    const rows = list.map((d) => el("tr", {},
      el("td", { "data-label": "When", text: (d.created_at || "").slice(0, 19).replace("T", " ") }),
      el("td", { "data-label": "Conversation", text: d.conversation_id }), el("td", { "data-label": "Turn", text: show(d.message_seq) }),
      el("td", { "data-label": "Outcome", text: d.outcome }), el("td", { "data-label": "Reason", text: d.reason || "" }),
      el("td", { "data-label": "Confidence", text: show(d.confidence) }),
      el("td", { "data-label": "Signals" }, el("details", {}, el("summary", { text: `${Object.keys(d.signals || {}).length} signals` }),
        el("pre", { text: JSON.stringify({ signals: d.signals, thresholds: d.thresholds }, null, 2) })))));
    return el("table", { class: "stack" }, el("thead", {}, el("tr", {}, cols.map((c) => el("th", { scope: "col", text: c })))), el("tbody", {}, rows));
  }

  // Tabs whose whole code is the loader of another file (suggestions.js, mail.js, privacy.js,
  // audit.js).
  TandemAdmin.tab("texts", { onShow: loadTexts });
  TandemAdmin.tab("decisions", { onShow: () => loadDecisions() });
  TandemAdmin.tab("suggestions", { onShow: () => TandemSuggestions.load(call, guard($("suggestions-info"))) });
  TandemAdmin.tab("mail", { onShow: () => TandemMail.load(call, guard($("mail-status"))) });
  TandemAdmin.tab("privacy", { onShow: () => TandemPrivacy.load(call, guard($("privacy-info"))) });
  TandemAdmin.tab("fairness", {
    init: () => TandemFairness.bind(call, guard($("fairness-info"))),
    onShow: () => TandemFairness.load(call, guard($("fairness-info"))),
  });

  function bind() {
    $("login").addEventListener("submit", login);
    $("logout").addEventListener("click", logout);
    $("locale").addEventListener("change", renderTexts);
    $("texts").addEventListener("submit", saveTexts);
    $("filters").addEventListener("submit", loadDecisions);
    $("suggestions-filter").addEventListener("submit", (e) => {
      e.preventDefault();
      TandemSuggestions.load(call, guard($("suggestions-info")));
    });
    $("mail-filter").addEventListener("submit", (e) => {
      e.preventDefault();
      TandemMail.load(call, guard($("mail-status")));
    });
    document.querySelectorAll("[data-tab]").forEach((b) => b.addEventListener("click", () => showTab(b.dataset.tab)));
    if (me && me.token) enter();
    else $("login").hidden = false;
  }

  // Every deferred script (each tab's file) has run, and registered its tab, by then.
  document.addEventListener("DOMContentLoaded", bind);
})();
