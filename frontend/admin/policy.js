// The escalation policy editor: each setting says what it does and what raising or lowering it
// changes; the server's errors appear next to the field they concern; the preview beside it
// replays recent turns under the policy being edited.
"use strict";

(() => {
  const { el } = Tandem;
  const $ = (id) => document.getElementById(id);
  const DAYS = [["mon", "Monday"], ["tue", "Tuesday"], ["wed", "Wednesday"], ["thu", "Thursday"], ["fri", "Friday"], ["sat", "Saturday"], ["sun", "Sunday"]];

  // What each setting does, in the words an operator uses (app/escalation.py applies them).
  const SETTINGS = [
    { key: "min_confidence", label: "Minimum confidence", kind: "number", min: 0, max: 1, step: 0.01,
      help: "How sure the AI must be that its answer is supported by the knowledge base (0 to 1) before the customer sees it.",
      raise: "0.7: fewer AI answers; more questions go to a person (or get the offer below).",
      lower: "0.3: the AI answers more on its own, also questions the help centre covers only in part." },
    { key: "low_confidence_action", label: "When the AI is not sure enough", kind: "select",
      options: [["escalate", "hand over to a person at once"], ["offer", "say it does not know and offer a person"]],
      help: "What happens to a question whose answer falls below the minimum confidence.",
      raise: "Hand over: the conversation joins the queue straight away.",
      lower: "Offer: the customer reads that the AI does not know and chooses whether to wait for a person." },
    { key: "negative_sentiment_threshold", label: "Hand over when a message is this negative", kind: "number", min: 0, max: 1, step: 0.01,
      help: "How negative one message must be (0 to 1, the sentiment model's probability) for a person to take over at once.",
      raise: "0.95: only very angry messages hand over at once.",
      lower: "0.7: a mildly annoyed message already hands over." },
    { key: "offer_person_threshold", label: "Offer a person when a message is this negative", kind: "number", min: 0, max: 1, step: 0.01,
      help: "From this level (0 to 1) the AI offers a person alongside its answer, and the message counts towards the streak below. It must not be above the hand-over level.",
      raise: "0.8: fewer offers, and streaks of negative messages build up more slowly.",
      lower: "0.4: most unhappy customers see the offer, and streaks build up sooner." },
    { key: "negative_turns", label: "Negative messages in a row before handing over", kind: "number", min: 1, max: 20, step: 1,
      help: "How many customer messages in a row at or above the offer level hand the conversation over.",
      raise: "4: a customer may stay unhappy for longer before a person takes over.",
      lower: "1: the first message at the offer level hands over." },
    { key: "max_bot_turns", label: "Most AI turns in one conversation", kind: "number", min: 1, max: 100, step: 1,
      help: "After this many AI turns the next message goes to a person.",
      raise: "15: longer self-service conversations.",
      lower: "3: long conversations reach a person sooner." },
    { key: "long_wait_seconds", label: "Offer to leave a message after (seconds)", kind: "number", min: 0, max: 86400, step: 1,
      help: "When the expected wait in the queue is longer than this, or nobody is online, a waiting customer is offered to leave a message instead.",
      raise: "900: customers are asked to keep waiting for up to 15 minutes.",
      lower: "0: the offer comes with any wait at all." },
    { key: "retention_days", label: "Keep transcripts for (days)", kind: "number", min: 1, max: 3650, step: 1,
      help: "Conversations idle for longer lose their text in the next purge (hourly); anonymous figures stay for the stats. /ai-policy tells customers this number.",
      raise: "365: agents can look back a year; customers' words are kept that long.",
      lower: "30: less kept about customers; older conversations can no longer be read." },
    { key: "human_only", label: "People only (AI switched off)", kind: "checkbox",
      help: "Every customer message goes to a person; the AI writes nothing.",
      raise: "On: all conversations wait for your team, also at night if no business hours are set.",
      lower: "Off: the AI answers first, within the rules above." },
  ];

  let ctx = null; // {call, guard, info} from admin.js
  let config = null; // the settings as last loaded: {policy, disclosure}

  function field(s) {
    const id = s.key;
    const describedBy = `help-${id} err-${id}`;
    let input;
    if (s.kind === "select") input = el("select", { id, "aria-describedby": describedBy }, s.options.map(([v, t]) => el("option", { value: v, text: t })));
    else if (s.kind === "checkbox") input = el("input", { id, type: "checkbox", "aria-describedby": describedBy });
    else input = el("input", { id, type: "number", min: s.min, max: s.max, step: s.step, "aria-describedby": describedBy });
    return el("div", { class: "setting" },
      el("label", { for: id, text: s.label }), input,
      el("p", { class: "help", id: `help-${id}` }, s.help),
      el("ul", { class: "examples" },
        el("li", { text: (s.kind === "number" ? "Raise it to " : "") + s.raise }),
        el("li", { text: (s.kind === "number" ? "Lower it to " : "") + s.lower })),
      errorSlot(id));
  }

  const errorSlot = (key) => el("p", { class: "field-error", id: `err-${key}`, role: "alert", dataset: { errorFor: key } });

  function build() {
    const form = $("policy");
    const hours = el("fieldset", { id: "hours", class: "hours", "aria-describedby": "help-business_hours err-business_hours" },
      el("legend", { text: "Opening hours" }),
      el("label", { for: "timezone", text: "Time zone" }), el("input", { id: "timezone", placeholder: "Europe/Amsterdam", "aria-describedby": "err-business_hours.timezone" }),
      errorSlot("business_hours.timezone"),
      DAYS.flatMap(([d, name]) => [el("label", { for: "day-" + d, text: name }), el("input", { id: "day-" + d, placeholder: "09:00-17:00, 18:00-20:00" })]),
      errorSlot("business_hours.days"));
    form.replaceChildren(
      ...SETTINGS.map(field),
      el("div", { class: "setting" },
        el("h3", { id: "topics-title", text: "Restricted topics" }),
        el("p", { class: "help", id: "help-restricted_topics", text: "Subjects that always go to a person, whatever the AI could answer. A message matches a topic when it contains one of the topic's phrases (in any language you list; a word ending in * matches any ending, a lone * up to three words)." }),
        el("ul", { class: "examples" },
          el("li", { text: "Add a topic: every message that matches it goes to a person, even when the knowledge base has an answer." }),
          el("li", { text: "Remove one: the AI answers those questions itself, within the rules above." })),
        el("ul", { id: "topics", class: "topics", "aria-labelledby": "topics-title" }),
        el("button", { type: "button", id: "add-topic", text: "Add a topic", onclick: () => addTopic({ name: "", label: "", phrases: [] }, true) }),
        errorSlot("restricted_topics")),
      el("div", { class: "setting" },
        el("label", { class: "check" }, el("input", { id: "hours_on", type: "checkbox", "aria-describedby": "help-business_hours err-business_hours" }), " Only open in business hours"),
        el("p", { class: "help", id: "help-business_hours", text: "Outside these hours a customer who asks for a person leaves a message and is told when to expect an answer. With this off the team counts as always open. Give each open day its hours as HH:MM-HH:MM, several separated by commas; an empty day is closed." }),
        el("ul", { class: "examples" },
          el("li", { text: "On, Monday to Friday 09:00-17:00: at the weekend a customer who asks for a person leaves a message and is told when to expect an answer." }),
          el("li", { text: "Off: a handoff always joins the queue; when nobody is online or the wait grows long, the customer is offered to leave a message." })),
        hours, errorSlot("business_hours")),
      el("div", { class: "buttons" }, el("button", { type: "submit", class: "primary", text: "Save policy" })),
      el("p", { id: "policy-info", role: "status" }));
    $("hours_on").addEventListener("change", () => ($("hours").disabled = !$("hours_on").checked));
    form.addEventListener("submit", save);
    $("preview-btn").addEventListener("click", preview);
  }

  // ---- restricted topics: one editable row each ---------------------------------------

  function addTopic(topic, focus = false) {
    const n = $("topics").children.length + 1;
    const label = el("input", { class: "topic-label", value: topic.label, "aria-label": `Topic ${n}: name`, placeholder: "e.g. Refund claims" });
    const phrases = el("textarea", { class: "topic-phrases", rows: 3, "aria-label": `Topic ${n}: phrases, separated by commas`, placeholder: "refund*, money back, terugbetal*" });
    phrases.value = topic.phrases.join(", ");
    const row = el("li", { class: "topic", dataset: { name: topic.name } }, label, phrases,
      el("button", { type: "button", class: "danger", text: "Remove", "aria-label": `Remove topic ${n}`, onclick: () => row.remove() }));
    $("topics").append(row);
    if (focus) label.focus();
  }

  function readTopics() {
    return [...$("topics").children].map((row) => {
      const label = row.querySelector(".topic-label").value.trim();
      const name = row.dataset.name || label.toLowerCase().normalize("NFKD").replace(/[^a-z0-9]+/g, "_").replace(/^_|_$/g, "");
      const phrases = row.querySelector(".topic-phrases").value.split(",").map((p) => p.trim()).filter(Boolean);
      return { name, label, phrases };
    });
  }

  // ---- reading and writing the form ---------------------------------------------------

  function fill(p) {
    for (const s of SETTINGS) {
      if (s.kind === "checkbox") $(s.key).checked = Boolean(p[s.key]);
      else $(s.key).value = p[s.key] ?? "";
    }
    $("topics").replaceChildren();
    (p.restricted_topics || []).forEach((t) => addTopic(t));
    const hours = p.business_hours;
    $("hours_on").checked = Boolean(hours);
    $("timezone").value = hours ? hours.timezone : "UTC";
    DAYS.forEach(([d]) => ($("day-" + d).value = hours && hours.days[d] ? hours.days[d].map((s) => s.join("-")).join(", ") : ""));
    $("hours").disabled = !hours;
  }

  function read() {
    const p = { ...config.policy }; // fields the editor does not show are kept as they are
    for (const s of SETTINGS) {
      if (s.kind === "checkbox") p[s.key] = $(s.key).checked;
      else if (s.kind === "number") p[s.key] = $(s.key).value === "" ? null : Number($(s.key).value);
      else p[s.key] = $(s.key).value;
    }
    p.restricted_topics = readTopics();
    p.business_hours = $("hours_on").checked ? { timezone: $("timezone").value.trim() || "UTC", days: readDays() } : null;
    return p;
  }

  function readDays() {
    const days = {};
    for (const [d] of DAYS) {
      const spans = $("day-" + d).value.split(",").map((s) => s.trim()).filter(Boolean).map((s) => s.split("-").map((x) => x.trim()));
      if (spans.length) days[d] = spans;
    }
    return days;
  }

  // ---- errors next to their field -----------------------------------------------------

  function clearErrors() {
    document.querySelectorAll("#tab-settings .field-error").forEach((p) => (p.textContent = ""));
    document.querySelectorAll("#tab-settings [aria-invalid]").forEach((i) => i.removeAttribute("aria-invalid"));
  }

  // "policy.business_hours.days.mon" is shown at the closest slot: business_hours.days.
  function showErrors(err) {
    const unplaced = [];
    for (const f of (err.data && err.data.fields) || []) {
      const parts = f.path.replace(/^policy\.?/, "").split(".");
      let slot = null;
      for (let i = parts.length; i > 0 && !slot; i--) slot = document.querySelector(`#tab-settings [data-error-for="${parts.slice(0, i).join(".")}"]`);
      if (!slot) {
        unplaced.push(f.message);
        continue;
      }
      slot.textContent = slot.textContent ? `${slot.textContent} ${f.message}` : f.message;
      const input = $(slot.dataset.errorFor);
      if (input) input.setAttribute("aria-invalid", "true");
    }
    const placed = err.data && err.data.fields && unplaced.length < err.data.fields.length;
    const info = $("policy-info");
    info.className = "error";
    info.textContent = placed ? "Not saved: see the messages next to the fields." + (unplaced.length ? " " + unplaced.join(" ") : "") : err.message;
    const first = document.querySelector("#tab-settings .field-error:not(:empty)");
    if (first) first.scrollIntoView({ block: "center" });
  }

  async function load() {
    try {
      config = await ctx.call("/api/v1/admin/settings");
      clearErrors();
      fill(config.policy);
    } catch (err) {
      ctx.guard($("policy-info"))(err);
    }
  }

  async function save(event) {
    event.preventDefault();
    clearErrors();
    try {
      const saved = await ctx.call("/api/v1/admin/settings", { method: "PUT", body: { policy: read(), disclosure: config.disclosure } });
      config = { ...config, ...saved };
      fill(config.policy);
      ctx.info($("policy-info"), "Saved. Every conversation uses it from its next turn.");
    } catch (err) {
      if (err.status === 422) showErrors(err);
      else ctx.guard($("policy-info"))(err);
    }
  }

  // ---- the preview beside the editor ---------------------------------------------------

  const REASONS = {
    customer_request: "the customer asked for a person", ai_opt_out: "the customer chose a person", human_only: "people only",
    restricted_topic: "restricted topic", negative_sentiment: "negative sentiment", llm_unavailable: "the AI was unavailable",
    unsafe_output: "unsafe answer", low_confidence: "not sure enough", max_bot_turns: "too many AI turns", handed_over: "a person took over",
  };

  function said(verdict) {
    const [outcome, reason] = verdict.split(":");
    const why = REASONS[reason] ? ` (${REASONS[reason]})` : "";
    if (outcome === "answered") return "AI answered";
    if (outcome === "declined") return "AI said it does not know, offered a person" + why;
    if (outcome === "escalated") return "handed to a person" + why;
    return verdict;
  }

  async function preview() {
    clearErrors();
    const pane = $("preview");
    pane.replaceChildren(el("p", { class: "muted", text: "Replaying recent turns…" }));
    try {
      const r = await ctx.call("/api/v1/admin/settings/preview", { method: "POST", body: { policy: read() } });
      pane.replaceChildren(...render(r).filter(Boolean));
    } catch (err) {
      pane.replaceChildren();
      if (err.status === 422) showErrors(err);
      else pane.replaceChildren(el("p", { class: "error", role: "alert", text: err.message }));
    }
  }

  function render(r) {
    const head = el("p", { class: "summary", text: `Of the last ${r.considered} AI turns, ${r.changed_count} would end differently under this policy.` });
    if (!r.changed.length) return [head];
    const rows = r.changed.map((c) => el("tr", {},
      el("td", { "data-label": "Conversation", class: "wrap" }, el("code", { text: c.conversation_id })),
      el("td", { "data-label": "What happened", text: said(c.before) }),
      el("td", { "data-label": "What would happen", text: said(c.after) })));
    const more = r.changed_count > r.changed.length ? el("p", { class: "muted", text: `The first ${r.changed.length} of ${r.changed_count} are listed.` }) : null;
    return [head, el("table", { class: "stack" },
      el("thead", {}, el("tr", {}, ["Conversation", "What happened", "What would happen"].map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, rows)), more];
  }

  TandemAdmin.tab("settings", {
    init(context) {
      ctx = context;
      build();
    },
    onShow: load,
  });
})();
