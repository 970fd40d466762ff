"""Chinese text handling shared by every app: normalisation, segmentation (jieba), pinyin."""

import logging
import re
import threading
import unicodedata
from collections.abc import Iterable

import jieba
from pypinyin import Style, lazy_pinyin

jieba.setLogLevel(logging.WARNING)

_PUNCT = re.compile(r"[^\w\u3400-\u9fff]+", re.UNICODE)
_HAN = re.compile(r"[\u3400-\u9fff]")
_CHUNKS = re.compile(r"[\u3400-\u9fff]+|[a-z0-9]+")


def normalize(text: str, *, max_length: int | None = None) -> str:
    """NFKC (full-width → half-width), lower case, punctuation to single spaces."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    text = _PUNCT.sub(" ", text).strip()
    text = re.sub(r"\s+", " ", text)
    return text[:max_length] if max_length else text


def has_han(text: str) -> bool:
    return bool(_HAN.search(text))


def chunks(text: str) -> list[str]:
    """Runs of Han characters and runs of Latin letters/digits, in order."""
    return _CHUNKS.findall(text)


def pinyin(text: str) -> str:
    return "".join(lazy_pinyin(text, errors="ignore"))


def initials(text: str) -> str:
    return "".join(lazy_pinyin(text, style=Style.FIRST_LETTER, errors="ignore"))


class Segmenter:
    """A jieba tokenizer with our own words added; one per process, built lazily."""

    def __init__(self):
        self._tokenizer = None
        self._words: set[str] = set()
        self._lock = threading.Lock()

    def _get(self):
        if self._tokenizer is None:
            with self._lock:
                if self._tokenizer is None:
                    tokenizer = jieba.Tokenizer()
                    tokenizer.initialize()
                    for word in self._words:
                        tokenizer.add_word(word, freq=tokenizer.suggest_freq(word) + 10)
                    self._tokenizer = tokenizer
        return self._tokenizer

    def add_words(self, words: Iterable[str]) -> None:
        new = {w for w in words if w and len(w) > 1 and has_han(w)} - self._words
        if not new:
            return
        self._words |= new
        if self._tokenizer is not None:
            for word in new:
                self._tokenizer.add_word(word, freq=self._tokenizer.suggest_freq(word) + 10)

    def cut_words(self, text: str) -> list[str]:
        """Precise segmentation: each character belongs to exactly one word."""
        return [t for t in self._get().lcut(text) if t.strip()]

    def cut(self, text: str) -> list[str]:
        """Search-mode segmentation: long words and their shorter parts."""
        return [t for t in self._get().cut_for_search(text) if t.strip()]


segmenter = Segmenter()
