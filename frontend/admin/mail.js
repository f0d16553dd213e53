// E-mail: whether this server sends any (TANDEM_SMTP_URL), and the e-mails that are waiting or gave up, with why.
"use strict";

const TandemMail = (() => {
  const { el, table } = Tandem;
  const $ = (id) => document.getElementById(id);
  const OFF = "No SMTP server is configured (TANDEM_SMTP_URL), so no e-mail is sent or queued, and no screen promises one: "
    + "customers who leave a message are told to come back to the chat, and agents still see the address they left.";

  // Date and time: a failed e-mail may be days old.
  const when = (iso) => (iso ? new Date(iso).toLocaleString([], { dateStyle: "short", timeStyle: "short" }) : "");

  // Fills the E-mail section with the rows in the chosen state; `onError` handles a failed request.
  async function load(call, onError) {
    try {
      const box = await call("/api/v1/admin/outbox", { query: { state: $("mail-state").value } });
      const status = box.configured
        ? `SMTP is configured. Waiting: ${box.counts.pending}, failed: ${box.counts.failed}, sent: ${box.counts.sent}.`
        : OFF;
      const rows = box.rows.map((r) => ({
        to: r.recipient,
        kind: r.kind === "reply" ? "reply to a customer" : "new-message alert",
        attempts: r.attempts,
        error: r.last_error || "",
        created: when(r.created_at),
        next_try: r.next_attempt_at && !r.sent_at && !r.failed_at ? when(r.next_attempt_at) : "",
        sent: r.sent_at ? when(r.sent_at) : "",
        gave_up: r.failed_at ? when(r.failed_at) : "",
      }));
      $("mail-status").textContent = status;
      $("mail").replaceChildren(rows.length ? table(rows) : el("p", { class: "muted", text: "None." }));
    } catch (err) {
      onError(err);
    }
  }

  return { load };
})();
