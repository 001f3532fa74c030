#!/usr/bin/env python3
"""Measures the rule pack's quality: recall on generated tokens, false positives on real code.

recall: for every rule, fresh random strings of the rule's own regex (generated from the regex
with Python's sre_parse after expanding the loader's regex macros, with GitHub/npm CRC32
checksums computed and pattern-pair companions placed nearby) are written into realistic files
(.env, YAML, JSON, properties, Dockerfile, shell, Python, JS, Go, Java, Markdown);
`secretgate scan --format json --no-store` must find each one. One more token per rule is
written base64-encoded as a Kubernetes Secret's `data:` value, which the engine must decode and
find (reported separately).

fp: `secretgate scan` over large trees of real code and docs that were not written with secrets
in mind (/usr/include, /usr/share/doc, /usr/lib/python3*, /usr/lib/node_modules,
/usr/share/nodejs, and the sources of a few npm packages if npm is available); every finding
there is counted as a false positive, per MB and per confidence, and listed by rule.

Every false positive is put in a category by where it was found (tests and examples,
documentation, source code and data), listed per rule with one location (never the match).

usage: bench/quality.py recall [--quick] [--rules DIR] [--bin PATH] [--results]
       bench/quality.py fp [--rules DIR] [--bin PATH] [--dirs D1,D2,...] [--results]
--results writes the run's summary into bench/RESULTS.md (sections quality_recall, quality_fp).
Exit status: recall exits 1 when a rule is never detected (or overall recall < 99%); fp exits 1
when high-confidence false positives exceed one per 50 MB.
"""
import argparse
import base64
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
import zlib

try:
    import re._parser as sre_parse  # Python >= 3.11
    import re._constants as sre_c
except ImportError:  # pragma: no cover
    import sre_parse
    import sre_constants as sre_c

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
PRINTABLE = [chr(c) for c in range(0x21, 0x7F)]


def b62(v, width=6):
    s = ""
    while True:
        s = B62[v % 62] + s
        v //= 62
        if v == 0:
            break
    return s.rjust(width, "0")


# What stands between a provider's name and its value in real files: the rest of a key name,
# then an assignment or a nested key (lazy repeats of the regex macros).
# The rest of a key name ({{ident}}) stays neutral: the rule's own key words (`key`, `id`)
# already follow it, and a pair's two rules differ only by them.
IDENT_CONNECTORS = ["", "_", ".", "-", "_prod_"]
NEAR_CONNECTORS = [" = ", ": ", "_KEY=", "_TOKEN: ", ".api_key = '", "\":\"", ":\n  api_key: ",
                   " token ", "_API_TOKEN=\"", "\n  token: ", " apiKey="]


