# Leaves files in the shared writable folders (/tmp, /var/tmp, /dev/shm, /run/lock) and a System V shared memory segment, hoping they outlive it; then answers.
import ctypes, json, sys
for folder in ("/tmp", "/var/tmp", "/dev/shm", "/run/lock"):
    try:
        with open(f"{folder}/__CANARY_TAG__", "w") as f:
            f.write("left behind")
    except OSError:
        pass
try:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.shmget(__CANARY_TAG_KEY__, 4096, 0o1000 | 0o666)  # IPC_CREAT
except OSError:
    pass
cases = json.load(sys.stdin)["cases"]
print(json.dumps([{"count": len(c)} for c in cases]))
