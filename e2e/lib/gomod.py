#!/usr/bin/env python3
"""Writes a Go module proxy layout for one module version and prints its h1: hash.

usage: gomod.py ROOT MODULE VERSION

Creates ROOT/MODULE/@v/{list, VERSION.info, VERSION.mod, VERSION.zip} (the GOPROXY protocol) and prints the
module zip's hash exactly as `go mod download -json` reports it in "Sum", computed independently of Go:
golang.org/x/mod/sumdb/dirhash.Hash1 = "h1:" + base64(sha256(lines "<sha256 hex>  <path in zip>\\n", sorted by path)).
"""
import base64
import hashlib
import json
import os
import sys
import zipfile


def h1(files):
    """files: {path in zip: bytes}. Returns the dirhash Hash1 string."""
    summary = hashlib.sha256()
    for name in sorted(files):  # Go sorts the names as byte strings; these are ASCII
        if "\n" in name:
            raise ValueError("file name with a newline: %r" % name)
        summary.update(("%s  %s\n" % (hashlib.sha256(files[name]).hexdigest(), name)).encode())
    return "h1:" + base64.b64encode(summary.digest()).decode()


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    root, module, version = sys.argv[1:]
    go_mod = ("module %s\n\ngo 1.19\n" % module).encode()
    prefix = "%s@%s/" % (module, version)
    files = {
        prefix + "go.mod": go_mod,
        prefix + "hello.go": (
            "// Package hello is served by the Sluice end-to-end suite's fake module proxy.\n"
            "package hello\n\n"
            "// Greeting says who delivered it.\n"
            "func Greeting() string { return \"hello through sluice\" }\n").encode(),
        prefix + "README": b"A module made up at test time: if you can read this, the tunnel worked.\n",
        prefix + "data/blob.bin": os.urandom(64 * 1024),  # some incompressible bytes, fresh every run
    }
    vdir = os.path.join(root, module, "@v")
    os.makedirs(vdir, exist_ok=True)
    with open(os.path.join(vdir, "list"), "w") as f:
        f.write(version + "\n")
    with open(os.path.join(vdir, version + ".info"), "w") as f:
        json.dump({"Version": version, "Time": "2024-01-02T03:04:05Z"}, f)
    with open(os.path.join(vdir, version + ".mod"), "wb") as f:
        f.write(go_mod)
    with zipfile.ZipFile(os.path.join(vdir, version + ".zip"), "w", zipfile.ZIP_DEFLATED) as z:
        for name in sorted(files):
            z.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 2, 3, 4, 5)), files[name])
    print(h1(files))


if __name__ == "__main__":
    main()
