"""Builds rule-cases.jsonl: events for the 12 per-event ES|QL rules in rules/, each with the
outcome Elasticsearch would give, worked out here from the query's steps with every regex
`replace` answered by java.util.regex (shared/tools/java-regex/regex) — never by pstriage.

Run from this directory: python3 make_rule_cases.py > rule-cases.jsonl
Each line: {"rule": file stem, "case": what it checks, "doc": the event, "fires": bool,
"columns": the Esql.* columns the alert carries (only when it fires)}.
"""
import json
import os
import subprocess
import sys

TOOL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../../shared/tools/java-regex/regex")
FIRE = "\U0001F525"


def java(calls):
    """Runs [(pattern, text, replacement)] through Java; returns (replaced, length) each."""
    lines = "".join(json.dumps({"pattern": p, "text": t, "replacement": r}) + "\n" for p, t, r in calls)
    out = subprocess.run([TOOL], input=lines.encode(), capture_output=True, check=True).stdout.decode()
    return [(o["replaced"], o["length"]) for o in map(json.loads, out.splitlines())]


def replace(pattern, text, replacement):
    return java([(pattern, text, replacement)])[0]


def length(s):
    return len(s)  # code points: Python's str length (Java's tool reports the same)


def count_of(pattern, text):
    """The rules' idiom: tmp = replace(text, pattern, 🔥); count = length(tmp) - length(tmp without 🔥)."""
    tmp, tmp_len = replace(pattern, text, FIRE)
    _, stripped_len = replace(FIRE, tmp, "")
    return tmp, tmp_len - stripped_len


def like(value, pattern):
    """ES|QL LIKE (documented): * any run, ? one character, \\ escapes; whole value, case-sensitive."""
    import re
    rx, i = "", 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            rx += re.escape(pattern[i + 1])
            i += 2
            continue
        rx += ".*" if c == "*" else "." if c == "?" else re.escape(c)
        i += 1
    return re.fullmatch(rx, value, re.S) is not None


def doc(text, **extra):
    d = {
        "@timestamp": "2025-02-03T04:05:06.000Z",
        "event": {"code": "4104", "category": ["process"]},
        "host": {"name": "ws-01", "os": {"type": "windows"}},
        "powershell": {"file": {"script_block_id": "sb-1", "script_block_text": text}},
    }
    for k, v in extra.items():
        if k == "file_name":
            d.setdefault("file", {})["name"] = v
        elif k == "file_directory":
            d.setdefault("file", {})["directory"] = v
        elif k == "unique_symbols":
            d["powershell"]["file"]["script_block_unique_symbols"] = v
        elif k == "code":
            d["event"]["code"] = v
    return d


def pad(text, total, filler=" x"):
    """`text` padded with `filler` to exactly `total` code points."""
    out = text
    while len(out) < total:
        out += filler
    return out[:total]


CASES = []


def case(rule, what, d, fires, columns=None):
    CASES.append({"rule": rule, "case": what, "doc": d, "fires": fires, "columns": columns if fires else {}})


def counting_rule(rule, pattern, threshold, texts, min_len=None, extra_check=None):
    """Rules of the shape: [length > min_len] → tmp/count → count >= threshold."""
    for what, text, kw in texts:
        d = doc(text, **kw)
        cols = {}
        ok = d["event"]["code"] == "4104"
        if ok and min_len is not None:
            cols["Esql.script_block_length"] = length(text)
            ok = length(text) > min_len
        if ok:
            tmp, n = count_of(pattern, text)
            cols["Esql.script_block_tmp"] = tmp
            cols["Esql.script_block_pattern_count"] = n
            ok = n >= threshold
        if ok and extra_check is not None:
            ok = extra_check(d)
        case(rule, what, d, ok, cols)


