"""The dashboard's errors (web never imports runtime, so it has its own): messages of the form
`web: <what> <name>: <why>`."""


class WebError(Exception):
    """Base of every error the dashboard raises on purpose."""


class InvalidOption(WebError, ValueError):
    """A command-line option or configuration value the dashboard cannot use."""


class UnsafeExposure(WebError):
    """A configuration that would hand containers' logs, environment or controls to anyone who can connect."""
