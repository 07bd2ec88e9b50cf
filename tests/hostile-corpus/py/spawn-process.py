# Starts a shell that outlives it: a background sleeper detached into its own session.
import json, subprocess, sys
subprocess.Popen(["/bin/sh", "-c", "sleep 300"], start_new_session=True)
subprocess.run(["/bin/sh", "-c", "echo spawned >&2"], check=True)
cases = json.load(sys.stdin)["cases"]
print(json.dumps([{"count": len(c)} for c in cases]))
