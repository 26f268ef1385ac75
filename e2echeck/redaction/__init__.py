"""Secrets never leave the process: which values are secret, and how output is scrubbed."""

from e2echeck.redaction.names import MASK, MIN_SECRET_LENGTH, SENSITIVE_WORDS, NameRule, name_rule
from e2echeck.redaction.redactor import Redactor
from e2echeck.redaction.scrub import collect_sensitive, scrub_excerpt, scrub_json, scrub_pairs

__all__ = [
    "MASK",
    "MIN_SECRET_LENGTH",
    "SENSITIVE_WORDS",
    "NameRule",
    "Redactor",
    "collect_sensitive",
    "name_rule",
    "scrub_excerpt",
    "scrub_json",
    "scrub_pairs",
]
