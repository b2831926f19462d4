#!/usr/bin/env python3
"""Preview latency of replacing a cover (issue 22): starts `gazette serve` on SITE, listens to
its event stream as a page does, then N times overwrites one entry's cover with another
entry's photo (so that exactly one image must be decoded, resized and encoded again) and
times each save until the `reload` event; for reference, as many body edits of the same
entry. Prints medians and the spread.

    benches/serve_cover.py SITE [N]      # GAZETTE_BIN: the binary (default target/release)

SITE needs entries with covers: `gen_corpus --entries 4016 --releases 40 --covers 200`.
The entry's cover and body are restored at the end.
"""
import os, re, shutil, socket, statistics, subprocess, sys, time, glob

site = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 5
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
binary = os.environ.get("GAZETTE_BIN", os.path.join(root, "target/release/gazette"))
covers = sorted(glob.glob(os.path.join(site, "content/releases/*/*/cover.jpg")))
assert len(covers) >= n + 1, "the site needs more entries with covers"
target = covers[0]
entry = os.path.dirname(target) + ".md"  # the entry beside its folder of files
assert os.path.exists(entry), entry
saved_cover, saved_entry = open(target, "rb").read(), open(entry).read()

server = subprocess.Popen([binary, "serve", "--port", "0", "--root", site],
                          stderr=subprocess.PIPE, text=True)
start = time.time()
addr = None
for line in server.stderr:
    m = re.search(r" at http://([^/]+)/", line)
    if m:
        addr = m.group(1)
        break
print(f"first build and start: {time.time() - start:.1f} s", file=sys.stderr)
host, port = addr.rsplit(":", 1)
events = socket.create_connection((host, int(port)))
events.settimeout(120)
events.sendall(f"GET /__gazette/events HTTP/1.1\r\nHost: {addr}\r\n\r\n".encode())
pending = b""

def wait_for(what):
    global pending
    while what not in pending:
        chunk = events.recv(4096)
        assert chunk, "event stream closed"
        pending += chunk
    pending = pending[pending.index(what) + len(what):]

wait_for(b"event: ok")
results = {}
try:
    for kind in ("cover replaced", "body edit"):
        ms = []
        for i in range(n):
            time.sleep(0.3)
            t = time.time()
            if kind == "cover replaced":
                # Copy then rename: the editor's tools save whole files.
                tmp = target + ".new"
                shutil.copyfile(covers[1 + i], tmp)
                os.replace(tmp, target)
            else:
                with open(entry, "w") as f:
                    f.write(saved_entry + f"\nEdit {i}.\n")
            wait_for(b"event: reload")
            ms.append((time.time() - t) * 1000)
        results[kind] = ms
finally:
    open(target, "wb").write(saved_cover)
    open(entry, "w").write(saved_entry)
    server.terminate()
for kind, ms in results.items():
    print(f"{kind}: median {statistics.median(ms):.0f} ms "
          f"(min {min(ms):.0f}, max {max(ms):.0f}, n = {len(ms)})")
