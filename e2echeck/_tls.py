"""One verifying TLS context per process, shared by every client e2echeck opens.

Building one loads the CA bundle: about 30 ms of CPU here, several times that on
a small Lambda, and it was paid again by every run's check pool, every PagerDuty
delivery and every webhook. A context is only read once built, so one serves
them all, and a warm Lambda keeps it between invocations. It is built the way
the HTTP library builds its own (honouring SSL_CERT_FILE and SSL_CERT_DIR), once
per value of those variables.
"""

from __future__ import annotations

import functools
import os
import ssl


def verifying_context() -> ssl.SSLContext:
    """The process's verifying TLS context, as the HTTP library would build it."""
    return _built(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))


@functools.lru_cache(maxsize=4)
def _built(cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    import httpx2

    return httpx2.create_ssl_context(verify=True)
