#!/usr/bin/env python3
"""Turns bench/run's raw figures (one JSON line per measurement) into table.md, results.json and chart.png.

usage: report.py --raw RAW.jsonl --out DIR [--meta key=value ...]
Each figure is the median over the runs, with min-max; run 0 (the warm-up) is ignored. The table goes to stdout too.
When the raw figures hold the path sluice-baseline (bench/run --baseline JAR), it gets its own column, bars and the
ratio sluice ÷ baseline. With the meta mode=strace (bench/run --strace) the table is the syscall comparison of the
strace -c summaries in the meta strace_dir instead.
"""
import argparse
import json
import os
import statistics
import sys
import textwrap

PATHS = ["direct", "sluice", "redsocks"]
BASELINE = "sluice-baseline"
GB = 1e9
BULK = ["bulk_down_1", "bulk_down_16", "bulk_up_1", "bulk_up_16"]
SETUP = ["latency", "rate_8", "rate_64"]  # short tunnels: their CPU over their count is the CPU per tunnel
COLD_BULK = ["cold_down", "cold_up"]  # a fresh gateway's first bytes relayed, after its first tunnels
OPEN_RATES = [300, 1000]  # bench/run's open-loop rates (tunnels started per second)

# key, label, unit, higher is better, target for sluice: (text, check(sluice, direct, redsocks) -> bool or None)
FIGURES = [
    ("bulk_down_1", "bulk down, 1 stream", "Gbit/s", True),
    ("bulk_down_16", "bulk down, 16 streams", "Gbit/s", True),
    ("bulk_up_1", "bulk up, 1 stream", "Gbit/s", True),
    ("bulk_up_16", "bulk up, 16 streams", "Gbit/s", True),
    ("cpu_per_gb", "gateway CPU per GB relayed", "CPU s/GB", False),
    ("cpu_per_gb_cold", "gateway CPU per GB relayed, cold: the first COLD_BYTES after start", "CPU s/GB", False),
    ("cpu_per_tunnel", "gateway CPU per tunnel", "CPU µs", False),
    ("cpu_per_tunnel_cold", "gateway CPU per tunnel, cold: the first COLD_N tunnels after start", "CPU µs", False),
    ("setup_p50", "tunnel setup p50", "ms", False),
    ("setup_p99", "tunnel setup p99", "ms", False),
    *[(f"setup_{q}_{r}", f"setup {q} at {r}/s", "ms", False) for r in OPEN_RATES for q in ("p50", "p99")],
    ("rate_8", "tunnels/s, 8 clients", "1/s", True),
    ("rate_64", "tunnels/s, 64 clients", "1/s", True),
    ("exceptions", "exceptions per tunnel", "constructed Throwables", False),
    ("rss_idle", "gateway RSS idle", "MiB", False),
    ("rss_open", "gateway RSS with N idle tunnels", "MiB", False),
    ("rss_diff", "RSS for N idle tunnels (difference)", "MiB", False),
    ("rss_per_tunnel", "RSS per idle tunnel", "KiB", False),
    ("ready", "start to READY=1", "ms", False),
]


# Each check gets the medians of the row (sluice, direct, redsocks) and w, sluice's medians of every figure.
def ratio_ok(lo):
    return lambda s, d, r, w: None if s is None or d is None else s >= lo * d


def of_redsocks(hi):
    return lambda s, d, r, w: None if s is None or r is None else s <= hi * r


def at_most(limit):
    return lambda s, d, r, w: None if s is None else s <= limit


