// Under each AI answer in the transcript: "Good answer" and "Wrong answer", showing the stored mark.
"use strict";

const TandemMarks = (() => {
  const { el } = Tandem;
  const VERDICTS = { good: "Good answer", wrong: "Wrong answer" };

  // Only the AI's own answers are judged (the server refuses anything else).
  function markable(m) {
    return m.role === "assistant" && m.ai && m.kind === "text" && !m.internal;
  }

  // The buttons for one answer. `send(verdict)` stores a mark and resolves to the stored mark,
  // which is shown as the server has it; `describedBy` is the id of the answer's text.
  function controls(m, describedBy, send, onError) {
    const status = el("span", { class: "mark-status", role: "status" });
    const buttons = Object.entries(VERDICTS).map(([verdict, label]) =>
      el("button", {
        type: "button", class: `mark ${verdict}`, "aria-pressed": "false", "aria-describedby": describedBy,
        dataset: { verdict }, text: label, onclick: () => choose(verdict),
      }));

    function show(mark) {
      buttons.forEach((b) => b.setAttribute("aria-pressed", String(Boolean(mark) && b.dataset.verdict === mark.verdict)));
      status.textContent = mark ? `Marked ${mark.verdict} by ${mark.by}` : "";
    }

    async function choose(verdict) {
      buttons.forEach((b) => (b.disabled = true));
      try {
        show(await send(verdict));
      } catch (err) {
        onError(err);
      } finally {
        buttons.forEach((b) => (b.disabled = false));
      }
    }

    show(m.mark);
    return el("div", { class: "marks", role: "group", "aria-label": "Your verdict on this AI answer" }, ...buttons, status);
  }

  return { markable, controls };
})();