def main():
    bt = r"[A-Za-z0-9_-]`(?![rntb]|\r|\n|\d)[A-Za-z0-9_-]"
    twenty = " ".join(["a`xc"] * 20)
    def backtick_excl(d):
        name = d.get("file", {}).get("name")
        directory = d.get("file", {}).get("directory")
        text = d["powershell"]["file"]["script_block_text"]
        return (
            like(text, "*`*")
            and (name is None or not like(name, "TSS_*.psm1"))
            and not like(text, "*$([char]0x1b)]633*")
            and (directory is None or directory != "C:\\Program Files\\MVPSI\\JAMS\\Agent\\Temp")
        )
    counting_rule("backtick", bt, 20, [
        ("20 escapes that escape nothing", twenty, {}),
        ("19 are one short", " ".join(["a`xc"] * 19), {}),
        ("`n `t `b `r and `1 are real escapes", " ".join(["a`nc", "a`tc", "a`bc", "a`rc", "a`1c"] * 5), {}),
        ("a TSS_ module is excluded", twenty, {"file_name": "TSS_Network.psm1"}),
        ("another file name is not", twenty, {"file_name": "Tools.psm1"}),
        ("the JAMS temp directory is excluded", twenty, {"file_directory": "C:\\Program Files\\MVPSI\\JAMS\\Agent\\Temp"}),
        ("VS Code's shell integration is excluded", twenty + " $([char]0x1b)]633;A", {}),
        ("not a 4104 event", twenty, {"code": "4103"}),
    ], extra_check=backtick_excl)

    counting_rule("backtick_var", r"\$\{(\w++`){2,}\w++\}", 1, [
        ("a broken variable name in 501 characters", pad("${e`n`v} ", 501), {}),
        ("500 characters are not over 500", pad("${e`n`v} ", 500), {}),
        ("a scope prefix breaks the pattern", pad("${e`n`v:x} ", 600), {}),
        ("one backtick is not two", pad("${e`nv} ", 700), {}),
    ], min_len=500)

    counting_rule("char_arrays", r"(char\[\]\]\(\d+,\d+[^)]+|(\s?\(\[char\]\d+\s?\)\+){2,})", 1, [
        ("a char[] cast of codes", "[char[]](73,69,88) -join ''", {}),
        ("a chain of [char]N", "([char]73)+([char]69)+([char]88)", {}),
        ("Char with a capital C: the word matches, the pattern does not", "[Char[]](73,69,88) -join ''", {}),
        ("no char at all", "Write-Output 'hello'", {}),
    ], extra_check=lambda d: "char" in [t.lower() for t in __import__("re").split(r"[^A-Za-z0-9_-]+", d["powershell"]["file"]["script_block_text"]) if t])

    counting_rule("concat_dynamic", r"""[.&]\(\s*(['"][A-Za-z0-9.-]+['"]\s*\+\s*)+['"][A-Za-z0-9.-]+['"]\s*\)""", 1, [
        ("&('I'+'EX')", "&('I'+'EX') $x", {}),
        ("&( 'Invoke' + '-Expression' )", "&( 'Invoke' + '-Expression' )", {}),
        ("a space between . and ( does not match", ". ( 'Invoke' + '-Expression' )", {}),
        ("one piece only", "&('IEX') + 1", {}),
    ], extra_check=lambda d: like(d["powershell"]["file"]["script_block_text"], "*+*"))

    counting_rule("iex_env_vars_reconstruction",
        r"""(?i)(\$(?:\w+|\w+\:\w+)\[\d++\]\+\$(?:\w+|\w+\:\w+)\[\d++\]\+['"]x['"]|\$(?:\w+\:\w+)\[\d++,\d++,\d++\]|\.name\[\d++,\d++,\d++\])""", 1, [
        ("$env:comspec[4,15,25]", pad("& ($env:comspec[4,15,25]-Join'') ", 600), {}),
        ("$PSHOME[21]+$PSHOME[30]+'X' in any case", pad("& ($pshome[21]+$PSHOME[30]+'X') ", 600), {}),
        ("too short", "& ($env:comspec[4,15,25]-Join'')", {}),
        ("an ordinary index", pad("$a[1] ", 600), {}),
    ], min_len=500)

    def maester(d):
        directory = d.get("file", {}).get("directory")
        return directory is None or not (
            like(directory, "C:\\\\Program Files\\\\WindowsPowerShell\\\\Modules\\\\Maester\\\\1.1.0*")
            or like(directory, "C:\\\\Users\\\\*\\\\Documents\\\\WindowsPowerShell\\\\Modules\\\\Maester\\\\1.1.0*"))
    counting_rule("iex_string_reconstruction",
        r"""(?i)['"]['"].(Insert|Normalize|Chars|substring|Remove|LastIndexOfAny|LastIndexOf|IsNormalized|IndexOfAny|IndexOf)[^\[]+\[\d+,\d+,\d+\]""", 1, [
        ("''.Insert…[3,2,1]", pad("& (''.Insert(0,'x')[3,2,1] -join '') ", 600), {}),
        ("the Maester module is excluded", pad("& (''.Insert(0,'x')[3,2,1] -join '') ", 600),
         {"file_directory": "C:\\Program Files\\WindowsPowerShell\\Modules\\Maester\\1.1.0\\public"}),
        ("a user's Maester copy is excluded", pad("& (''.Insert(0,'x')[3,2,1] -join '') ", 600),
         {"file_directory": "C:\\Users\\jo\\Documents\\WindowsPowerShell\\Modules\\Maester\\1.1.0"}),
        ("another module is not", pad("& (''.Insert(0,'x')[3,2,1] -join '') ", 600),
         {"file_directory": "C:\\Program Files\\WindowsPowerShell\\Modules\\Other"}),
    ], min_len=500, extra_check=maester)

    def reversal_excl(d):
        name = d.get("file", {}).get("name")
        text = d["powershell"]["file"]["script_block_text"]
        return not like(text, "*GENESIS-5654*") and (
            name is None or not any(like(name, p) for p in ("PSFzf.psm1", "Tenable_API_AssetLists_IPv6Seeder.ps1", "Utility.ps1")))
    counting_rule("index_reversal", r"\$\w+\[\-\s?1\.\.", 1, [
        ("$s[-1..", pad("$s[-1..-($s.Length)] -join '' ", 600), {}),
        ("$s[- 1.. with one space", pad("$s[- 1..0] ", 600), {}),
        ("Utility.ps1 is excluded", pad("$s[-1..-($s.Length)] ", 600), {"file_name": "Utility.ps1"}),
        ("GENESIS-5654 is excluded", pad("$s[-1..0] GENESIS-5654 ", 600), {}),
        ("too short", "$s[-1..0]", {}),
    ], min_len=500, extra_check=reversal_excl)

    rk = r"(?i)(rahc|metsys|stekcos|tcejboimw|ecalper|ecnerferpe|noitcennoc|nioj|eman\.|:vne$|gnirts|tcejbo-wen|_23niw|noisserpxe|ekovni|daolnwod)"
    words = "rahc metsys stekcos tcejboimw ecalper ecnerferpe noitcennoc nioj eman vne gnirts tcejbo-wen _23niw noisserpxe ekovni daolnwod".split()
    def has_word(d):
        import re
        toks = [t.lower() for t in re.split(r"[^A-Za-z0-9_-]+", d["powershell"]["file"]["script_block_text"]) if t]
        return any(w in toks for w in words)
    counting_rule("reverse_keyword", rk, 2, [
        ("two reversed words", "'rahc' + 'METSYS'", {}),
        ("one is not enough", "'rahc'", {}),
        (":vne at the very end counts", "'rahc' :vne", {}),
        (":vne before a final newline counts (Java's $)", "'rahc' :vne\n", {}),
        (":vne before a final CRLF counts", "'rahc' :vne\r\n", {}),
        (":vne in the middle does not", "'rahc' :vne x", {}),
        ("reversed words inside longer tokens: no word match", "xrahcx ymetsysy", {}),
    ], extra_check=has_word)

    counting_rule("string_concat", r"""['"][A-Za-z0-9.]+['"](\s?\+\s?['"][A-Za-z0-9.,\-\s]+['"]){2,}""", 2, [
        ("two runs of three pieces", pad("'Vir'+'tual'+'Alloc' ; \"Cre\" + \"ate\" + \"Thread\" ", 600), {}),
        ("one run", pad("'Vir'+'tual'+'Alloc' ", 600), {}),
        ("two pieces are not a run", pad("'a'+'b' ; 'c'+'d' ", 600), {}),
    ], min_len=500)

    def format_excl(d):
        directory = d.get("file", {}).get("directory")
        t = d["powershell"]["file"]["script_block_text"]
        if not like(t, "*{0}*"):
            return False
        if directory is not None and directory == "C:\\Program Files\\WindowsPowerShell\\Modules\\icinga-powershell-framework\\cache":
            return False
        if like(t, "*GitBranchStatus*") and like(t, "*$s.BranchBehindStatusSymbol.Text*"):
            return False
        if (like(t, "*sentinelbreakpoints*") or like(t, "*:::::\\\\windows\\\\sentinel*")) and (
                like(t, "*$local:Bypassed*") or like(t, "*origPSExecutionPolicyPreference*")):
            return False
        return True
    five = " ; ".join(["\"{0}{1}\" -f 'a','b'"] * 5)
    counting_rule("string_format", r"""((\{\d+\}){2,}["']\s?-f|::Format[^\{]+(\{\d+\}){2,})""", 5, [
        ("five reorderings", pad(five + " ", 600), {}),
        ("four", pad(" ; ".join(["\"{0}{1}\" -f 'a','b'"] * 4) + " ", 600), {}),
        ("five without a {0}", pad(" ; ".join(["\"{1}{2}\" -f 'a','b'"] * 5) + " ", 600), {}),
        ("the Icinga cache is excluded", pad(five + " ", 600),
         {"file_directory": "C:\\Program Files\\WindowsPowerShell\\Modules\\icinga-powershell-framework\\cache"}),
        ("a git prompt is excluded", pad(five + " GitBranchStatus $s.BranchBehindStatusSymbol.Text ", 600), {}),
        ("a git prompt word alone is not", pad(five + " GitBranchStatus ", 600), {}),
    ], min_len=500, extra_check=format_excl)

    # High numeric proportion: length > 1000, digits / length > 0.5, exclusions.
    for what, text, kw in [
        ("501 digits in 1001", "1" * 501 + "a" * 500, {}),
        ("exactly half is not more than half", "1" * 501 + "a" * 501, {}),
        ("1000 characters are not over 1000", "1" * 1000, {}),
        ("Defender's downloads are excluded", "1" * 900 + "a" * 200,
         {"file_directory": "C:\\ProgramData\\Microsoft\\Windows Defender Advanced Threat Protection\\Downloads"}),
        ("SentinelOne is excluded", "1" * 900 + "a" * 200,
         {"file_directory": "C:\\Program Files\\SentinelOne\\Sentinel Agent 23.1"}),
        ("the Java updater id is excluded", "1" * 900 + " 26a24ae4-039d-4ca4-87b4-2f64180311f0 " + "a" * 10, {}),
    ]:
        d = doc(text, **kw)
        n_len = length(text)
        cols = {"Esql.script_block_length": n_len}
        ok = n_len > 1000
        if ok:
            tmp, _ = replace("[0-9]", text, FIRE)
            _, stripped = replace(FIRE, tmp, "")
            n = n_len - stripped
            ratio = n / n_len
            cols.update({"Esql.script_block_tmp": tmp, "Esql.script_block_pattern_count": n, "Esql.script_block_ratio": ratio})
            directory = d.get("file", {}).get("directory")
            excluded_dir = directory is not None and (
                directory == "C:\\ProgramData\\Microsoft\\Windows Defender Advanced Threat Protection\\Downloads"
                or like(directory, "C:\\\\ProgramData\\\\Microsoft\\\\Windows Defender Advanced Threat Protection\\\\DataCollection*")
                or like(directory, "C:\\\\Program Files\\\\SentinelOne\\\\Sentinel Agent*"))
            ok = ratio > 0.5 and not excluded_dir and not like(
                text, "*[System.IO.File]::Open('C:\\\\ProgramData\\\\Microsoft\\\\Windows Defender Advanced Threat Protection\\\\DataCollection*"
            ) and "26a24ae4-039d-4ca4-87b4-2f64180311f0" not in text.lower()
        case("high_number_proportion", what, d, ok, cols)

    # Special characters: unique_symbols < 50; collapse "\n\s+"; length > 1000; ratio >= 0.75.
    special = r"""[\s\$\{\}\+\@\=\(\)\^\\\"~\[\]\?\./%#\`\'\;\-\!\*]"""
    for what, text, kw in [
        ("900 specials in 1200", "$" * 900 + "a" * 300, {"unique_symbols": 12}),
        ("899 specials in 1200 fall short of three quarters", "$" * 899 + "a" * 301, {"unique_symbols": 12}),
        ("50 distinct symbols are not fewer than 50", "$" * 900 + "a" * 300, {"unique_symbols": 50}),
        ("without the pipeline's unique_symbols field the rule cannot fire", "$" * 900 + "a" * 300, {}),
        ("indentation after newlines is collapsed first", "a\n" + " " * 1500 + "b" * 10, {"unique_symbols": 5}),
    ]:
        d = doc(text, **kw)
        cols = {}
        u = kw.get("unique_symbols")
        ok = u is not None and u < 50
        if ok:
            t1, l1 = replace(r"\n\s+", text, "\n ")
            cols["Esql.script_block_length"] = l1
            ok = l1 > 1000
            if ok:
                tmp, _ = replace(special, t1, FIRE)
                _, stripped = replace(FIRE, tmp, "")
                n = l1 - stripped
                cols.update({"Esql.script_block_tmp": tmp, "Esql.script_block_count": n, "Esql.script_block_ratio": n / l1})
                ok = n / l1 >= 0.75
        case("whitespace_special_proportion", what, d, ok, cols)

    for c in CASES:
        print(json.dumps(c, ensure_ascii=False))


if __name__ == "__main__":
    main()