TARGETS = {
    **{k: ("≥ 0.95 × direct", ratio_ok(0.95)) for k in BULK},
    "cpu_per_gb": ("≤ 0.7 × redsocks", of_redsocks(0.7)),
    "cpu_per_gb_cold": ("≤ 1.3 × sluice's warm CPU per GB",
                        lambda s, d, r, w: None if s is None or w.get("cpu_per_gb") is None
                        else s <= 1.3 * w["cpu_per_gb"]),
    "cpu_per_tunnel": ("≤ 1.0 × redsocks", of_redsocks(1.0)),
    "cpu_per_tunnel_cold": ("≤ 1.3 × redsocks (cold)", of_redsocks(1.3)),
    **{f"setup_p50_{r}": ("≤ direct + 0.3 ms", lambda s, d, r, w: None if s is None or d is None else s <= d + 0.3)
       for r in OPEN_RATES},
    **{f"setup_p99_{r}": ("≤ 1.0 × redsocks", of_redsocks(1.0)) for r in OPEN_RATES},
    "rate_64": ("≥ 0.9 × direct and ≥ 1.5 × redsocks",
                lambda s, d, r, w: None if None in (s, d, r) else s >= 0.9 * d and s >= 1.5 * r),
    "setup_p99": ("≤ direct + 1 ms", lambda s, d, r, w: None if s is None or d is None else s <= d + 1.0),
    "exceptions": ("0", at_most(0)),
    "rss_idle": ("≤ 48 MiB", at_most(48)),
    "rss_diff": ("≤ 32 MiB", at_most(32)),
    "rss_per_tunnel": ("≤ 4 KiB", at_most(4)),
    "ready": ("≤ 0.4 s", at_most(400)),
}


def values(raw, paths):
    """{figure: {path: [one value per run]}} from the raw lines."""
    v = {k: {p: [] for p in paths} for k, *_ in FIGURES}
    cpu = {}  # (run, path) -> [cpu seconds, bytes]
    tun = {}  # (run, path) -> [cpu seconds, tunnels] of the short-tunnel measurements
    cold = {}  # (run, path) -> [cpu seconds, bytes] of a fresh gateway's first bytes
    for m in raw:
        run, path, fig, d = m["run"], m["path"], m["fig"], m["data"]
        if run == 0 or m["rc"] != 0 or not d:
            continue
        if fig in BULK:
            v[fig][path].append(d["gbit_s"])
            if "cpu_s" in d:
                c = cpu.setdefault((run, path), [0.0, 0])
                c[0] += d["cpu_s"]
                c[1] += d["bytes"]
        elif fig == "latency":
            v["setup_p50"][path].append(d["p50_ms"])
            v["setup_p99"][path].append(d["p99_ms"])
        elif fig in ("rate_8", "rate_64"):
            v[fig][path].append(d["per_s"])
        elif fig == "idle":
            v["rss_idle"][path].append(d["rss_idle_kib"] / 1024)
            v["rss_open"][path].append(d["rss_open_kib"] / 1024)
            v["rss_diff"][path].append((d["rss_open_kib"] - d["rss_idle_kib"]) / 1024)
            v["rss_per_tunnel"][path].append((d["rss_open_kib"] - d["rss_idle_kib"]) / d["n"])
        elif fig == "ready":
            v["ready"][path].append(d["ready_ms"])
        elif fig.startswith("open_"):
            v[f"setup_p50_{fig[5:]}"][path].append(d["p50_ms"])
            v[f"setup_p99_{fig[5:]}"][path].append(d["p99_ms"])
        elif fig == "cold_tunnels" and "cpu_s" in d and d["tunnels"]:
            v["cpu_per_tunnel_cold"][path].append(d["cpu_s"] * 1e6 / d["tunnels"])
        elif fig in COLD_BULK and "cpu_s" in d:
            c = cold.setdefault((run, path), [0.0, 0])
            c[0] += d["cpu_s"]
            c[1] += d["bytes"]
        elif fig == "exceptions":
            v["exceptions"][path].append(d["per_tunnel"])
        if fig in SETUP and "cpu_s" in d:
            t = tun.setdefault((run, path), [0.0, 0])
            t[0] += d["cpu_s"]
            t[1] += d["tunnels"]
    for (run, path), (secs, nbytes) in sorted(cpu.items()):
        if nbytes:
            v["cpu_per_gb"][path].append(secs / (nbytes / GB))
    for (run, path), (secs, nbytes) in sorted(cold.items()):
        if nbytes:
            v["cpu_per_gb_cold"][path].append(secs / (nbytes / GB))
    for (run, path), (secs, tunnels) in sorted(tun.items()):
        if tunnels:
            v["cpu_per_tunnel"][path].append(secs * 1e6 / tunnels)
    return v


def stats(xs):
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs), "n": len(xs), "values": xs} if xs else None


