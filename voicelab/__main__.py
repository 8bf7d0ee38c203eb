"""``python -m voicelab`` is the ``voicelab`` command."""

import sys

from voicelab.cli import main

sys.exit(main())
