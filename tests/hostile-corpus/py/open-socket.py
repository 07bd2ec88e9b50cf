# Tries to connect to a local listener (the test's canary port) and send it data.
import json, socket
s = socket.create_connection(("127.0.0.1", __CANARY_PORT__), timeout=2)
s.sendall(b"exfiltrated")
print(json.dumps([]))
