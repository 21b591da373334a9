"""The one exception type that the CLI turns into a one-line error."""


class EdgembedError(Exception):
    """A user-facing error: bad input, missing files, wrong shapes. The message is one line."""
