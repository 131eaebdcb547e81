"""The out-of-scope detector against a plain reference: every phrase word compared with every word
of the text, as the rule reads. The detector answers the same from a per-word cache."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz

from bot.services import scope


def reference_similar(expected: str, word: str) -> bool:
    if expected.startswith("!"):
        return expected[1:] == word
    if len(expected) <= 4:
        return expected == word
    return abs(len(expected) - len(word)) <= 2 and fuzz.ratio(expected, word) >= scope.TYPO_SCORE


def reference_contains(phrase: list[str], words: list[str], gap: int = 3) -> bool:
    for start, word in enumerate(words):
        if not reference_similar(phrase[0], word):
            continue
        position = start
        for expected in phrase[1:]:
            nxt = next((k for k in range(position + 1, min(position + 2 + gap, len(words)))
                        if reference_similar(expected, words[k])), None)
            if nxt is None:
                break
            position = nxt
        else:
            return True
    return False


def reference_detect(text: str) -> list[str]:
    words = scope._words(text[:scope.MAX_CHARS].replace("!", " "))
    return [e.key for e, phrases in scope._PHRASES if any(reference_contains(p, words) for p in phrases)]


PHRASE_WORDS = sorted({w.lstrip("!") for _, phrases in scope._PHRASES for p in phrases for w in p})
FILLER = ["камера", "не", "работает", "после", "обновления", "пожалуйста", "регистратор", "по", "и", "нас"]


@st.composite
def typo(draw, word: str) -> str:
    kind = draw(st.sampled_from(["same", "drop", "swap", "replace", "insert"]))
    if kind == "same" or len(word) < 2:
        return word
    i = draw(st.integers(0, len(word) - 2))
    letter = draw(st.sampled_from("аеиоуытнрсd"))
    if kind == "drop":
        return word[:i] + word[i + 1:]
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind == "replace":
        return word[:i] + letter + word[i + 1:]
    return word[:i] + letter + word[i:]


@st.composite
def texts(draw) -> str:
    words = draw(st.lists(st.sampled_from(PHRASE_WORDS + FILLER), min_size=0, max_size=14))
    words = [draw(typo(w)) for w in words]
    if draw(st.booleans()):  # a whole phrase, perhaps with typos, somewhere in the text
        _, phrases = draw(st.sampled_from(scope._PHRASES))
        phrase = [draw(typo(w.lstrip("!"))) for w in draw(st.sampled_from(phrases))]
        at = draw(st.integers(0, len(words)))
        words[at:at] = phrase
    separators = draw(st.lists(st.sampled_from([" ", ", ", "! ", "\n", " — "]), min_size=len(words),
                               max_size=len(words)))
    return "".join(w + s for w, s in zip(words, separators)).capitalize()


@settings(max_examples=400, deadline=None)
@given(texts())
def test_detector_agrees_with_the_reference(text):
    assert [e.key for e in scope.detect(text)] == reference_detect(text)


def test_known_requests_and_harmless_texts():
    assert [e.key for e in scope.detect("Подключитесь, пожалуйста, через тимвивер и настройте удалено")] == \
        ["desktop", "remote_config"]
    assert [e.key for e in scope.detect("Обновите нам прошивку на регистраторе")] == ["firmware"]
    # "обновить" (how to update) is not "обновите" (update it for us).
    assert scope.detect("Как обновить прошивку на регистраторе?") == []
    assert scope.detect("") == [] and scope.detect("ё" * 5000) == []
