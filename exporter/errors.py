"""The exporter's errors (it never imports runtime, so it has its own): messages of the form
`exporter: <what> <name>: <why>`."""


class ExporterError(Exception):
    """Base of every error the exporter raises on purpose."""


class InvalidOption(ExporterError, ValueError):
    """A command-line option or argument the exporter cannot use."""
