import sys

from recap_desktop.cli import main

sys.exit(main())