class Gen:
    """Random strings matching a parsed regex (the subset secret rules use)."""

    def __init__(self, rng):
        self.rng = rng
        self.groups = {}

    def chars_in(self, items, negate, ignorecase):
        allowed = set()
        for op, av in items:
            if op == sre_c.LITERAL:
                allowed.add(chr(av))
            elif op == sre_c.RANGE:
                allowed.update(chr(c) for c in range(av[0], av[1] + 1))
            elif op == sre_c.CATEGORY:
                allowed.update(self.category(av))
            elif op == sre_c.NEGATE:
                negate = True
        if negate:
            allowed = set(PRINTABLE) - allowed
        allowed = [c for c in allowed if 0x20 <= ord(c) < 0x7F or c in "\n\t"]
        return sorted(allowed) or ["x"]

    @staticmethod
    def category(cat):
        name = str(cat)
        if "DIGIT" in name:
            return list("0123456789") if "NOT" not in name else list("abcXYZ-_")
        if "SPACE" in name:
            return [" "] if "NOT" not in name else list("abcXYZ019")
        if "WORD" in name:
            return list(B62 + "_") if "NOT" not in name else list(" -.,:/")
        return list(B62)

    def gen(self, parsed, ignorecase=False):
        out = []
        for op, av in parsed:
            out.append(self.one(op, av, ignorecase))
        return "".join(out)

    def one(self, op, av, ic):
        rng = self.rng
        if op == sre_c.LITERAL:
            return chr(av)
        if op == sre_c.NOT_LITERAL:
            return rng.choice([c for c in B62 if c != chr(av)])
        if op == sre_c.ANY:
            return rng.choice(B62)
        if op == sre_c.IN:
            return rng.choice(self.chars_in(av, False, ic))
        if op == sre_c.MIN_REPEAT:
            # A lazy repeat is the text between a key name and its value ({{ident}},
            # {{near}}): write what real files put there, as far as the class allows.
            lo, hi, sub = av
            hi = lo + 8 if hi == sre_c.MAXREPEAT else hi
            if len(sub) == 1 and sub[0][0] in (sre_c.IN, sre_c.ANY):
                cats = {str(a) for o, a in sub[0][1] if o == sre_c.CATEGORY} \
                    if sub[0][0] == sre_c.IN else set()
                if sub[0][0] == sre_c.ANY or any(c.replace("NOT_", "") in cats and
                                                 "NOT_" in c for c in cats):
                    allowed = set(PRINTABLE) | {" ", "\n"}  # [\s\S]: anything
                else:
                    allowed = set(self.chars_in(sub[0][1], False, ic))
                pool = NEAR_CONNECTORS if " " in allowed else IDENT_CONNECTORS
                fits = [c for c in pool if lo <= len(c) <= hi and all(ch in allowed for ch in c)]
                if fits:
                    return rng.choice(fits)
        if op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT, getattr(sre_c, "POSSESSIVE_REPEAT", None)):
            lo, hi, sub = av
            hi = lo + 8 if hi == sre_c.MAXREPEAT else hi
            n = rng.randint(lo, max(lo, min(hi, lo + 24)))
            return "".join(self.gen(sub, ic) for _ in range(n))
        if op == sre_c.SUBPATTERN:
            gid, add_flags, _, sub = av
            s = self.gen(sub, ic or bool(add_flags & sre_c.SRE_FLAG_IGNORECASE))
            if gid:
                self.groups[gid] = s
            return s
        if op == sre_c.BRANCH:
            return self.gen(rng.choice(av[1]), ic)
        if op in (sre_c.AT, sre_c.ASSERT, sre_c.ASSERT_NOT):
            return ""
        if op == sre_c.GROUPREF:
            return self.groups.get(av, "")
        if op == getattr(sre_c, "ATOMIC_GROUP", None):
            return self.gen(av, ic)
        raise ValueError(f"unsupported regex construct {op}")


def fix_checksum(secret, validator):
    if validator in ("github-crc32", "npm-crc32") and len(secret) >= 36:
        body = secret[:-6]
        rnd = body[-30:]
        return body + b62(zlib.crc32(rnd.encode()))
    return secret


def generate(rule, rng, tries=200):
    """A string matching the rule's regex whose secret group passes the rule's filters."""
    pattern = rule["regex"]
    flags = 0
    parsed = sre_parse.parse(pattern, flags)
    for _ in range(tries):
        g = Gen(rng)
        s = g.gen(parsed)
        grp = rule.get("secret_group", 1 if parsed.state.groups > 1 else 0)
        secret = g.groups.get(grp, s) if grp else s
        if rule.get("validator"):
            fixed = fix_checksum(secret, rule["validator"])
            s = s.replace(secret, fixed, 1)
            secret = fixed
        if not re.search(pattern, s):
            continue
        if entropy(secret) < rule.get("entropy", 0):
            continue
        low = secret.lower()
        if any(w.lower() in low for w in rule.get("allowlist", {}).get("stopwords", [])):
            continue
        return s, secret
    return None


def entropy(s):
    import math
    if not s:
        return 0
    counts = {}
    for ch in s.encode():
        counts[ch] = counts.get(ch, 0) + 1
    return -sum(c / len(s) * math.log2(c / len(s)) for c in counts.values())


