"""The one exception users see: a one-line message, printed by the CLI without a traceback."""


class UserError(Exception):
    """Bad input from the user: a missing file, a corrupt checkpoint, an impossible value."""
