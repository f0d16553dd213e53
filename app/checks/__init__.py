"""The checks on every turn. None of them asks the LLM for its judgement, so they hold with any
model, including one that misbehaves. Each module is one check; its word lists sit beside it.

On the customer's message (before anything reaches the LLM):
- `human_request`: `HumanRequestDetector.detect(text)` → `HumanRequest` (requested?
  which rule, what score), in English, Dutch, German, French and Spanish.
- `redaction`: `redact(text)` → `Redaction` (the text with placeholders, and the mapping to
  restore them); `scrub(text)` for logs. Patterns in `redaction_patterns`.
- `sentiment`: `SentimentModel.classify(texts)` → one `Sentiment` each (label, negative
  probability, score).
- `topics`: `match_topic(text, topics)` → the operator's restricted `Topic` it touches, or None.

On the model's draft (before any of it reaches the customer):
- `output`: `check_output(text, canary)` → `OutputVerdict` (promises only people may make,
  prompt leaks, swearing). Word lists in `output_promises` and `output_words`.
- `confidence`: `assess(draft, passages, logprobs)` → `Confidence` (how well the passages
  support the draft); the facts it compares come from `claims`, its words from
  `confidence_words`.

What the turn does with these results is decided in `app.escalation`, never here.
"""
