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
- `output`: `check_output(text, canary, instructions)` → `OutputVerdict` (promises only
  people may make, prompt leaks and quotations of the instructions, swearing).
  Word lists in `output_promises` and `output_words`.
- `confidence`: `assess(draft, passages, logprobs)` → `Confidence` (how well the passages
  support the draft); the facts it compares come from `claims`, its words from
  `confidence_words`.
- `entailment`: `load_entailment(setting)` → an `Entailment` or None (TANDEM_GROUNDING_MODEL
  unset, or unusable); `Entailment.support([(premise, hypothesis), ...])` → one float in 0..1
  each: how likely the knowledge-base sentence supports the answer sentence (NLI softmax or
  cross-encoder sigmoid). CPU-bound: call it off the event loop. Built once as `svc.entailment`.

Model files: `model_files.fetch_model` is the one download (`tandem models fetch`);
`local_folder(name)` is where a fetched name is read from, offline.

What the turn does with these results is decided in `app.escalation`, never here.
"""
