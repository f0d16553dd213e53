// The side list: the queue, my conversations and left messages as buttons, a waiting customer's
// latest words beside their conversation, the Queue/History tabs, and folding on a phone.
"use strict";

const TandemQueue = (() => {
  const { el, duration, since } = Tandem;
  const $ = (id) => document.getElementById(id);
  const previews = new Map(); // waiting conversation id -> {seq, text} of its latest message
  let open = () => {};
  let current = () => null;

  function start(opener, currentId) {
    open = opener;
    current = currentId;
  }

  function fill(list, convs, emptyText) {
    list.replaceChildren(...(convs.length ? convs.map(item) : [el("li", { class: "muted", text: emptyText })]));
  }

  function item(c) {
    const id = c.id;
    const waited = c.queued_at ? since(c.queued_at) : null;
    const reason = c.escalation_reason || "—";
    const priority = c.priority ? el("span", { class: "badge hot", text: `priority ${c.priority}` }) : null;
    const preview = c.contact_email || ""; // the reason is the line above, in the agent's words
    const said = previews.get(id);
    return el("li", { dataset: { id } }, el("button", {
      type: "button", "aria-current": String(id === current()), onclick: () => open(id),
      "aria-label": `Conversation ${id}, ${reason}, waiting ${duration(waited)}`,
    },
      el("span", { class: "line" }, el("strong", { text: reason.replace(/_/g, " ") }), priority),
      el("span", { class: "line" }, el("span", { text: waited == null ? "" : `waiting ${duration(waited)}` }), el("span", { class: "badge", text: c.locale || "" })),
      preview ? el("span", { class: "preview", text: preview }) : null,
      said ? el("span", { class: "preview said", text: `Customer: ${said.text}` }) : null,
    ));
  }

  // A waiting customer wrote again: shown next to their conversation in the queue.
  function preview(ev) {
    const last = previews.get(ev.conversation_id);
    if (last && last.seq >= ev.seq) return;
    previews.set(ev.conversation_id, { seq: ev.seq, text: ev.text });
    document.querySelectorAll("#queue li[data-id], #offline li[data-id]").forEach((li) => {
      if (li.dataset.id !== ev.conversation_id) return;
      const button = li.querySelector("button");
      const old = button.querySelector(".said");
      const said = el("span", { class: "preview said", text: `Customer: ${ev.text}` });
      if (old) old.replaceWith(said);
      else button.append(said);
    });
  }

  // The phone layout: the list folds away while a conversation is read.
  function collapse(collapsed) {
    $("side-body").hidden = collapsed;
    $("side-toggle").setAttribute("aria-expanded", String(!collapsed));
    $("side-toggle").textContent = collapsed ? "Show list" : "Hide list";
  }

  function tab(name) {
    const history = name === "history";
    $("tab-queue").setAttribute("aria-selected", String(!history));
    $("tab-history").setAttribute("aria-selected", String(history));
    $("queue-pane").hidden = history;
    $("history-pane").hidden = !history;
    collapse(false);
    if (history) TandemHistory.search(false);
  }

  function bind() {
    $("tab-queue").addEventListener("click", () => tab("queue"));
    $("tab-history").addEventListener("click", () => tab("history"));
    $("side-toggle").addEventListener("click", () => collapse(!$("side-body").hidden));
    // Looking at the queue clears the new-handoff count.
    ["pointerdown", "focusin"].forEach((type) => $("side").addEventListener(type, () => TandemAlerts.clear()));
    TandemAlerts.bind($("sound"), $("notify-btn"), $("notify-state"));
  }

  bind();
  return { start, fill, preview, collapse };
})();
