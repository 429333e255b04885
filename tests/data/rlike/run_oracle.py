"""Feeds cases.jsonl ([pattern, value]) to RegexpOracle (compiled into $RO_CLASSES, default
/tmp/ro) and prints one JSON answer per case (true, false or "error"): expected.jsonl."""
import json, os, subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
classes = os.environ.get("RO_CLASSES", "/tmp/ro")
cp = classes + ":/usr/share/java/lucene-core-8.7.0.jar"
cases = [json.loads(l) for l in open(os.path.join(HERE, "cases.jsonl"), encoding="utf-8") if l.strip()]
lines = "".join(f"{p.encode().hex()} {v.encode().hex()}\n" for p, v in cases)
out = subprocess.run(["java", "-cp", cp, "RegexpOracle"], input=lines.encode(), capture_output=True, check=True)
for answer in out.stdout.decode().split():
    print(json.dumps(answer if answer == "error" else answer == "true"))
