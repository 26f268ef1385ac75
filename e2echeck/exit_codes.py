"""The exit codes of the CLI, shared by the CLI, the runner and the Lambda handler.

Kept apart so that the CLI can name them without importing the engine; which
error means which code is decided in `e2echeck.errors.exit_code_for`.
"""

OK = 0  # every check passed and every event was delivered
CHECK_FAILED = 1  # a check failed (or is unknown, or was skipped by the deadline)
FAILED = 1  # a command other than `run` failed (e.g. the Lambda zip was not built)
CONFIG_ERROR = 2  # usage or config error
UNDELIVERED = 3  # an event could not be delivered (wins over 1)
