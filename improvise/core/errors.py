"""The exceptions users see: a one-line message, printed by the CLI without a traceback.

`UserError` is bad input from the user (a missing file, a corrupt checkpoint, an impossible value);
`ConfigError` is the kind raised by a config's `validate()` for a value outside its documented
range. It is also a `ValueError`, so library callers that catch `ValueError` keep working, but
the CLI reports only these as user errors: any other `ValueError` is a bug, and is reported as one.
"""


class UserError(Exception):
    """Bad input from the user: a missing file, a corrupt checkpoint, an impossible value."""


class ConfigError(UserError, ValueError):
    """A setting outside its documented range (raised by configs' `validate()` and the CLI's flags)."""
