#!/usr/bin/env python3
"""Writes the string literals of tests/test-scenario-parse.c (adjacent literals
joined, BASE expanded) into fuzz/seeds/parse-NNN.scn, as fuzzing seeds. A
snippet without a `cluster` line is also written after the test's BASE text.
Run from the top of the source tree; the output is committed."""
import os
import re

SRC = 'tests/test-scenario-parse.c'
OUT = 'fuzz/seeds'
BASE = b"cluster masters=6 replicas=1\nend 40s\n"

src = open(SRC, encoding='utf-8', errors='surrogateescape').read()
src = re.sub(r'/\*.*?\*/', '', src, flags=re.S)
src = src.replace('BASE "', '"' + BASE.decode().replace('\n', '\\n'))
lit = r'"(?:[^"\\\n]|\\.)*"'
out = set()
for m in re.finditer(r'(%s(?:\s*%s)*)' % (lit, lit), src):
    raw = ''.join(p[1:-1] for p in re.findall(lit, m.group(1)))
    try:
        b = (bytes(raw, 'utf-8', 'surrogateescape').decode('unicode_escape')
             .encode('latin-1', 'replace'))
    except Exception:
        continue
    if (len(b) < 4 or b.startswith(b't.scn:') or b.startswith(b'/')
            or b'%s' in b or b'%d' in b or b'%zu' in b):
        continue
    out.add(b)
    if b'cluster' not in b:
        out.add(BASE + b + b'\n')
os.makedirs(OUT, exist_ok=True)
for i, b in enumerate(sorted(out)):
    with open(os.path.join(OUT, 'parse-%03d.scn' % i), 'wb') as f:
        f.write(b)
print('%d seeds in %s' % (len(out), OUT))
