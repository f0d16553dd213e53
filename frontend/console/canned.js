// Canned replies: pick one (one click) or type /shortcut and a space in the reply box; create,
// edit and delete your own in a dialog (operators also the team's).
"use strict";

const TandemCanned = (() => {
  const { el } = Tandem;
  const $ = (id) => document.getElementById(id);
  let call = null;
  let who = () => ({});
  let replies = [];
  let editing = null; // the reply being edited, or null for a new one

  function start(api, me) {
    call = api;
    who = me;
    $("canned-team-label").hidden = who().role !== "operator";
    return load();
  }

  async function load() {
    replies = await call("/api/v1/agent/canned");
    $("canned").replaceChildren(el("option", { value: "", text: "—" }), ...replies.map((r) =>
      el("option", { value: String(r.id), text: `/${r.shortcut}${r.owner_id == null ? " (team)" : ""} — ${r.text.slice(0, 50)}` })));
    renderList();
  }

  const mayEdit = (r) => r.owner_id === who().id || (r.owner_id == null && who().role === "operator");

  function renderList() {
    $("canned-list").replaceChildren(...(replies.length ? replies.map((r) => el("li", {},
      el("span", { class: "text" }, el("strong", { text: `/${r.shortcut}` }), r.owner_id == null ? el("span", { class: "badge", text: "team" }) : null, ` ${r.text}`),
      mayEdit(r) ? el("span", { class: "row-actions" },
        el("button", { type: "button", text: "Edit", "aria-label": `Edit /${r.shortcut}`, onclick: () => edit(r) }),
        el("button", { type: "button", class: "danger", text: "Delete", "aria-label": `Delete /${r.shortcut}`, onclick: () => remove(r) })) : null))
      : [el("li", { class: "muted", text: "No canned replies yet." })]));
  }

  function edit(r) {
    editing = r;
    $("canned-form-title").textContent = r ? `Edit /${r.shortcut}` : "New canned reply";
    $("canned-shortcut").value = r ? r.shortcut : "";
    $("canned-text").value = r ? r.text : "";
    $("canned-team").checked = Boolean(r && r.owner_id == null);
    $("canned-team").disabled = Boolean(r); // where a reply belongs does not change
    $("canned-error").textContent = "";
    $("canned-shortcut").focus();
  }

  async function save(event) {
    event.preventDefault();
    const body = { shortcut: $("canned-shortcut").value.trim().replace(/^\//, ""), text: $("canned-text").value.trim() };
    $("canned-error").textContent = "";
    try {
      if (editing) await call(`/api/v1/agent/canned/${editing.id}`, { method: "PUT", body });
      else await call("/api/v1/agent/canned", { method: "POST", body: { ...body, team: $("canned-team").checked } });
      await load();
      edit(null);
    } catch (err) {
      $("canned-error").textContent = err.message;
    }
  }

  async function remove(r) {
    if (!confirm(`Delete the canned reply /${r.shortcut}?`)) return;
    try {
      await call(`/api/v1/agent/canned/${r.id}`, { method: "DELETE" });
      await load();
      if (editing && editing.id === r.id) edit(null);
    } catch (err) {
      $("canned-error").textContent = err.message;
    }
  }

  // "/thanks " at the start of the box becomes that reply's text (mine first, then the team's).
  function expand(box) {
    const m = /^\/(\S+) $/.exec(box.value);
    if (!m) return;
    const r = replies.find((x) => x.shortcut === m[1] && x.owner_id != null) || replies.find((x) => x.shortcut === m[1]);
    if (r) box.value = r.text;
  }

  function bind() {
    $("canned").addEventListener("change", () => {
      const r = replies.find((x) => String(x.id) === $("canned").value);
      if (r) $("reply-text").value = r.text;
      $("canned").value = "";
      $("reply-text").focus();
    });
    $("reply-text").addEventListener("input", () => expand($("reply-text")));
    $("canned-manage").addEventListener("click", () => {
      edit(null);
      $("canned-dialog").showModal();
    });
    $("canned-done").addEventListener("click", () => $("canned-dialog").close());
    $("canned-reset").addEventListener("click", () => edit(null));
    $("canned-form").addEventListener("submit", save);
  }

  bind();
  return { start, load };
})();
