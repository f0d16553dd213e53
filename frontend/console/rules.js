// What an agent may do with a conversation in its current state: the server's rules (may_read
// in the agent routes, handoff/assignment.py), mirrored so that only possible actions are enabled.
"use strict";

const TandemRules = (() => {
  const waiting = (conv) => Boolean(conv) && ["queued", "offline"].includes(conv.status);
  const held = (conv, me) => Boolean(conv) && conv.status === "agent" && conv.agent_id === me.id;
  // Waiting, closed or mine; operators read everything.
  const mayRead = (conv, me) => me.role === "operator" || held(conv, me) || waiting(conv) || conv.status === "closed";

  // Which controls are on: `me` is {id, role}.
  function allowed(conv, me) {
    const mine = held(conv, me);
    return {
      mine,
      claim: waiting(conv),
      release: mine,
      transfer: mine,
      close: mine || waiting(conv) || (me.role === "operator" && conv.status === "agent"),
      reply: mine,
      note: mayRead(conv, me), // anyone who may read it may leave colleagues a note
      read: mayRead(conv, me),
    };
  }

  // Why the view is read-only, in a sentence ("" when this agent holds it).
  function readOnly(conv, me, nameOf) {
    if (held(conv, me)) return "";
    const kept = mayRead(conv, me) ? "" : " This is the transcript as you last saw it.";
    if (conv.status === "closed") return "This conversation is closed. You can still add an internal note.";
    if (conv.status === "bot") return `The AI holds this conversation again.${kept}`;
    if (conv.status === "agent") return `${nameOf(conv.agent_id)} holds this conversation.${kept}`;
    if (waiting(conv)) return "Waiting for a person: claim it to reply to the customer.";
    return "";
  }

  return { allowed, readOnly, mayRead, held };
})();
