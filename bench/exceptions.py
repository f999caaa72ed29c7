#!/usr/bin/env python3
"""Counts the Throwables a Sluice constructed during a phase, from a JFR recording with jdk.JavaExceptionThrow.

usage: exceptions.py EVENTS T0_NS T1_NS TUNNELS
EVENTS is `TZ=UTC jfr print --stack-depth 32 --events jdk.JavaExceptionThrow REC.jfr` (the text form: the JSON
one is about thirty times larger, hundreds of MB for a bench's recording); T0_NS and T1_NS (Unix time in
nanoseconds) bound the phase, which made TUNNELS tunnels. Prints one JSON object: {"count", "tunnels",
"per_tunnel", "top": [{"class", "where", "n"}, ...], "summary"}, where `where` is the first frames below the
Throwable's making (the code that made it) and the first frame of Sluice's own code below them (within the printed
depth), most frequent first, and `summary` one line for a person.

jdk.JavaExceptionThrow is emitted by the instrumented Throwable constructor: it counts every construction,
thrown or not (a failed promise's cause, a pre-built exception made per call), which is what the rule "a normal
tunnel constructs none" is about. -Xlog:exceptions logs throws only, once per frame the exception unwinds.
One kind is counted apart, as "netty_close", not in "count": the StacklessClosedChannelException that Netty 4.2's
AbstractUnsafe.close() makes on every Channel.close(), used or not (two per tunnel: its two sockets). It has no
stack trace (fillInStackTrace is overridden: no stack walk, one small object), and no caller can avoid it short of
never closing a socket.
The text form gives startTime as UTC time of day to the millisecond: the window is widened to whole
milliseconds, and the day is T0's (or the next one, for a phase across midnight).
"""
import collections
import json
import re
import sys

DAY_MS = 86_400_000
NETTY_CLOSE = "io.netty.channel.StacklessClosedChannelException"
NETTY_CLOSE_AT = "io.netty.channel.AbstractChannel$AbstractUnsafe.close:"
FRAME = re.compile(r"^\s+([\w$.<>/]+)\.([\w$<>]+)\(.*?\)(?: line: (\d+))?")


def events(path):
    """(time of day in ms, thrown class, [(class, method, line)]) for each event of the text form."""
    ev = None
    with open(path) as f:
        for line in f:
            if line.startswith("jdk.JavaExceptionThrow {"):
                ev = {"frames": []}
            elif ev is None:
                continue
            elif line.startswith("}"):
                yield ev["tod"], ev["class"], ev["frames"]
                ev = None
            elif line.startswith("  startTime = "):
                h, m, s = line.split("=", 1)[1].strip().split()[0].split(":")
                ev["tod"] = (int(h) * 3600 + int(m) * 60) * 1000 + round(float(s) * 1000)
            elif line.startswith("  thrownClass = "):
                ev["class"] = line.split("=", 1)[1].split("(classLoader")[0].strip()
            elif (fm := FRAME.match(line)) and line.startswith("    "):
                ev["frames"].append((fm.group(1), fm.group(2), fm.group(3) or "?"))


def where(frames, thrown):
    """The first three frames below the Throwable's making: its constructors (and its superclasses'), and the
    thrown class's own methods (a static factory, as Netty's StacklessClosedChannelException.newInstance)."""
    i = 0
    while i < len(frames) and (frames[i][1] in ("<init>", "fillInStackTrace") or frames[i][0] == thrown):
        i += 1
    text = " < ".join(f"{c}.{m}:{n}" for c, m, n in frames[i:i + 3]) or "?"
    ours = next((f for f in frames[i + 3:] if f[0].startswith("dev.sluice.")), None)
    return text + (f" < … < {ours[0]}.{ours[1]}:{ours[2]}" if ours else "")


def main():
    path, t0, t1, tunnels = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    t0_ms, t1_ms = t0 // 1_000_000, -(-t1 // 1_000_000)
    day = t0_ms - t0_ms % DAY_MS
    seen = collections.Counter()
    netty_close = 0
    for tod, thrown, frames in events(path):
        t = day + tod
        if t < t0_ms - DAY_MS // 2:
            t += DAY_MS  # after midnight
        if t0_ms <= t <= t1_ms:
            at = where(frames, thrown)
            if thrown == NETTY_CLOSE and at.startswith(NETTY_CLOSE_AT):
                netty_close += 1
            else:
                seen[(thrown, at)] += 1
    top = [{"class": c, "where": w, "n": n} for (c, w), n in seen.most_common(10)]
    count = sum(seen.values())
    summary = (f"{count} Throwables constructed in {tunnels} normal tunnels ({count / tunnels:.2f} per tunnel; "
               f"JFR jdk.JavaExceptionThrow; besides {netty_close} stackless ones of Netty's Channel.close())"
               + (": " + "; ".join(f"{t['n']} × {t['class']} at {t['where']}" for t in top[:5]) if top else ""))
    json.dump({"count": count, "tunnels": tunnels, "per_tunnel": count / tunnels, "netty_close": netty_close,
               "netty_close_per_tunnel": netty_close / tunnels, "top": top, "summary": summary}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
