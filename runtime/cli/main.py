"""The `porthole` command."""

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="porthole")
    sub = parser.add_subparsers(dest="command", required=True)
    from runtime import daemon

    daemon.add_arguments(sub.add_parser("daemon", help="run the engine"))
    args = parser.parse_args(argv)
    return daemon.run(args)


if __name__ == "__main__":
    sys.exit(main())
