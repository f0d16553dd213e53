"""What the customer is told before the first AI word, in their language."""

from disclosure.texts import LOCALES, choose_locale, notice, phrase

__all__ = ["LOCALES", "choose_locale", "notice", "phrase"]
