"""Entry script of the PyInstaller bundle (app.spec): runs ``needlelog.cli:main``.

A script, not ``python -m needlelog``: PyInstaller freezes a file, and ``freeze_support``
must run first so that the seeding worker processes ("spawn") started by the frozen
executable run the worker instead of the command line again.
"""

import multiprocessing

multiprocessing.freeze_support()

from needlelog.cli import main  # noqa: E402  (after freeze_support, on purpose)

raise SystemExit(main())
