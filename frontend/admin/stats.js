// The Stats tab: each figure with its definition (the same as app/stats.py's), handoffs per day
// as an inline SVG chart, ratings as bars, per-agent figures; over a chosen range of UTC days.
"use strict";

(() => {
  const { el, duration } = Tandem;
  const $ = (id) => document.getElementById(id);
  const SVG = "http://www.w3.org/2000/svg";
  const COLOURS = ["#0b5cad", "#d9480f", "#2b8a3e", "#862e9c", "#e67700", "#0c8599", "#c2255c", "#5c940d", "#495057", "#364fc7"];
  const REASONS = {
    customer_request: "asked for a person", ai_opt_out: "chose a person from the start", human_only: "people only",
    restricted_topic: "restricted topic", negative_sentiment: "negative sentiment", llm_unavailable: "AI unavailable",
    unsafe_output: "unsafe answer", low_confidence: "not sure enough", max_bot_turns: "too many AI turns", handed_over: "a person took over",
  };
  let ctx = null;

  const reason = (r) => REASONS[r] || r.replace(/_/g, " ");
  const num = (x, digits = 1) => (x == null ? "–" : Number(x).toFixed(digits));

  function card(value, label, definition) {
    return el("div", { class: "card" }, el("div", { class: "value", text: value }), el("div", { class: "label", text: label }), el("p", { class: "definition", text: definition }));
  }

  async function load(event) {
    if (event) event.preventDefault();
    try {
      const s = await ctx.call("/api/v1/admin/stats", { query: { from: $("st-from").value, to: $("st-to").value } });
      $("st-from").value = s.from;
      $("st-to").value = s.to;
      $("stats-info").textContent = "";
      $("stats").replaceChildren(...render(s));
    } catch (err) {
      $("stats").replaceChildren();
      ctx.guard($("stats-info"))(err);
    }
  }

  function render(s) {
    const rate = s.containment_rate == null ? "–" : Math.round(s.containment_rate * 100) + "%";
    const w = s.wait_seconds;
    const sat = s.satisfaction;
    return [
      el("p", { class: "muted", text: `Conversations started from ${s.from} to ${s.to} (UTC days, both included).` }),
      el("div", { class: "cards" },
        card(rate, "Containment", `Of the ${s.conversations} conversations in which the customer typed at least one message, the ${s.contained} that were resolved without a person (no handoff of any kind). ${s.handed_over_before_typing} conversation(s) handed over before the customer typed anything (the button, choosing a person first) are counted in neither.`),
        card(String(s.conversations), "Conversations", "Started in the range, with at least one typed customer message."),
        card(duration(w.median), "Median wait for a person", `From a conversation's first handoff to the first message a person wrote to the customer (internal notes excluded); half waited less. Over ${w.count} conversation(s) that reached a person.`),
        card(duration(w.p90), "Wait, 90th percentile", "Nine in ten of those customers waited this long or less."),
        card(sat.average == null ? "–" : `${num(sat.average, 2)} / 5`, "Satisfaction", `The average of the ${sat.ratings} rating(s) (1 to 5) customers gave when their conversation closed.`)),
      el("h3", { text: "Handoffs per day, by reason" }),
      el("p", { class: "definition", text: "Each handoff decision made that day (the customer's request, the button, a rule of the escalation policy), by its reason." }),
      handoffChart(s.handoffs_by_day),
      el("h3", { text: "Ratings" }),
      bars(Object.entries(sat.distribution).map(([score, n]) => [`${score} ★`, n])),
      el("h3", { text: "Per agent" }),
      el("p", { class: "definition", text: "Conversations: those of the range in which the agent wrote to the customer. First response: from the conversation's first handoff to the agent's first message in it (median). Rating: the average of those conversations' ratings." }),
      agentTable(s.agents),
    ];
  }

  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
    for (const c of children) if (c) node.append(c);
    return node;
  }

  // One stacked column per day; the table under it says the same in numbers.
  function handoffChart(days) {
    const reasons = [...new Set(days.flatMap((d) => Object.keys(d.reasons)))].sort();
    const totals = days.map((d) => Object.values(d.reasons).reduce((a, b) => a + b, 0));
    const total = totals.reduce((a, b) => a + b, 0);
    if (!total) return el("p", { class: "muted", text: "No handoffs in this range." });
    const max = Math.max(...totals);
    const W = 600, H = 160, gap = 2, col = W / days.length;
    const chart = svg("svg", { viewBox: `0 0 ${W} ${H + 18}`, class: "chart", role: "img", "aria-label": `${total} handoffs over ${days.length} days; the busiest day had ${max}.` });
    days.forEach((d, i) => {
      let y = H;
      reasons.forEach((r, j) => {
        const n = d.reasons[r] || 0;
        if (!n) return;
        const h = (n / max) * (H - 4);
        y -= h;
        chart.append(svg("rect", { x: i * col + gap / 2, y, width: Math.max(1, col - gap), height: h, fill: COLOURS[j % COLOURS.length] },
          svg("title", {}, document.createTextNode(`${d.day}: ${n} × ${reason(r)}`))));
      });
    });
    chart.append(svg("text", { x: 0, y: H + 14, "font-size": 11, fill: "#57606a" }, document.createTextNode(days[0].day)));
    chart.append(svg("text", { x: W, y: H + 14, "font-size": 11, fill: "#57606a", "text-anchor": "end" }, document.createTextNode(days[days.length - 1].day)));
    const legend = el("ul", { class: "legend" }, reasons.map((r, j) => {
      const n = days.reduce((a, d) => a + (d.reasons[r] || 0), 0);
      const swatch = el("span", { class: "swatch", "aria-hidden": "true" });
      swatch.style.background = COLOURS[j % COLOURS.length];
      return el("li", {}, swatch, `${reason(r)}: ${n}`);
    }));
    return el("figure", { class: "chart-box" }, chart, legend);
  }

  function bars(pairs) {
    const max = Math.max(1, ...pairs.map(([, n]) => n));
    return el("table", { class: "bars" }, el("tbody", {}, pairs.map(([label, n]) => {
      const bar = el("span", { class: "bar", "aria-hidden": "true" });
      bar.style.width = `${Math.round((n / max) * 100)}%`;
      return el("tr", {}, el("th", { scope: "row", text: label }), el("td", {}, el("span", { class: "bar-track" }, bar)), el("td", { class: "n", text: String(n) }));
    })));
  }

  function agentTable(agents) {
    if (!agents.length) return el("p", { class: "muted", text: "No agent wrote to a customer in this range." });
    const head = ["Agent", "Conversations", "Median first response", "Rating"];
    return el("table", { class: "stack" },
      el("thead", {}, el("tr", {}, head.map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, agents.map((a) => el("tr", {},
        el("td", { "data-label": "Agent", text: a.name || `#${a.id}` }),
        el("td", { "data-label": "Conversations", text: String(a.conversations) }),
        el("td", { "data-label": "Median first response", text: duration(a.median_first_response_seconds) }),
        el("td", { "data-label": "Rating", text: a.average_rating == null ? "–" : `${num(a.average_rating, 2)} (${a.ratings})` })))));
  }

  TandemAdmin.tab("stats", {
    init(context) {
      ctx = context;
      $("stats-range").addEventListener("submit", load);
    },
    onShow: () => load(),
  });
})();
