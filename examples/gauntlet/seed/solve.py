# Reads {"cases": [[numbers], ...]} on stdin; prints one summary per case as a JSON list.
import json
import sys


def summarize(values):
    values = sorted(values)
    n = len(values)
    return {
        "count": n,
        "min": values[0],
        "max": values[-1],
        "mean": sum(values) / n,
        "median": values[n // 2],
    }


def main():
    cases = json.load(sys.stdin)["cases"]
    print(json.dumps([summarize(c) for c in cases]))


main()
