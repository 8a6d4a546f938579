from needlelog.cli import main

raise SystemExit(main())
