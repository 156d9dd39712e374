"""python -m improvise: the improvise command."""

import sys

try:
    from improvise.cli.main import main
except KeyboardInterrupt:  # Ctrl-C while the command loads
    print("improvise: interrupted", file=sys.stderr)
    sys.exit(130)

main()
