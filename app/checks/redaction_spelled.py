"""E-mail addresses spelled out to slip past a form ("jan at example dot com", "jan [at] example
[dot] com", "jan apenstaartje example punt nl", "jan arobase example point fr", "jan arroba
example punto es", "jan ät example punkt de"). The domain must end in a public suffix, as for a
written address. An English " at " before a written domain is a place, not an address ("I bought
it at bol.com"): with that word, a dot must be spelled or a sign bracketed too.
"""

from __future__ import annotations

import regex
import tldextract

from app.checks.redaction_patterns import ANY_CASE, CheckedPattern, Finding, Recognizer

_OPEN, _CLOSE = r"[\[({<]", r"[\])}>]"
_AT_WORD = r"at|ät|apenstaartje|apestaartje|apestaart|klammeraffe|arobase|arroba"
_DOT_WORD = r"dot|punt|punkt|point|punto|pt"
# Spelled: " at ", "[at]", "(at)", " [ at ] "; an "@" or "." (spaced or not) also joins parts.
_AT = (
    rf"(?:[ \t]*{_OPEN}[ \t]*(?:{_AT_WORD}|@)[ \t]*{_CLOSE}[ \t]*|[ \t]+(?:{_AT_WORD})[ \t]+"
    r"|[ \t]*@[ \t]*)"
)
_DOT = (
    rf"(?:[ \t]*{_OPEN}[ \t]*(?:{_DOT_WORD}|\.)[ \t]*{_CLOSE}[ \t]*|[ \t]+(?:{_DOT_WORD})[ \t]+"
    r"|[ \t]*\.[ \t]*)"
)
_LABEL = r"[\w-]{1,63}"
_LOCAL = rf"[\w+-]{{1,64}}(?:{_DOT}[\w+-]{{1,64}}){{0,2}}"
_SPELLED = rf"(?<![\w.@+-]){_LOCAL}{_AT}{_LABEL}(?:{_DOT}{_LABEL}){{1,3}}(?![\w@-]|\.\w)"

_SPELLED_SIGN = regex.compile(
    rf"{_OPEN}|[ \t](?:ät|apenstaartje|apestaartje|apestaart|klammeraffe|arobase|arroba|@)[ \t]"
    rf"|[ \t](?:{_DOT_WORD})[ \t]",
    ANY_CASE,
)
_SPLIT_AT = regex.compile(_AT, ANY_CASE)
_SPLIT_DOT = regex.compile(_DOT, ANY_CASE)
# The bundled public-suffix snapshot, never fetched (as in app.checks.redaction_patterns).
_SUFFIXES = tldextract.TLDExtract(cache_dir=None, suffix_list_urls=())


def _is_spelled_address(value: str) -> bool:
    """Whether a candidate is spelled (not a plain address) with a real public suffix."""
    if "@" in value and not regex.search(rf"{_OPEN}|[ \t]", value):
        return False  # a plain address: the written-address pattern has it
    if not _SPELLED_SIGN.search(value):
        return False
    parts = _SPLIT_AT.split(value)
    if len(parts) != 2:
        return False
    local, domain = (".".join(_SPLIT_DOT.split(part)) for part in parts)
    return bool(_SUFFIXES(domain).suffix) and bool(_SUFFIXES(f"{local}@{domain}").fqdn)


class SpelledPattern(CheckedPattern):
    """Candidates may overlap: in "reach me at peter dot jones at example dot com" the first
    ("me at peter dot jones") fails the suffix check, and the address starts inside it."""

    def analyze(self, text: str) -> list[Finding]:
        return [
            Finding(self.kind, match.start(), match.end())
            for match in self._pattern.finditer(text, overlapped=True)
            if self._check(match.group())
        ]


def recognizers() -> list[Recognizer]:
    """The spelled-out e-mail address, found as an EMAIL."""
    return [SpelledPattern("EMAIL", _SPELLED, _is_spelled_address)]
