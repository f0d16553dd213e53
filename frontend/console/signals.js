// "Why the AI stepped aside" in sentences: which rule fired against which threshold, scores as
// percentages, help-centre articles by title. Never the raw record (ids, chunks, JSON).
"use strict";

const TandemSignals = (() => {
  const pct = (v) => `${Math.round(Number(v) * 100)}%`;
  const known = (v) => v !== null && v !== undefined && v !== "" && !Number.isNaN(Number(v));
  const words = (v) => String(v).replace(/_/g, " ");
  const OUTCOMES = { escalated: "handed the conversation to the team", declined: "did not answer", answered: "answered" };

  // Why it was handed over, told to the agent (the conversation's `escalation_detail` is
  // worded for the customer: "You asked to talk to a person.").
  const HEADLINES = {
    customer_request: "The customer asked to talk to a person.",
    ai_opt_out: "The customer chose a person instead of the AI.",
    human_only: "The human-only setting is on: the team answers everything.",
    restricted_topic: "The customer raised a topic only people handle.",
    negative_sentiment: "The customer sounded upset.",
    llm_unavailable: "The AI model did not answer in time.",
    unsafe_output: "The AI's draft failed a safety check.",
    low_confidence: "The AI found no reliable answer in the help centre.",
    max_bot_turns: "The AI had answered as many times as the policy allows.",
    lease_expired: "The agent who held it was disconnected.",
  };
  const headline = (reason) => (reason ? HEADLINES[reason] || `Handed over: ${words(reason)}.` : "No escalation.");

  // The sentence for the rule behind the decision, with the policy value it crossed.
  function rule(d) {
    const s = d.signals || {};
    const t = d.thresholds || {};
    const human = s.human_request || {};
    const sentiment = s.sentiment || {};
    switch (d.reason) {
      case "customer_request":
        return `The customer asked for a person${human.rule ? ` (recognised by the “${words(human.rule)}” rule` + (known(human.score) ? `, ${pct(human.score)} sure)` : ")") : ""}.`;
      case "ai_opt_out":
        return "The customer chose not to talk to the AI.";
      case "human_only":
        return "The team answers every conversation in person right now (the human-only setting is on).";
      case "restricted_topic":
        return `The message touches a topic only people handle${s.restricted_topic ? `: ${words(typeof s.restricted_topic === "string" ? s.restricted_topic : s.restricted_topic.name || "restricted")}` : ""}.`;
      case "negative_sentiment": {
        const limit = known(t.negative_sentiment_threshold) ? ` The limit is ${pct(t.negative_sentiment_threshold)}` : "";
        const streak = known(t.negative_turns) && known(t.offer_person_threshold) ? `, or ${t.negative_turns} messages in a row above ${pct(t.offer_person_threshold)} (this was ${s.negative_streak || 1} in a row)` : "";
        return `The customer sounded upset: ${known(sentiment.negative) ? pct(sentiment.negative) : "strongly"} negative.${limit}${streak}${limit ? "." : ""}`;
      }
      case "llm_unavailable":
        return "The AI model did not answer in time, so a person takes over.";
      case "unsafe_output":
        return `The AI's draft failed a safety check${Array.isArray(s.unsafe) && s.unsafe.length ? ` (${s.unsafe.map(words).join(", ")})` : ""}, so it was not shown.`;
      case "low_confidence":
        return `The AI was ${known(d.confidence) ? pct(d.confidence) + " confident" : "not confident enough (no supported answer)"}; it answers only from ${known(t.min_confidence) ? pct(t.min_confidence) : "the set minimum"}.`;
      case "max_bot_turns":
        return `The AI had answered ${s.bot_turns ?? "many"} times; after ${t.max_bot_turns ?? "the set number of"} answers a person takes over.`;
      default:
        return d.reason ? `Reason: ${words(d.reason)}.` : "";
    }
  }

  // The articles the AI looked at, by title, with their best match.
  function articles(d, titles) {
    const best = new Map();
    for (const p of d.signals && Array.isArray(d.signals.retrieval) ? d.signals.retrieval : []) {
      const title = titles[p.document_id] || titles[String(p.document_id)] || "an article since removed";
      best.set(title, Math.max(best.get(title) || 0, Number(p.score) || 0));
    }
    if (!best.size) return "The AI found no help-centre article for this message.";
    const list = [...best].map(([title, score]) => `“${title}” (${pct(score)} match)`);
    return `Help-centre articles it looked at: ${list.join(", ")}.`;
  }

  function sentences(d, titles) {
    const s = d.signals || {};
    const out = [`The AI ${OUTCOMES[d.outcome] || words(d.outcome)}.`, rule(d)];
    if (s.sentiment && known(s.sentiment.negative) && d.reason !== "negative_sentiment") {
      out.push(`The customer's last message read as ${pct(s.sentiment.negative)} negative${s.sentiment.label ? ` (${words(s.sentiment.label)})` : ""}.`);
    }
    const looked = Array.isArray(s.retrieval) && (s.retrieval.length || d.reason === "low_confidence");
    if (looked) out.push(articles(d, titles)); // an early handoff never searched
    if (known(d.confidence) && d.reason !== "low_confidence") out.push(`Confidence in its answer: ${pct(d.confidence)}.`);
    if (Array.isArray(s.pii_kinds) && s.pii_kinds.length) {
      out.push(`Personal data was hidden from the AI: ${s.pii_kinds.map(words).join(", ")}.`);
    }
    return out.filter(Boolean);
  }

  // The list items for the last decision that handed over (or else the last decision).
  function render(list, decisions, titles) {
    const { el } = Tandem;
    const last = [...decisions].reverse().find((d) => d.outcome !== "answered") || decisions[decisions.length - 1];
    if (!last) return list.replaceChildren(el("li", { class: "muted", text: "No AI decision recorded for this conversation." }));
    list.replaceChildren(...sentences(last, titles || {}).map((text) => el("li", { text })));
  }

  return { render, sentences, headline };
})();
