import os
import sys

from needlelog.cli import EXIT_INTERRUPTED, main

code = main()
if code == EXIT_INTERRUPTED:
    # Interrupted: everything of ours is already stopped and cleaned up (the workers joined, the
    # half-written files removed) and the line printed. End now, as a Ctrl-C asks, without the
    # interpreter's own teardown, which the interrupt could still reach (once seen: killed by the
    # signal after printing "interrupted", exit -2 instead of 130).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
raise SystemExit(code)
