# Looks for descriptors inherited from the sandbox's launcher (its control channel, files of the host) and writes a forged report into each; fails loudly if it found any.
import json, os, sys
found = []
for fd in range(3, 1024):
    try:
        os.fstat(fd)
    except OSError:
        continue
    found.append(fd)
    try:
        os.write(fd, b'{"code":0,"signal":null}\n{not json\n')
    except OSError:
        pass
if found:
    raise RuntimeError(f"inherited descriptors {found}")
cases = json.load(sys.stdin)["cases"]
print(json.dumps([{"count": len(c)} for c in cases]))
