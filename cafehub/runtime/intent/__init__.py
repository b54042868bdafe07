"""What the customer wants: slash commands, and a pluggable classifier for free text."""

from .base import INTENTS, Classification, IntentClassifier, detect_language
from .keywords import KeywordClassifier
from .slash import SLASH_COMMANDS, parse_slash

__all__ = ["INTENTS", "SLASH_COMMANDS", "Classification", "IntentClassifier", "KeywordClassifier",
           "detect_language", "parse_slash"]
