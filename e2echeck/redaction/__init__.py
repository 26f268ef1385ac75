"""Secrets never leave the process: which values are secret, and how output is scrubbed."""

from e2echeck.redaction.names import MASK, MIN_SECRET_LENGTH, SENSITIVE_WORDS, NameRule, name_rule
from e2echeck.redaction.redactor import Redactor, config_redactor, run_redactor
from e2echeck.redaction.scrub import collect_sensitive, scrub_excerpt, scrub_json, scrub_pairs

__all__ = [
    "MASK",
    "MIN_SECRET_LENGTH",
    "SENSITIVE_WORDS",
    "NameRule",
    "Redactor",
    "collect_sensitive",
    "config_redactor",
    "name_rule",
    "run_redactor",
    "scrub_excerpt",
    "scrub_json",
    "scrub_pairs",
]