def num(x):
    a = abs(x)
    return f"{x:.0f}" if a >= 100 else f"{x:.1f}" if a >= 10 else f"{x:.2f}" if a >= 0.995 else f"{x:.3f}"


def cell(s):
    if s is None:
        return "n/a"
    if s["n"] == 1:
        return num(s["median"])
    return f"{num(s['median'])} ({num(s['min'])}–{num(s['max'])})"


def ratio(a, b):
    return f"{a['median'] / b['median']:.2f}×" if a and b and b["median"] else "—"


def idle_n(meta):
    n, nr = meta.get("idle_n", "N"), meta.get("idle_n_redsocks", meta.get("idle_n", "N"))
    return f"{n} idle" if n == nr else f"idle ({n} sluice, {nr} redsocks)"


def label_of(label, meta):
    cb = int(meta.get("cold_bytes", 0) or 0)
    cold_bytes = "GiB" if cb == 2**30 else f"{cb / 2**20:g} MiB"
    return (label.replace("N idle", idle_n(meta)).replace("COLD_N", meta.get("cold_n", "N"))
            .replace("COLD_BYTES", cold_bytes))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--raw", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--meta", nargs="*", default=[])
    a = ap.parse_args()
    meta = dict(kv.split("=", 1) for kv in a.meta)
    with open(a.raw) as f:
        raw = [json.loads(line) for line in f if line.strip()]
    if meta.get("mode") == "strace":
        return strace_report(raw, meta, a.out)
    base = any(m["path"] == BASELINE for m in raw)
    paths = ["direct", "sluice", BASELINE, "redsocks"] if base else PATHS
    v = values(raw, paths)
    summary, rows = {}, []
    warm = {k: stats(v[k]["sluice"])["median"] if v[k]["sluice"] else None for k, *_ in FIGURES}
    for key, label, unit, _ in FIGURES:
        s = {p: stats(v[key][p]) for p in paths}
        med = {p: s[p]["median"] if s[p] else None for p in paths}
        text, check = TARGETS.get(key, ("—", None))
        verdict = check(med["sluice"], med["direct"], med["redsocks"], warm) if check else None
        result = "—" if check is None else "n/a" if verdict is None else "pass" if verdict else "**miss**"
        label = label_of(label, meta)
        summary[key] = {"label": label, "unit": unit, "target": text if check else None,
                        "result": None if verdict is None else ("pass" if verdict else "miss"), **s}
        if base:
            r = s["sluice"]["median"] / s[BASELINE]["median"] if s["sluice"] and s[BASELINE] and s[BASELINE]["median"] else None
            summary[key]["sluice_vs_baseline"] = r
        rows.append(f"| {label} ({unit}) | {cell(s['direct'])} | {cell(s['sluice'])} "
                    + (f"| {cell(s[BASELINE])} " if base else "")
                    + f"| {cell(s['redsocks'])} "
                    f"| {ratio(s['sluice'], s['direct'])} | {ratio(s['redsocks'], s['direct'])} "
                    f"| {ratio(s['sluice'], s['redsocks'])} "
                    + (f"| {ratio(s['sluice'], s[BASELINE])} " if base else "")
                    + f"| {text} | {result} |")

    bulk = int(meta.get("bulk_bytes", 0))
    lines = [
        f"# Sluice benchmark, {meta.get('utc', '?')} ({meta.get('mode', '?')} run)",
        "",
        f"- {meta.get('runs', '?')} run(s); each cell is the median (min–max) over the runs; the "
        f"{'four' if base else 'three'} paths are measured interleaved in every run, each run starting with another path",
        *([f"- sluice-baseline: the sluice path under the same conditions (launcher, JVM flags, configuration, "
           f"interleaving) with the `--baseline` jar, {meta.get('sluice_baseline', '?')}: "
           f"`{meta.get('baseline_jar', '?')}`; sluice: `{meta.get('jar', '?')}`. "
           "`sluice ÷ baseline` is the after ÷ before of each figure"] if base else []),
        f"- Sluice JVM flags (`SLUICE_JAVA_OPTS`): `{meta.get('java_opts', '?')}`",
        f"- {meta.get('sluice', '?')}; {meta.get('java', '?')}; {meta.get('redsocks', '?')} (`type = http-connect`, `splice` {meta.get('redsocks_splice', '?')})",
        f"- machine: {meta.get('cpus', '?')}, Linux {meta.get('kernel', '?')}; load average before the run "
        f"{meta.get('loadavg', '?')}; wall time {meta.get('wall_s', '?')} s",
        f"- bulk: fixed bytes, {bulk / 2**30:g} GiB per measurement (16 streams: {bulk / 16 / 2**20:g} MiB each)"
        f"{', every byte checked' if meta.get('verify') == '1' else ', byte counts checked'}; "
        f"setup latency: {meta.get('latency_n', '?')} sequential tunnels; tunnels/s: {meta.get('rate_secs', '?')} s "
        f"per measurement; memory: {idle_n(meta)} tunnels",
        f"- open loop: tunnels started on a fixed schedule at {' and '.join(f'{r}/s' for r in OPEN_RATES)} for "
        f"{meta.get('open_secs', '?')} s each, set-up time from the scheduled start (no coordinated omission); "
        f"cold: a fresh gateway every run, its first {meta.get('cold_n', '?')} tunnels (64 clients), then its first "
        f"{label_of('COLD_BYTES', meta)} relayed; exceptions: {meta.get('exc_n', '?')} normal tunnels through a "
        "fresh Sluice with a JFR recording (jdk.JavaExceptionThrow: every Throwable constructed)",
        *(["- `--profile`: async-profiler ran in the main Sluice during run 1 (flame-setup.html, flame-bulk.html, "
           "top-frames.txt): its figures carry the profiler's cost"] if meta.get("profile") == "1" else []),
        "- direct has no gateway process: its CPU and memory are n/a. Targets are for sluice, on the medians",
        *([f"- redsocks splices through two pipes per tunnel (six descriptors per tunnel): under the 20 000 "
           f"descriptor limit it holds about 3 300 tunnels, so its memory is measured with "
           f"{meta.get('idle_n_redsocks')}"] if meta.get("idle_n_redsocks", meta.get("idle_n")) != meta.get("idle_n") else []),
        "",
        "| figure | direct | sluice " + ("| sluice-baseline " if base else "") + "| redsocks | sluice ÷ direct "
        "| redsocks ÷ direct | sluice ÷ redsocks " + ("| sluice ÷ baseline " if base else "") + "| target (sluice) | result |",
        "|---|---|---|---|---|---|---|---|---|" + ("---|---|" if base else ""),
        *rows,
    ]
    failures = [f for f in meta.get("failures", "").splitlines() if f.strip()]
    if failures:
        lines += ["", "**Failures** (the figures above leave these measurements out):", ""] + [f"- {f}" for f in failures]
    table = "\n".join(lines) + "\n"
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "table.md"), "w") as f:
        f.write(table)
    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump({"meta": meta, "figures": summary, "raw": raw}, f, indent=1)
    chart(summary, meta, paths, os.path.join(a.out, "chart.png"))
    sys.stdout.write(table)


