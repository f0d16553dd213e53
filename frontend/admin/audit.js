// The Fairness section: run the bias audit (counterfactual probes through the real pipeline,
// on a copy of the knowledge base and settings) and show the latest report, one table per
// probe set, with its flags highlighted.
"use strict";

const TandemFairness = (() => {
  const { el } = Tandem;
  const $ = (id) => document.getElementById(id);
  const URL = "/api/v1/admin/audit/bias";
  const fixed = (v) => (v === null || v === undefined ? "—" : Number(v).toFixed(2));
  const percent = (v) => `${Math.round(v * 100)}%`;

  function render(saved) {
    const r = saved.report;
    const when = new Date(saved.created_at).toLocaleString();
    $("fairness-verdict").textContent = r.passed
      ? `Passed: no disparity beyond the thresholds (${r.mode}, ${when}).`
      : `Flagged: a disparity beyond the thresholds (${r.mode}, ${when}).`;
    $("fairness-verdict").className = r.passed ? "ok" : "error";
    const limits = Object.entries(r.thresholds).map(([k, v]) => `${k} ${v}`).join(", ");
    $("fairness").replaceChildren(el("p", { class: "muted", text: `Thresholds: ${limits}.` }), ...r.sets.map(table));
  }

  function table(s) {
    const head = ["Group", "Probes", "Handed over", "Confidence", "Negative sentiment"];
    const agreement = `Same source document: ${percent(s.same_source)}` +
      (s.same_text === null ? "" : `; same text: ${percent(s.same_text)}${s.text_judged ? "" : " (not judged: an LLM words identical calls differently)"}`);
    return el("section", { class: "probe-set" },
      el("h3", { text: `${s.name}: ${s.varies} (${s.probes} probes)` }),
      el("table", {},
        el("thead", {}, el("tr", {}, head.map((h) => el("th", { scope: "col", text: h })))),
        el("tbody", {}, Object.entries(s.groups).map(([group, f]) => el("tr", {},
          el("th", { scope: "row", text: group }), el("td", { text: String(f.probes) }),
          el("td", { text: percent(f.handoff_rate) }), el("td", { text: fixed(f.confidence) }),
          el("td", { text: fixed(f.negative) }))))),
      el("p", { text: agreement }),
      s.flags.length
        ? el("ul", { class: "flags" }, s.flags.map((f) => el("li", {}, el("strong", { class: "error", text: `Flag: ${f}` }))))
        : el("p", { class: "ok", text: "No flag." }));
  }

  async function load(call, onError) {
    try {
      const report = await call(URL);
      $("fairness-info").textContent = "";
      if (report) return render(report);
      $("fairness-verdict").textContent = "No audit has run yet.";
      $("fairness-verdict").className = "";
      $("fairness").replaceChildren();
    } catch (err) {
      onError(err);
    }
  }

  async function run(call, onError) {
    const button = $("fairness-run");
    button.disabled = true;
    $("fairness-info").textContent = "Sending the probes through the pipeline; this takes up to a minute…";
    $("fairness-info").className = "";
    try {
      render(await call(URL, { method: "POST", body: {} }));
      $("fairness-info").textContent = "";
    } catch (err) {
      onError(err);
    } finally {
      button.disabled = false;
    }
  }

  function bind(call, onError) {
    $("fairness-run").addEventListener("click", () => run(call, onError));
  }

  return { load, bind };
})();
