"""e2echeck: end-to-end checks of public endpoints that page PagerDuty."""

__version__ = "0.1.0"
