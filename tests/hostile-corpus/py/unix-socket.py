# Connects to unix sockets of the host that any user may use: one bound to a path in the temporary folder, one abstract.
import json, socket, sys
errors = []
for address in ("__CANARY_SOCKET__", "\0__CANARY_ABSTRACT_SOCKET__"):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(address)
        s.sendall(b"exfiltrated")
    except OSError as e:
        errors.append(f"{type(e).__name__}: {e}")
    finally:
        s.close()
if errors:
    raise OSError("; ".join(errors))
cases = json.load(sys.stdin)["cases"]
print(json.dumps([{"count": len(c)} for c in cases]))
