#!/usr/bin/env python3
"""Preview latency of replacing a cover (issue 22): starts `gazette serve` on SITE, listens to
its event stream as a page does, then N times overwrites one entry's cover and times each save
until the `reload` event, in three ways, alternating:

  * "cover replaced (bytes seen)": another entry's photo, whose thumbnails and crop the cache
    already holds (no encoding: what is left is finding and rendering what shows it);
  * "cover replaced (new bytes)": another entry's photo with a JPEG comment added that no
    file had, so the cache has nothing for it: it is decoded, resized and encoded again
    (thumbnails and the Open Graph crop), as after an editor's new photo;
  * "body edit" of the same entry, for reference.

Then the encoding alone: a one-entry site with the corpus's site.toml and theme and one such
new photo as its cover, built with an empty image cache (GAZETTE_TRACE=1): its `images` phase
(the thumbnails) plus its `open graph crops` phase (the crop), medians of N. Prints medians
and the spread.

    benches/serve_cover.py SITE [N]      # GAZETTE_BIN: the binary (default target/release)

SITE needs entries with covers: `gen_corpus --entries 4016 --releases 40 --covers 200`.
The entry's cover and body are restored at the end.
"""
import os, re, shutil, socket, statistics, subprocess, sys, tempfile, time, glob

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
stamp = f"{os.getpid()}-{time.time_ns()}"


def new_photo(i):
    """Cover i + 1 with a JPEG comment (COM segment) after its SOI marker: the same pixels,
    bytes no file had."""
    data = open(covers[1 + i % (len(covers) - 1)], "rb").read()
    assert data[:2] == b"\xff\xd8"
    text = f"gazette bench {stamp} {i}".encode()
    com = b"\xff\xfe" + (len(text) + 2).to_bytes(2, "big") + text
    return data[:2] + com + data[2:]


def save(path, data):
    # Write then rename: the editor's tools save whole files.
    tmp = path + ".new"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


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
kinds = ("cover replaced (bytes seen)", "cover replaced (new bytes)", "body edit")
results = {k: [] for k in kinds}
try:
    for i in range(n):
        for kind in kinds:
            time.sleep(0.3)
            t = time.time()
            if kind == "cover replaced (bytes seen)":
                save(target, open(covers[1 + i % (len(covers) - 1)], "rb").read())
            elif kind == "cover replaced (new bytes)":
                data = new_photo(i)
                t = time.time()
                save(target, data)
            else:
                with open(entry, "w") as f:
                    f.write(saved_entry + f"\nEdit {i}.\n")
            wait_for(b"event: reload")
            results[kind].append((time.time() - t) * 1000)
finally:
    open(target, "wb").write(saved_cover)
    open(entry, "w").write(saved_entry)
    server.terminate()
    server.wait()

# The encoding alone: a one-entry site, an empty cache each time.
encode = []
with tempfile.TemporaryDirectory() as tmp:
    one = os.path.join(tmp, "site")
    rel = os.path.relpath(entry, os.path.join(site, "content"))
    os.makedirs(os.path.join(one, "content", os.path.dirname(rel)))
    shutil.copy(os.path.join(site, "site.toml"), one)
    shutil.copytree(os.path.join(site, "themes"), os.path.join(one, "themes"))
    release = os.path.dirname(entry)
    for f in os.listdir(release):
        if f.startswith("_release"):
            shutil.copy(os.path.join(release, f), os.path.join(one, "content", os.path.dirname(rel)))
    # The entry without its link to another entry (alone in its site).
    text = re.sub(r"\[([^\]]*)\]\(@/[^)]*\)", r"\1", saved_entry)
    open(os.path.join(one, "content", rel), "w").write(text)
    folder = os.path.join(one, "content", rel[:-3])
    shutil.copytree(os.path.dirname(target), folder)
    for i in range(n):
        open(os.path.join(folder, "cover.jpg"), "wb").write(new_photo(1000 + i))
        shutil.rmtree(os.path.join(one, ".gazette-cache"), ignore_errors=True)
        out = subprocess.run([binary, "build", "--root", one], capture_output=True, text=True,
                             env={**os.environ, "GAZETTE_TRACE": "1"})
        assert out.returncode == 0, out.stderr
        phases = dict((p, float(ms)) for p, ms in
                      re.findall(r"(images|open graph crops) ([0-9.]+)", out.stderr))
        encode.append(phases["images"] + phases["open graph crops"])
results["encoding alone (thumbnails + crop)"] = encode

for kind, ms in results.items():
    print(f"{kind}: median {statistics.median(ms):.0f} ms "
          f"(min {min(ms):.0f}, max {max(ms):.0f}, n = {len(ms)})")
