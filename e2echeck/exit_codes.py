"""The exit codes of SPEC section 4, shared by the CLI, the runner and the Lambda
handler. Kept apart so that the CLI can name them without importing the engine."""

OK = 0  # every check passed and every event was delivered
CHECK_FAILED = 1  # a check failed (or is unknown, or was skipped by the deadline)
CONFIG_ERROR = 2  # usage or config error
UNDELIVERED = 3  # an event could not be delivered (wins over 1)
