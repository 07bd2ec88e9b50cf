# Tries to read a root-only file outside its folder (the test's canary) and print it as the answer.
import json
secret = open("__CANARY_FILE__").read()
print(json.dumps([{"count": 0, "min": secret}]))
