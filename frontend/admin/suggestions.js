// Knowledge-base suggestions: the questions the AI declined or answered wrongly, grouped by meaning.
"use strict";

const TandemSuggestions = (() => {
  const { el } = Tandem;
  const $ = (id) => document.getElementById(id);
  const EMPTY = "No suggestions yet. When the AI declines a question it finds no answer to in the knowledge base, "
    + "or an agent marks an AI answer wrong, the question appears here, grouped with others like it, "
    + "so you can see what to add.";

  // Fills the Suggestions section for the period chosen; `onError` handles a failed request.
  async function load(call, onError) {
    try {
      const list = await call("/api/v1/admin/kb/suggestions", { query: { days: $("s-days").value } });
      $("suggestions").replaceChildren(list.length ? el("ol", { class: "suggestions" }, list.map(item)) : el("p", { class: "muted", text: EMPTY }));
      $("suggestions-info").textContent = "";
    } catch (err) {
      onError(err);
    }
  }

  function item(s) {
    const why = [];
    if (s.reasons.declined) why.push(`${s.reasons.declined} without a reliable answer in the knowledge base`);
    if (s.reasons.marked_wrong) why.push(`${s.reasons.marked_wrong} answered wrongly`);
    const last = (s.last_seen || "").slice(0, 16).replace("T", " ");
    return el("li", {},
      el("p", { class: "line" },
        el("strong", { text: `${s.count} question${s.count === 1 ? "" : "s"}` }),
        el("span", { class: "muted", text: ` · ${why.join(", ")} · last asked ${last} UTC` })),
      el("ul", { class: "examples", "aria-label": "Examples" }, s.examples.map((text) => el("li", { text }))));
  }

  return { load };
})();