K8S_SECRET = ("apiVersion: v1\nkind: Secret\nmetadata:\n  name: service-credentials\n"
              "type: Opaque\ndata:\n  value: {value}\n")

TEMPLATES = [
    (".env", "# service settings\nAPP_ENV=production\nSECRET_VALUE={v}\nLOG_LEVEL=info\n"),
    ("config.yaml", "service:\n  name: billing\n  credentials:\n    value: \"{v}\"\n  port: 8080\n"),
    ("settings.json", "{{\n  \"name\": \"billing\",\n  \"value\": \"{v}\",\n  \"port\": 8080\n}}\n"),
    ("app.properties", "app.name=billing\nservice.value={v}\nserver.port=8080\n"),
    ("Dockerfile", "FROM debian:12\nENV SERVICE_VALUE=\"{v}\"\nCMD [\"/app\"]\n"),
    ("deploy.sh", "#!/bin/sh\nset -e\nexport SERVICE_VALUE='{v}'\n./deploy --prod\n"),
    ("settings.py", "import os\n\nDEBUG = False\nSERVICE_VALUE = \"{v}\"\n"),
    ("client.js", "const client = new Client({{\n  value: '{v}',\n  retries: 3,\n}});\n"),
    ("main.go", "package main\n\nconst serviceValue = \"{v}\"\n\nfunc main() {{}}\n"),
    ("Config.java", "class Config {{\n  static final String VALUE = \"{v}\";\n}}\n"),
    ("NOTES.md", "# Setup\n\nUse this value:\n\n```\n{v}\n```\n"),
]


def place(rule, s, secret, i, rng):
    """A realistic file holding `s` in which the rule's regex still finds `secret`.

    Templates are tried in turn from a per-token starting point; a rule whose context does not
    fit a template (a command-line flag cannot sit inside a JSON string) uses the next one, and
    a token alone on a line is the last resort. A keyword the token itself lacks is put in a
    comment above it, as a key name or a comment would be in real files."""
    keywords = rule.get("keywords", [])
    header = ""
    if keywords and not any(k.lower() in s.lower() for k in keywords):
        header = f"# {keywords[0]}\n"
    order = TEMPLATES[i % len(TEMPLATES):] + TEMPLATES[:i % len(TEMPLATES)]
    for name, templ in order + [("token.txt", "{v}\n")]:
        body = header + templ.format(v=s)
        for m in re.finditer(rule["regex"], body):
            grp = rule.get("secret_group", 1 if m.re.groups else 0)
            if m.group(grp) == secret:
                return name, body
    return None


def regex_macros():
    """The loader's regex macros ({{ident}}, {{sep}}, {{kv}}, {{near}}), read from
    src/rules/loader.cc so that there is one definition of each."""
    with open(os.path.join(ROOT, "src", "rules", "loader.cc")) as f:
        src = f.read()
    ident = re.search(r'kIdentMacro = R"\((.*?)\)";', src).group(1)
    sep = re.search(r'kSepMacro =\s*R"\((.*?)\)";', src, re.S).group(1)
    near = re.search(r'kNearMacro = R"\((.*?)\)";', src).group(1)
    keyword = re.search(r'kKeyWordMacro = R"\((.*?)\)";', src).group(1)
    return {"ident": ident, "sep": sep, "kv": ident + sep, "near": near,
            "key": near + keyword + ident + sep}


def expand_macros(regex, macros):
    return re.sub(r"\{\{(\w+)\}\}", lambda m: macros[m.group(1)], regex)


def load_rules(rules_dir):
    rules = []
    macros = regex_macros()
    for name in sorted(os.listdir(rules_dir)):
        if name.endswith(".toml"):
            with open(os.path.join(rules_dir, name), "rb") as f:
                for r in tomllib.load(f).get("rules", []):
                    r["_file"] = name
                    r["regex"] = expand_macros(r["regex"], macros)
                    rules.append(r)
    return rules


