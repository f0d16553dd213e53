// The Team tab: who logs in to the consoles, their presence and load; operators add people,
// set how many conversations each may hold at once (0 to 50; 0 takes none), reset a password,
// and disable or enable an account (a disabled person's logins end at once).
"use strict";

(() => {
  const { el } = Tandem;
  const $ = (id) => document.getElementById(id);
  let ctx = null;

  const say = (text) => ctx.info($("team-info"), text);
  const fail = (err) => ctx.guard($("team-info"))(err);
  const who = (p) => p.name || p.email;

  async function load() {
    try {
      const people = await ctx.call("/api/v1/admin/users");
      $("team").replaceChildren(el("table", { class: "stack" },
        el("thead", {}, el("tr", {}, ["Name", "E-mail", "Role", "Status", "Holding", "Capacity", ""].map((h) => el("th", { scope: "col", text: h })))),
        el("tbody", {}, people.map(row))));
    } catch (err) {
      fail(err);
    }
  }

  function row(p) {
    const input = el("input", { type: "number", min: "0", max: "50", step: "1", value: String(p.max_concurrent), id: `cap-${p.id}`, "aria-label": `Capacity of ${who(p)}` });
    const capacity = el("form", { class: "capacity" }, input, el("button", { type: "submit", text: "Save" }));
    capacity.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        const saved = await ctx.call(`/api/v1/admin/users/${p.id}`, { method: "PATCH", body: { max_concurrent: Number(input.value) } });
        input.value = String(saved.max_concurrent);
        say(`${who(saved)} now holds up to ${saved.max_concurrent} conversation(s) at once.`);
      } catch (err) {
        fail(err);
      }
    });
    const toggle = el("button", { type: "button", class: p.active ? "danger" : "", text: p.active ? "Disable" : "Enable", "aria-label": `${p.active ? "Disable" : "Enable"} ${who(p)}`, onclick: () => setActive(p, !p.active) });
    const reset = el("button", { type: "button", text: "Reset password", "aria-label": `Reset the password of ${who(p)}`, onclick: () => resetForm(p, actions) });
    const actions = el("div", { class: "actions" }, toggle, reset);
    return el("tr", { class: p.active ? "" : "disabled" },
      el("td", { "data-label": "Name", text: p.name || "—" }), el("td", { "data-label": "E-mail", class: "wrap", text: p.email }),
      el("td", { "data-label": "Role", text: p.role }), el("td", { "data-label": "Status", text: p.active ? p.presence : "disabled" }),
      el("td", { "data-label": "Holding", text: String(p.open) }), el("td", { "data-label": "Capacity" }, capacity), el("td", {}, actions));
  }

  async function setActive(p, active) {
    if (!active && !confirm(`Disable ${who(p)}? They are signed out at once and cannot log in until enabled again.`)) return;
    try {
      const saved = await ctx.call(`/api/v1/admin/users/${p.id}`, { method: "PATCH", body: { active } });
      say(active ? `${who(saved)} can log in again.` : `${who(saved)} is disabled and signed out everywhere.`);
      load();
    } catch (err) {
      fail(err);
    }
  }

  function resetForm(p, actions) {
    const field = el("input", { type: "password", minlength: "10", required: true, autocomplete: "new-password", "aria-label": `New password for ${who(p)}` });
    const form = el("form", { class: "reset" }, field, el("button", { type: "submit", class: "primary", text: "Set" }));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        await ctx.call(`/api/v1/admin/users/${p.id}/password`, { method: "POST", body: { password: field.value } });
        form.remove();
        say(`New password set for ${who(p)}; their open sessions were signed out.`);
      } catch (err) {
        fail(err);
      }
    });
    actions.append(form);
    field.focus();
  }

  async function add(event) {
    event.preventDefault();
    const body = { email: $("nu-email").value.trim(), name: $("nu-name").value.trim(), role: $("nu-role").value, password: $("nu-password").value, max_concurrent: Number($("nu-capacity").value) };
    try {
      const p = await ctx.call("/api/v1/admin/users", { method: "POST", body });
      $("new-user").reset();
      say(`Added ${who(p)} as ${p.role === "operator" ? "an operator" : "an agent"}: they log in with ${p.email} and the password you chose.`);
      load();
    } catch (err) {
      const fields = (err.data && err.data.fields) || [];
      if (err.status === 422 && fields.length) {
        const names = { email: "E-mail", name: "Name", role: "Role", password: "Password", max_concurrent: "Capacity" };
        $("team-info").className = "error";
        $("team-info").textContent = fields.map((f) => `${names[f.path] || f.path}: ${f.message}`).join(" ");
      } else fail(err);
    }
  }

  TandemAdmin.tab("team", {
    init(context) {
      ctx = context;
      $("new-user").addEventListener("submit", add);
    },
    onShow: load,
  });
})();
