"""Accuracy of an intent classifier on a labelled TSV (``lang<TAB>intent<TAB>text``).

``python -m cafehub.runtime.intent.evaluate tests/runtime/data/intent_phrases.tsv``
prints the accuracy per language and every miss.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from .base import IntentClassifier, Lang
from .keywords import KeywordClassifier


@dataclass(frozen=True, slots=True)
class Report:
    total: Counter[str]
    correct: Counter[str]
    misses: list[tuple[str, str, str, str]]  # lang, expected, got, text

    def accuracy(self, lang: str | None = None) -> float:
        if lang is None:
            return sum(self.correct.values()) / max(1, sum(self.total.values()))
        return self.correct[lang] / max(1, self.total[lang])


def load(path: Path) -> list[tuple[Lang, str, str]]:
    rows: list[tuple[Lang, str, str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        lang, intent, text = line.split("\t", 2)
        rows.append((lang, intent, text))  # type: ignore[arg-type]
    return rows


def evaluate(classifier: IntentClassifier, rows: list[tuple[Lang, str, str]]) -> Report:
    total: Counter[str] = Counter()
    correct: Counter[str] = Counter()
    misses: list[tuple[str, str, str, str]] = []
    for lang, expected, text in rows:
        got = classifier.classify(text).intent
        total[lang] += 1
        if got == expected:
            correct[lang] += 1
        else:
            misses.append((lang, expected, got, text))
    return Report(total, correct, misses)


def main(argv: list[str]) -> int:
    report = evaluate(KeywordClassifier(), load(Path(argv[0])))
    for lang in sorted(report.total):
        print(f"{lang}: {report.correct[lang]}/{report.total[lang]} = {report.accuracy(lang):.1%}")
    print(f"all: {report.accuracy():.1%}")
    for lang, expected, got, text in report.misses:
        print(f"  miss [{lang}] expected {expected}, got {got}: {text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
