# Tries to write a file outside its folder, into a directory only root may write (the test's canary folder).
open("__CANARY_DIR__/pwned", "w").write("pwned")
print("[]")
