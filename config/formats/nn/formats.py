# Nynorsk writes dates and numbers as bokmål does: 31.05.2020, 1 234,50 (no-break space).
from config.formats.nb.formats import *  # noqa: F403
