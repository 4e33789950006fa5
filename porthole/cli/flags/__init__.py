"""Flag values parsed as the docker CLI parses them, without a daemon: sizes, CPU counts and device rates
(`sizes`), durations and timestamps (`times`), `-p` specs (`ports`), `--mount` and `-v` (`mounts`), environment,
env files, labels, key=value lists and filters (`keyvalues`), restart policies (`restart`). Each parser raises
InvalidParameter naming the value and the reason; `porthole.cli.command.argtype` makes one an argparse `type=`,
so that the message also names the flag.
"""
