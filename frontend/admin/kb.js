// The Knowledge base tab: what retrieval returns for a question, the documents with a view of
// each one's passages, uploads (parsed by type on the server) and deletion.
"use strict";

(() => {
  const { el, show } = Tandem;
  const $ = (id) => document.getElementById(id);
  const LANGUAGES = { en: "English", nl: "Dutch", de: "German", fr: "French", es: "Spanish" };
  let ctx = null;

  const language = (code) => (code ? LANGUAGES[code] || code : "not recognised");
  const percent = (x) => (x == null ? "–" : Math.round(x * 100) + "%");

  async function search(event) {
    event.preventDefault();
    const q = $("kb-q").value.trim();
    if (!q) return;
    $("kb-results").replaceChildren(el("p", { class: "muted", text: "Searching…" }));
    try {
      const r = await ctx.call("/api/v1/admin/kb/search", { query: { q } });
      const head = [el("p", { class: "muted", text: `Searched as a customer's question would be (personal data replaced): “${r.question}”. Language: ${language(r.language)}.` })];
      if (r.searched_for !== r.question) head.push(el("p", { class: "muted", text: `With the help centre's own words for it: “${r.searched_for}”.` }));
      const found = r.passages.map((p, i) => el("li", { class: "passage" },
        el("div", { class: "passage-head" },
          el("span", { class: "score", title: "Fused score: what the turn compares with the minimum confidence", text: percent(p.score) }),
          el("button", { type: "button", class: "link", text: p.title, onclick: () => openDocument(p.document_id) }),
          p.heading && p.heading !== p.title ? el("span", { class: "muted", text: ` › ${p.heading}` }) : null),
        el("p", { class: "muted small", text: `Rank ${i + 1} · keyword match ${percent(p.lexical)} · meaning match (cosine) ${p.dense == null ? "– (no embedding model)" : p.dense.toFixed(2)} · ${language(p.language)}` }),
        el("p", { class: "passage-text", text: p.text })));
      $("kb-results").replaceChildren(...head, found.length ? el("ol", { class: "passages" }, found)
        : el("p", { text: "Nothing in the knowledge base matches: the AI would say it does not know and offer a person." }));
    } catch (err) {
      $("kb-results").replaceChildren();
      ctx.guard($("kb-info"))(err);
    }
  }

  async function openDocument(id) {
    try {
      const d = await ctx.call(`/api/v1/admin/kb/documents/${id}`);
      $("kb-document").replaceChildren(
        el("h3", { text: d.title }),
        el("p", { class: "muted", text: `Source: ${d.source} · ${d.chunks} passage(s) · updated ${(d.updated_at || "").slice(0, 16).replace("T", " ")}` }),
        el("ol", { class: "passages" }, d.passages.map((c) => el("li", { class: "passage" },
          el("div", { class: "passage-head" }, el("strong", { text: c.heading || d.title }), el("span", { class: "muted", text: ` · ${language(c.language)}` })),
          el("p", { class: "passage-text", text: c.text })))),
        el("button", { type: "button", text: "Close the document", onclick: () => $("kb-document").replaceChildren() }));
      $("kb-document").scrollIntoView({ block: "start" });
    } catch (err) {
      ctx.guard($("kb-info"))(err);
    }
  }

  async function loadDocuments() {
    try {
      const docs = await ctx.call("/api/v1/admin/kb/documents");
      const rows = docs.map((d) => el("tr", {},
        el("td", { "data-label": "Title" }, el("button", { type: "button", class: "link", text: d.title, onclick: () => openDocument(d.id) })),
        el("td", { "data-label": "Source", class: "wrap", text: d.source || "" }), el("td", { "data-label": "Passages", text: show(d.chunks) }),
        el("td", { "data-label": "Updated", text: (d.updated_at || "").slice(0, 16).replace("T", " ") }),
        el("td", {}, el("button", { type: "button", class: "danger", "aria-label": `Delete ${d.title}`, text: "Delete", onclick: () => deleteDocument(d) }))));
      $("documents").replaceChildren(el("table", { class: "stack" },
        el("thead", {}, el("tr", {}, ["Title", "Source", "Passages", "Updated", ""].map((h) => el("th", { scope: "col", text: h })))),
        el("tbody", {}, rows)));
    } catch (err) {
      ctx.guard($("kb-info"))(err);
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
        const doc = await ctx.call("/api/v1/admin/kb/files", { method: "POST", body: file, query: { name: file.name } });
        added.push(doc.title);
      } catch (err) {
        if (err.status === 401) return ctx.logout();
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
      await ctx.call(`/api/v1/admin/kb/documents/${doc.id}`, { method: "DELETE" });
      ctx.info($("kb-info"), `Deleted "${doc.title}".`);
      $("kb-document").replaceChildren();
      loadDocuments();
    } catch (err) {
      ctx.guard($("kb-info"))(err);
    }
  }

  TandemAdmin.tab("kb", {
    init(context) {
      ctx = context;
      $("kb-search").addEventListener("submit", search);
      $("upload").addEventListener("submit", upload);
    },
    onShow: loadDocuments,
  });
})();
