// Privacy: export or erase a customer's data (by the e-mail address they left, or by conversation),
// the retention period in force, when the purge last ran, and the log of erasures (never what went).
"use strict";

const TandemPrivacy = (() => {
  const { el, table } = Tandem;
  const $ = (id) => document.getElementById(id);
  const when = (iso) => (iso ? new Date(iso).toLocaleString([], { dateStyle: "short", timeStyle: "short" }) : "never");
  const ACTORS = { customer: "the customer", operator: "an operator", retention: "the retention purge" };
  let bound = false;

  // The search as the API takes it: {email} or {conversation_id}.
  function target() {
    const value = $("privacy-value").value.trim();
    return $("privacy-by").value === "email" ? { email: value } : { conversation_id: value };
  }

  async function overview(call) {
    const o = await call("/api/v1/admin/privacy");
    $("privacy-retention").textContent =
      `Transcripts are purged ${o.retention_days} days after their last message (the operator setting retention_days). ` +
      `The purge last ran: ${when(o.last_purge_at)}.`;
    const rows = o.erasures.map((e) => ({
      when: when(e.created_at),
      by: ACTORS[e.actor] || e.actor,
      scope: e.scope,
      conversations: e.counts.conversations ?? 0,
      messages: e.counts.messages ?? 0,
      notes: e.counts.notes ?? 0,
      "e-mails": e.counts.outbox ?? 0,
    }));
    $("privacy-log").replaceChildren(rows.length ? table(rows) : el("p", { class: "muted", text: "No erasures yet." }));
  }

  async function exportData(call, say) {
    const data = await call("/api/v1/admin/privacy/export", { query: target() });
    const blob = new Blob([JSON.stringify(data, null, 2)], { type: "application/json" });
    const link = el("a", { href: URL.createObjectURL(blob), download: "tandem-export.json" });
    link.click();
    URL.revokeObjectURL(link.href);
    say(`Exported ${data.conversations.length} conversation(s) as tandem-export.json.`);
  }

  async function erase(call, say) {
    const what = target();
    const label = what.email ? `every conversation that left ${what.email}` : `conversation ${what.conversation_id}`;
    if (!window.confirm(`Erase ${label} for good? This cannot be undone.`)) return;
    const done = await call("/api/v1/admin/privacy/erase", { method: "POST", body: what });
    say(`Erased ${done.conversations} conversation(s): ${done.counts.messages} messages, ${done.counts.notes} notes, ${done.counts.outbox} e-mails.`);
  }

  // Fills the Privacy section and wires its buttons once; `onError` handles a failed request.
  async function load(call, onError) {
    const say = (text) => {
      $("privacy-info").textContent = text;
      $("privacy-info").className = "ok";
    };
    const run = (action) => async (event) => {
      event.preventDefault();
      try {
        await action(call, say);
        await overview(call);
      } catch (err) {
        onError(err);
      }
    };
    if (!bound) {
      $("privacy-form").addEventListener("submit", run(exportData));
      $("privacy-erase").addEventListener("click", run(erase));
      bound = true;
    }
    try {
      await overview(call);
    } catch (err) {
      onError(err);
    }
  }

  return { load };
})();