def strace_counts(path):
    """{syscall: calls} from a strace -c summary."""
    calls, rows = {}, False
    with open(path) as f:
        for line in f:
            w = line.split()
            if line.startswith("------"):
                rows = not rows if not calls else False
                continue
            if rows and len(w) >= 5 and w[-1] != "total":
                calls[w[-1]] = calls.get(w[-1], 0) + int(w[3])
    return calls


def strace_report(raw, meta, out):
    """bench/run --strace: syscalls per tunnel and per MiB, sluice vs redsocks, from the strace -c summaries."""
    d, tunnels, mib = meta["strace_dir"], int(meta["strace_tunnels"]), int(meta["strace_mib"])
    counts, lines = {}, [
        f"# Sluice benchmark, {meta.get('utc', '?')} (strace run)", "",
        f"- `strace -c -f` attached to each gateway process (all its threads) for {tunnels} tunnels (8 clients) and "
        f"for {mib} MiB relayed (half down, half up, one stream each); only these phases run, after a short warm-up",
        "- strace stops every syscall: the counts are exact, the timings are not (strace-*.txt hold both)",
        f"- Sluice JVM flags: `{meta.get('java_opts', '?')}`; {meta.get('sluice', '?')}; {meta.get('redsocks', '?')}",
        f"- machine: {meta.get('cpus', '?')}, Linux {meta.get('kernel', '?')}", ""]
    for kind, per, unit in (("tunnels", tunnels, "tunnel"), ("bulk", mib, "MiB")):
        c = {p: strace_counts(os.path.join(d, f"strace-{p}-{kind}.txt"))
             if os.path.exists(os.path.join(d, f"strace-{p}-{kind}.txt")) else {} for p in ("sluice", "redsocks")}
        counts[kind] = c
        names = sorted(set(c["sluice"]) | set(c["redsocks"]), key=lambda n: -max(c["sluice"].get(n, 0),
                                                                                  c["redsocks"].get(n, 0)))
        lines += [f"## syscalls per {unit} ({'top 15, ' if len(names) > 15 else ''}by the larger of the two)", "",
                  f"| syscall | sluice calls per {unit} | redsocks calls per {unit} | sluice ÷ redsocks |",
                  "|---|---|---|---|"]
        for n in names[:15] + ["(all)"]:
            sl = sum(c["sluice"].values()) if n == "(all)" else c["sluice"].get(n, 0)
            rs = sum(c["redsocks"].values()) if n == "(all)" else c["redsocks"].get(n, 0)
            lines.append(f"| {n} | {num(sl / per) if sl else '0'} | {num(rs / per) if rs else '0'} "
                         f"| {f'{sl / rs:.2f}×' if rs else '—'} |")
        lines.append("")
    failures = [f for f in meta.get("failures", "").splitlines() if f.strip()]
    if failures:
        lines += ["**Failures**:", ""] + [f"- {f}" for f in failures]
    table = "\n".join(lines) + "\n"
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "table.md"), "w") as f:
        f.write(table)
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump({"meta": meta, "strace": counts, "raw": raw}, f, indent=1)
    sys.stdout.write(table)


