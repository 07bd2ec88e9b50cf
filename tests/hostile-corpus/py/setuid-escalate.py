# Runs the setuid-root binaries it can find (su waits for a password; mount lists mounts) and checks whether one got effective uid 0; fails loudly if so.
import json, os, subprocess, sys
escalated = []
for path in ("/usr/bin/su", "/bin/su", "/usr/bin/mount", "/bin/mount"):
    try:
        st = os.stat(path)
    except OSError:
        continue
    if not (st.st_mode & 0o4000 and st.st_uid == 0):
        continue
    p = subprocess.Popen([path], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # Popen returns once the exec is done, and the child is not reaped before wait(): its status is readable now.
    with open(f"/proc/{p.pid}/status") as f:
        uids = next(line for line in f if line.startswith("Uid:")).split()[1:]
    if uids[1] == "0" and uids[0] != "0":
        escalated.append(f"{path} ran with uids {uids}")
    p.kill()
    p.wait()
if escalated:
    raise RuntimeError("; ".join(escalated))
cases = json.load(sys.stdin)["cases"]
print(json.dumps([{"count": len(c)} for c in cases]))
