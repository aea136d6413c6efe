"""``cfdopt check CASE``: validate the case file and print the resolved configuration."""

from cfdopt.config import format_config

WRITES_RESULTS = False
HELP = "validate a case file and print the resolved configuration"


def run(args, cfg) -> int:
    print(format_config(cfg))
    return 0
