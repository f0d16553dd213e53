// Closed conversations, newest first, searched by words, e-mail address or id; each opens
// read-only in the conversation view.
"use strict";

const TandemHistory = (() => {
  const { el, time } = Tandem;
  const $ = (id) => document.getElementById(id);
  let call = null;
  let open = () => {};
  let next = null; // the cursor of the next (older) page

  function start(api, opener) {
    call = api;
    open = opener;
  }

  async function search(more) {
    const query = { q: $("history-q").value.trim(), limit: 25, before: more ? next : undefined };
    try {
      const page = await call("/api/v1/agent/history", { query });
      const items = page.items.map(item);
      if (more) $("history").append(...items);
      else $("history").replaceChildren(...(items.length ? items : [el("li", { class: "muted", text: query.q ? "No closed conversation matches." : "No closed conversations yet." })]));
      next = page.next_before;
      $("history-more").hidden = !next;
      $("queue-error").textContent = "";
    } catch (err) {
      $("queue-error").textContent = err.message;
    }
  }

  function item(c) {
    const when = new Date(c.updated_at);
    const day = isNaN(when) ? "" : `${when.toLocaleDateString()} ${time(c.updated_at)}`;
    return el("li", { dataset: { id: c.id } }, el("button", {
      type: "button", onclick: () => open(c.id), "aria-label": `Closed conversation ${c.id}${c.contact_email ? ", " + c.contact_email : ""}, closed ${day}`,
    },
      el("span", { class: "line" }, el("strong", { text: c.contact_email || c.id.slice(0, 12) }), el("span", { class: "badge", text: c.locale })),
      el("span", { class: "line muted" }, el("span", { text: `closed ${day}` }), el("span", { text: c.escalation_reason ? c.escalation_reason.replace(/_/g, " ") : "" }))));
  }

  function bind() {
    $("history-search").addEventListener("submit", (event) => {
      event.preventDefault();
      search(false);
    });
    $("history-more").addEventListener("click", () => search(true));
  }

  bind();
  return { start, search };
})();