def chart(summary, meta, all_paths, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    colors = {"direct": "#7f7f7f", "sluice": "#1f77b4", BASELINE: "#9ecae1", "redsocks": "#ff7f0e"}
    fig, axes = plt.subplots(5, 5, figsize=(20, 16))
    for ax, (key, s) in zip(axes.flat, summary.items()):
        paths = [p for p in all_paths if s[p]]
        med = [s[p]["median"] for p in paths]
        err = [[s[p]["median"] - s[p]["min"] for p in paths], [s[p]["max"] - s[p]["median"] for p in paths]]
        ax.bar(paths, med, yerr=err, capsize=4, color=[colors[p] for p in paths])
        for i, p in enumerate(paths):
            ax.annotate(num(med[i]), (i, med[i]), ha="center", va="bottom", fontsize=8,
                        xytext=(0, 2), textcoords="offset points")
        title = "\n".join(textwrap.wrap(s["label"], 52))  # the cold rows' labels are long
        base = "direct" if s["direct"] else "redsocks"
        notes = [f"sluice ÷ {base} {ratio(s['sluice'], s[base])}"] if s["sluice"] and s[base] else []
        if s.get(BASELINE) and s["sluice"]:
            title += f" (sluice ÷ baseline {ratio(s['sluice'], s[BASELINE])})"
        if s["result"]:
            notes.append(f"target {s['target']}: {s['result']}")
        title += "\n" + "; ".join(notes)
        ax.set_title(title, fontsize=9, color="black" if s["result"] != "miss" else "#c00000")
        ax.set_ylabel(s["unit"], fontsize=8)
        ax.tick_params(labelsize=8)
    for ax in list(axes.flat)[len(summary):]:
        ax.axis("off")
    fig.suptitle(f"Sluice benchmark {meta.get('utc', '')} ({meta.get('mode', '')}, {meta.get('runs', '?')} runs, "
                 f"median and min–max) — JVM: {meta.get('java_opts', '')}\nmemory: {idle_n(meta)} tunnels"
                 + (f"; sluice-baseline: {meta.get('baseline_jar', '?')}" if BASELINE in all_paths else ""),
                 fontsize=11)
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    fig.savefig(path, dpi=90)


if __name__ == "__main__":
    main()
