// The History tab: who changed the settings, when, and each changed field as before → after.
"use strict";

(() => {
  const { el } = Tandem;
  const $ = (id) => document.getElementById(id);
  let ctx = null;

  // A value as an operator reads it: lists of topics by their labels, objects as short JSON.
  function shown(value) {
    if (value == null) return "not set";
    if (Array.isArray(value)) return value.length ? value.map((v) => (v && typeof v === "object" ? v.label || v.name || JSON.stringify(v) : String(v))).join(", ") : "none";
    if (typeof value === "object") return JSON.stringify(value);
    return String(value);
  }

  function change(c) {
    return el("li", {}, el("code", { text: c.field.replace(/^policy\./, "") }), ": ",
      el("del", { text: shown(c.before) }), " → ", el("ins", { text: shown(c.after) }));
  }

  async function load() {
    try {
      const saves = await ctx.call("/api/v1/admin/settings/history");
      $("history").replaceChildren(saves.length ? el("ol", { class: "history" }, saves.map((s) => el("li", {},
        el("p", { class: "when" }, el("strong", { text: (s.created_at || "").slice(0, 16).replace("T", " ") + " UTC" }), ` by ${s.user || "an account that no longer exists"}`),
        s.changes.length ? el("ul", { class: "changes" }, s.changes.map(change)) : el("p", { class: "muted", text: "Saved without changes." }))))
        : el("p", { class: "muted", text: "Nobody has changed the settings yet: the built-in defaults are in force." }));
      $("history-info").textContent = "";
    } catch (err) {
      ctx.guard($("history-info"))(err);
    }
  }

  TandemAdmin.tab("history", {
    init(context) {
      ctx = context;
    },
    onShow: load,
  });
})();
