// Colleagues: my presence and alert settings, the team list, and the transfer picker (only
// colleagues who are online and have a free slot; the server checks the same).
"use strict";

const TandemTeam = (() => {
  const { el } = Tandem;
  const $ = (id) => document.getElementById(id);
  const LABELS = { online: "online", away: "away", offline: "offline" };
  let call = null;
  let onError = () => {};
  let me = null; // GET /api/v1/agent/me
  let people = [];

  function start(api, errors) {
    call = api;
    onError = errors;
    return loadMe();
  }

  async function loadMe() {
    me = await call("/api/v1/agent/me");
    $("presence").value = me.presence;
    $("mail-alerts").checked = me.notify_new_messages;
    $("presence").hidden = $("settings").hidden = false;
    return me;
  }

  async function save(body) {
    try {
      me = await call("/api/v1/agent/me", { method: "PATCH", body });
      load();
    } catch (err) {
      onError(err);
      loadMe().catch(() => {});
    }
  }

  async function load() {
    try {
      people = await call("/api/v1/agent/agents");
      render();
    } catch (err) {
      onError(err);
    }
    return people;
  }

  function render() {
    $("team").replaceChildren(...people.map((p) => el("li", { class: `presence-${p.presence}` },
      el("span", { class: "dot", "aria-hidden": "true" }),
      el("span", { class: "name", text: p.id === (me && me.id) ? `${p.name} (you)` : p.name }),
      el("span", { class: "muted", text: `${LABELS[p.presence]} · ${p.open}/${p.capacity}` }))));
  }

  function name(id) {
    const p = people.find((x) => x.id === id);
    return p ? p.name : "a colleague";
  }

  // The picker, refreshed on open; resolves to the chosen id (or null when cancelled).
  async function pick() {
    await load();
    const options = people.filter((p) => p.online && p.free > 0 && p.id !== me.id);
    $("transfer-to").replaceChildren(...options.map((p) => el("option", { value: String(p.id), text: `${p.name} — ${p.free} free of ${p.capacity}` })));
    $("transfer-to").hidden = $("transfer-go").disabled = !options.length;
    $("transfer-none").hidden = options.length > 0;
    $("transfer-error").textContent = "";
    const dialog = $("transfer-dialog");
    dialog.showModal();
    return new Promise((resolve) => {
      const done = (value) => {
        dialog.removeEventListener("close", closed);
        resolve(value);
      };
      const closed = () => done(dialog.returnValue === "go" ? Number($("transfer-to").value) : null);
      dialog.addEventListener("close", closed);
    });
  }

  function bind() {
    $("presence").addEventListener("change", () => save({ presence: $("presence").value }));
    $("mail-alerts").addEventListener("change", () => save({ notify_new_messages: $("mail-alerts").checked }));
    $("transfer-cancel").addEventListener("click", () => $("transfer-dialog").close("cancel"));
    $("transfer-form").addEventListener("submit", (event) => {
      event.preventDefault();
      $("transfer-dialog").close("go");
    });
  }

  bind();
  return { start, load, pick, name, me: () => me };
})();
