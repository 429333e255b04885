"""expected.jsonl for texts.jsonl: what the Windows integration's pipeline (2.2.3) derives from
a 4104 script text, computed here from the definitions (Java-trim, signature cut, NFC, UTF-16
code units, Shannon entropy, standard deviation of surprisal) — independently of pstriage.
Run: python3 make_expected.py > expected.jsonl"""
import json, math, unicodedata

SIG = "# SIG # Begin signature block"

def stats(text):
    t = text
    while t and ord(t[0]) <= 32: t = t[1:]
    while t and ord(t[-1]) <= 32: t = t[:-1]
    at = t.find(SIG)
    if at >= 0 and len(t) > at + len(SIG): t = t[:at]
    if not t: return None
    nl = t.find("\n")
    if nl > 0:
        line = t[nl + 1:].split("\n")[0]
        if line.endswith("\r"): line = line[:-1]
        if line.startswith("#"):
            c = line[1:]
            if c.startswith(" "): c = c[1:]
            if len(c) == 64 and all(ch.isascii() and (ch.isalnum() or ch in "+/=") for ch in c):
                return None
    units = unicodedata.normalize("NFC", t).encode("utf-16-le")
    units = [units[i:i + 2] for i in range(0, len(units), 2)]
    n = len(units)
    if n == 0: return None
    counts = {}
    for u in units: counts[u] = counts.get(u, 0) + 1
    ps = [c / n for c in counts.values()]
    h = -sum(p * math.log2(p) for p in ps)
    var = sum(p * (-math.log2(p) - h) ** 2 for p in ps)
    norm = min(1.0, max(0.0, h / math.log2(n))) if n > 1 else 0.0
    return {"length": n, "unique_symbols": len(counts), "entropy_bits": h,
            "entropy_normalized": norm, "surprisal_stdev": math.sqrt(var)}

for line in open("texts.jsonl", encoding="utf-8"):
    if line.strip():
        print(json.dumps(stats(json.loads(line))))