def run_scan(binary, rules_dir, path):
    cp = subprocess.run([binary, "scan", "--no-store", "--format", "json", "--rules", rules_dir, path],
                        capture_output=True, text=True)
    if cp.returncode not in (0, 1):
        sys.exit(f"secretgate scan failed ({cp.returncode}): {cp.stderr}")
    return json.loads(cp.stdout)["findings"]


def recall(args):
    rng = random.Random(args.seed)
    rules = {r["id"]: r for r in load_rules(args.rules)}
    per_rule = 3 if args.quick else 20
    work = tempfile.mkdtemp(prefix="secretgate-recall-")
    planted = {}  # path -> rule id
    encoded = {}  # path -> rule id, for the base64-encoded tokens
    unsupported = []
    try:
        for rid, rule in rules.items():
            comp = rule.get("requires", {}).get("rule")
            for i in range(per_rule):
                try:
                    gen = generate(rule, rng)
                except (ValueError, re.error) as e:
                    unsupported.append((rid, str(e)))
                    break
                placed = place(rule, gen[0], gen[1], i + len(rid), rng) if gen else None
                if placed is None:
                    unsupported.append((rid, "could not generate a matching token"))
                    break
                name, body = placed
                if comp and comp in rules:
                    c = generate(rules[comp], rng)
                    if c:
                        # The companion goes on the line just above the token, as a key id
                        # sits above its secret in real config files.
                        at = body.find(gen[0])
                        line_start = body.rfind("\n", 0, at) + 1
                        body = body[:line_start] + c[0] + "\n" + body[line_start:]
                path = os.path.join(work, rid, f"{i}-{name}")
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "w") as f:
                    f.write(body)
                planted[os.path.relpath(path, work)] = rid
            # The same format base64-encoded as a Kubernetes Secret's data value (with its
            # companion, for a pattern pair): the engine decodes it and must find it there.
            gen = generate(rule, rng)
            if gen:
                text = gen[0]
                if comp and comp in rules:
                    c = generate(rules[comp], rng)
                    if c:
                        text = c[0] + "\n" + text
                value = base64.b64encode(text.encode()).decode()
                path = os.path.join(work, "k8s", f"{rid}.yaml")
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "w") as f:
                    f.write(K8S_SECRET.format(value=value))
                encoded[os.path.relpath(path, work)] = rid
        findings = run_scan(args.bin, args.rules, work)
        found, found_encoded = {}, {}
        for f in findings:
            if planted.get(f["path"]) == f["rule_id"]:
                found[f["path"]] = True
            if encoded.get(f["path"]) == f["rule_id"] and f.get("encoding") == "base64":
                found_encoded[f["path"]] = True
        if args.show_misses:
            for path, rid in sorted(planted.items()):
                if path not in found:
                    with open(os.path.join(work, path)) as fh:
                        print(f"--- missed {rid}: {path}\n{fh.read()}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    by_rule = {}
    for path, rid in planted.items():
        hit, total = by_rule.get(rid, (0, 0))
        by_rule[rid] = (hit + (path in found), total + 1)
    total = sum(t for _, t in by_rule.values())
    hits = sum(h for h, _ in by_rule.values())
    missed = [(rid, h, t) for rid, (h, t) in sorted(by_rule.items()) if h < t]
    never = [rid for rid, h, t in missed if h == 0]
    print(f"recall: {hits}/{total} = {100.0 * hits / max(total, 1):.2f}% over {len(by_rule)} rules "
          f"({per_rule} tokens each)")
    enc_hits = len(found_encoded)
    enc_missed = sorted(rid for p, rid in encoded.items() if p not in found_encoded)
    print(f"recall, base64 in a Kubernetes Secret: {enc_hits}/{len(encoded)} = "
          f"{100.0 * enc_hits / max(len(encoded), 1):.2f}% (one token per rule)")
    if enc_missed:
        print("  base64 missed: " + ", ".join(enc_missed[:40]) +
              (f" and {len(enc_missed) - 40} more" if len(enc_missed) > 40 else ""))
    for rid, h, t in missed:
        print(f"  partial: {rid}: {h}/{t}")
    for rid, why in unsupported:
        print(f"  not generated: {rid}: {why}")
    ok = not never and hits >= 0.99 * total and not unsupported
    print("PASS" if ok else "FAIL", "(target: every rule detected, >= 99% overall)")
    if args.results:
        body = [f"- Date: {now()}; commit {commit()}; binary {args.bin}; rules {args.rules}",
                f"- Corpus: {per_rule} fresh random tokens per rule (seed {args.seed}), each placed in a"
                " realistic file (.env, YAML, JSON, properties, Dockerfile, shell, Python, JS, Go, Java,"
                " Markdown), pattern-pair companions on the line above; `secretgate scan --no-store`",
                "",
                f"Recall: **{hits}/{total} = {100.0 * hits / max(total, 1):.2f}%** over {len(by_rule)} rules;"
                f" rules never detected: {len(never)}; rules partly detected: {len(missed) - len(never)};"
                f" rules whose format could not be generated: {len(unsupported)}."
                f" Target: every rule detected and at least 99% overall: **{'PASS' if ok else 'FAIL'}**.",
                "",
                f"The same formats base64-encoded as a Kubernetes Secret's `data:` value (one token per"
                f" rule, decoded by the engine, reported with `encoding: base64`): **{enc_hits}/"
                f"{len(encoded)} = {100.0 * enc_hits / max(len(encoded), 1):.2f}%**"
                + (f"; missed: {', '.join(enc_missed)}" if enc_missed else "") + "."]
        body += [f"- partly detected: {rid}: {h}/{t}" for rid, h, t in missed]
        write_section("quality_recall", "6. Rule pack recall (bench/quality.py recall)", "\n".join(body))
    return 0 if ok else 1


def npm_sources():
    """Sources of a few widely used npm packages, installed once under /tmp."""
    d = "/tmp/secretgate-fp-npm"
    if os.path.isdir(os.path.join(d, "node_modules")):
        return os.path.join(d, "node_modules")
    if not shutil.which("npm"):
        return None
    os.makedirs(d, exist_ok=True)
    cp = subprocess.run(["npm", "install", "--silent", "--prefix", d, "lodash", "express", "react",
                         "typescript", "webpack", "axios", "moment"], capture_output=True, text=True)
    return os.path.join(d, "node_modules") if cp.returncode == 0 else None


def tree_bytes(path, max_size=10 << 20):
    """Bytes of the text files under `path` that secretgate scans: binary files (a NUL byte in
    the first 8000 bytes, as git decides) and files over max_blob_size are skipped by the
    scanner and are not counted, so that the rate per MB is per MB of text."""
    total = 0
    for root, dirs, files in os.walk(path):
        dirs[:] = [x for x in dirs if x != ".git"]
        for f in files:
            p = os.path.join(root, f)
            try:
                if os.path.islink(p):
                    continue
                size = os.path.getsize(p)
                if size > max_size:
                    continue
                with open(p, "rb") as fh:
                    if b"\0" in fh.read(8000):
                        continue
                total += size
            except OSError:
                pass
    return total


def category(path):
    """Where a false positive was found, from its path."""
    p = path.lower()
    if re.search(r"(^|/)(tests?|testing|spec|specs|fixtures?|examples?|samples?|demos?|mocks?)(/|$)|"
                 r"(^|/|_)test_|_test\.|\.test\.|example", p):
        return "tests and examples"
    if re.search(r"(^|/)(docs?|man|html|info)(/|$)|\.(md|rst|txt|html?|texi|info|[1-9]|gz|pdf)$|"
                 r"readme|changelog|news|copyright", p):
        return "documentation"
    return "source code and data"


def fp(args):
    rules = {r["id"]: r for r in load_rules(args.rules)}
    dirs = args.dirs.split(",") if args.dirs else [
        "/usr/include", "/usr/share/doc", "/usr/lib/python3", "/usr/lib/python3.11",
        "/usr/lib/node_modules", "/usr/share/nodejs"]
    if not args.dirs:
        npm = npm_sources()
        if npm:
            dirs.append(npm)
    total_mb = 0.0
    by_conf = {"high": 0, "medium": 0, "low": 0}
    by_rule = {}
    by_cat = {}
    examples = {}
    scanned = []
    for d in dirs:
        if not os.path.isdir(d):
            continue
        mb = tree_bytes(d) / 1e6
        t0 = time.time()
        findings = run_scan(args.bin, args.rules, d)
        dt = time.time() - t0
        total_mb += mb
        print(f"{d}: {mb:.1f} MB, {len(findings)} findings, {dt:.1f}s")
        scanned.append((d, mb, len(findings), dt))
        for f in findings:
            conf = rules.get(f["rule_id"], {}).get("confidence", "low")
            cat = category(f["path"] or "")
            by_conf[conf] += 1
            key = (f["rule_id"], conf, cat)
            by_rule[key] = by_rule.get(key, 0) + 1
            by_cat[cat] = by_cat.get(cat, 0) + 1
            examples.setdefault(key, f"{d}/{f['path']}:{f['start_line']}")
    print(f"\nscanned {total_mb:.1f} MB")
    for conf, n in by_conf.items():
        print(f"  {conf:6} confidence: {n} findings, {n / max(total_mb, 1e-9) * 50:.2f} per 50 MB")
    for cat, n in sorted(by_cat.items(), key=lambda x: -x[1]):
        print(f"  {cat}: {n} findings")
    for (rid, conf, cat), n in sorted(by_rule.items(), key=lambda x: -x[1]):
        print(f"  {rid} ({conf}, {cat}): {n}  e.g. {examples[(rid, conf, cat)]}")
    ok = by_conf["high"] <= total_mb / 50.0
    print("PASS" if ok else "FAIL", "(target: at most 1 high-confidence false positive per 50 MB)")
    if args.results:
        body = [f"- Date: {now()}; commit {commit()}; binary {args.bin}; rules {args.rules}",
                "- Every finding in these trees is counted as a false positive (none of them holds a"
                " live credential); `secretgate scan --no-store` of each tree",
                "",
                "| tree | MB | findings | scan s |", "|---|---|---|---|"]
        body += [f"| {d} | {mb:.1f} | {n} | {dt:.1f} |" for d, mb, n, dt in scanned]
        body += ["", f"Scanned {total_mb:.1f} MB. Per 50 MB: "
                 + ", ".join(f"{c} confidence {n / max(total_mb, 1e-9) * 50:.2f}" for c, n in by_conf.items())
                 + f". Target: at most 1 high-confidence false positive per 50 MB: **{'PASS' if ok else 'FAIL'}**.",
                 "", "| rule | confidence | category | findings | one location |", "|---|---|---|---|---|"]
        body += [f"| {rid} | {conf} | {cat} | {n} | {examples[(rid, conf, cat)]} |"
                 for (rid, conf, cat), n in sorted(by_rule.items(), key=lambda x: -x[1])]
        write_section("quality_fp", "7. Rule pack false positives (bench/quality.py fp)", "\n".join(body))
    return 0 if ok else 1


def now():
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())


def commit():
    return subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True).stdout.strip() or "?"


def write_section(name, title, body):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import sgbench
    sgbench.update_results(name, title, body)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=["recall", "fp"])
    ap.add_argument("--rules", default=os.path.join(ROOT, "rules"))
    ap.add_argument("--bin", default=os.environ.get("SECRETGATE_BIN", os.path.join(ROOT, "build", "secretgate")))
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--show-misses", action="store_true")
    ap.add_argument("--dirs")
    ap.add_argument("--results", action="store_true", help="write the summary into bench/RESULTS.md")
    ap.add_argument("--seed", type=int, default=int(os.environ.get("SEED", "12345")))
    args = ap.parse_args()
    sys.exit(recall(args) if args.mode == "recall" else fp(args))


if __name__ == "__main__":
    main()
