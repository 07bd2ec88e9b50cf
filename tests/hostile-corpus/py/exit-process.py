# Exits at once with an error code, and tries to take its parent down with it.
import os, signal
try:
    os.kill(os.getppid(), signal.SIGKILL)
except OSError:
    pass
os._exit(3)
