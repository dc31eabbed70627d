import sys

from bootstrap.bootstrap import main

sys.exit(main())
