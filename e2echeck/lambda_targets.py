"""The AWS Lambda targets `e2echeck package` builds for, defined once.

PYTHON_VERSIONS are the Python runtimes AWS Lambda supports (python3.11 until
mid-2027, python3.14 since November 2025); deploy/template.yaml's `Runtime`
parameter offers the same list, and a test keeps the two in step. Kept apart
from packaging.py so the CLI can offer them without importing the builder.
"""

PYTHON_VERSIONS = ("3.11", "3.12", "3.13", "3.14")
DEFAULT_PYTHON = "3.12"

# Lambda architecture -> the manylinux platform pip downloads wheels for.
ARCHITECTURES = {"x86_64": "manylinux2014_x86_64", "arm64": "manylinux2014_aarch64"}
DEFAULT_ARCH = "x86_64"

# The manifest `e2echeck package` writes at the zip's root (e2echeck's version, the
# target, every bundled package==version) and the handler logs once per cold start.
MANIFEST_NAME = "e2echeck-manifest.json"
#: Where `e2echeck package DIR` puts the directory's checks files in the zip.
SUITE_DIR = "checks.d"
