// The Team section: who logs in to the consoles, their presence and load, and how many
// conversations each may hold at once (0 to 50; 0 takes none).
"use strict";

const TandemTeamAdmin = (() => {
  const { el } = Tandem;
  const $ = (id) => document.getElementById(id);

  async function load(call, onError) {
    try {
      const people = await call("/api/v1/admin/users");
      $("team").replaceChildren(el("table", {},
        el("thead", {}, el("tr", {}, ["Name", "E-mail", "Role", "Presence", "Holding", "Capacity"].map((h) => el("th", { scope: "col", text: h })))),
        el("tbody", {}, people.map((p) => row(call, p)))));
      $("team-info").textContent = "";
    } catch (err) {
      onError(err);
    }
  }

  function row(call, p) {
    const input = el("input", { type: "number", min: "0", max: "50", step: "1", value: String(p.max_concurrent), id: `cap-${p.id}`, "aria-label": `Capacity of ${p.name || p.email}` });
    const save = el("button", { type: "submit", text: "Save" });
    const form = el("form", { class: "capacity" }, input, save);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      save.disabled = true;
      try {
        const saved = await call(`/api/v1/admin/users/${p.id}`, { method: "PATCH", body: { max_concurrent: Number(input.value) } });
        input.value = String(saved.max_concurrent);
        $("team-info").textContent = `${saved.name || saved.email} now holds up to ${saved.max_concurrent} conversation(s) at once.`;
        $("team-info").className = "ok";
      } catch (err) {
        $("team-info").textContent = err.message;
        $("team-info").className = "error";
      } finally {
        save.disabled = false;
      }
    });
    return el("tr", {},
      el("td", { text: p.name || "—" }), el("td", { text: p.email }), el("td", { text: p.role }),
      el("td", { text: p.active ? p.presence : "disabled" }), el("td", { text: String(p.open) }), el("td", {}, form));
  }

  return { load };
})();
