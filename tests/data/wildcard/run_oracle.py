"""Feeds cases.jsonl ([pattern, value, case_insensitive]) to WildcardOracle (compiled into
$WO_CLASSES, default /tmp/wo) and prints one JSON boolean per case: expected.jsonl."""
import json, os, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
classes = os.environ.get("WO_CLASSES", "/tmp/wo")
cp = classes + ":/usr/share/java/lucene-core-8.7.0.jar"
cases = [json.loads(l) for l in open(os.path.join(HERE, "cases.jsonl"), encoding="utf-8") if l.strip()]
lines = "".join(
    f"{p.encode().hex()} {v.encode().hex()} {'ci' if ci else 'cs'}\n" for p, v, ci in cases
)
out = subprocess.run(["java", "-cp", cp, "WildcardOracle"], input=lines.encode(), capture_output=True, check=True)
for answer in out.stdout.decode().split():
    print(json.dumps(answer == "true"))
