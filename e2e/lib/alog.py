#!/usr/bin/env python3
"""Queries Sluice's access log (one JSON object per line) for the end-to-end suite.

usage: alog.py count|show|attempts FILE SKIP [COND ...]

Only lines after the first SKIP lines are considered (so a case sees only the connections it made).
COND is KEY=VALUE (the field, rendered as text, equals VALUE; null is "null") or KEY~REGEX (re.search).
  count     prints how many lines match
  show      prints the matching lines
  attempts  prints the last match's attempts, one "via error" per line (error "null" when it worked)
A line that is not JSON is an error: the access log must never hold anything else.
"""
import json
import re
import sys


def text(value):
    if value is None:
        return "null"
    if isinstance(value, (list, dict)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def matches(entry, conds):
    for cond in conds:
        m = re.match(r"^([a-z_]+)([=~])(.*)$", cond, re.S)
        if not m:
            sys.exit("alog.py: bad condition %r" % cond)
        key, op, want = m.groups()
        have = text(entry.get(key))
        if op == "=" and have != want:
            return False
        if op == "~" and not re.search(want, have):
            return False
    return True


def main():
    if len(sys.argv) < 4 or sys.argv[1] not in ("count", "show", "attempts"):
        sys.exit(__doc__)
    what, path, skip, conds = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().split("\n")
    except FileNotFoundError:
        lines = []
    found = []
    for number, line in enumerate(lines, 1):
        if number <= skip or not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            if number == len(lines):  # being written right now: not a full line yet
                continue
            sys.exit("alog.py: %s:%d is not JSON: %r" % (path, number, line[:200]))
        if matches(entry, conds):
            found.append((line, entry))
    if what == "count":
        print(len(found))
    elif what == "show":
        for line, _ in found:
            print(line)
    else:
        if not found:
            sys.exit("alog.py: no matching line")
        for attempt in found[-1][1].get("attempts") or []:
            print("%s %s" % (attempt.get("via"), text(attempt.get("error"))))


if __name__ == "__main__":
    main()
