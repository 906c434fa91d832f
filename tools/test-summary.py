#!/usr/bin/env python3
"""Prints one summary of `make test`: cargo's and Playwright's counts, then a closing line
`total: N passed, N failed, N skipped`. Exits non-zero when anything failed or nothing ran."""

import json
import pathlib
import re
import sys

logs = pathlib.Path(sys.argv[1])
cargo = {"passed": 0, "failed": 0, "skipped": 0}
log = (logs / "cargo-test.log").read_text(errors="replace")
for m in re.finditer(r"test result: \w+\. (\d+) passed; (\d+) failed; (\d+) ignored", log):
    cargo["passed"] += int(m[1]); cargo["failed"] += int(m[2]); cargo["skipped"] += int(m[3])
# A test that could not run (no corpus, no models) returns early, so cargo counts it as passed;
# it says so with a `SKIPPED: why` line (ips_core::testing::skip), counted here as skipped.
skipped = re.findall(r"^SKIPPED: .*$", log, re.M)
cargo["passed"] -= len(skipped); cargo["skipped"] += len(skipped)
for line in skipped:
    print(line)

e2e = {"passed": 0, "failed": 0, "skipped": 0}
report = logs / "e2e.json"
if report.exists():
    stats = json.loads(report.read_text()).get("stats", {})
    e2e = {"passed": stats.get("expected", 0), "failed": stats.get("unexpected", 0) + stats.get("flaky", 0), "skipped": stats.get("skipped", 0)}

print()
print(f"cargo test:    {cargo['passed']} passed, {cargo['failed']} failed, {cargo['skipped']} skipped")
print(f"browser tests: {e2e['passed']} passed, {e2e['failed']} failed, {e2e['skipped']} skipped")
total = {k: cargo[k] + e2e[k] for k in cargo}
print(f"total: {total['passed']} passed, {total['failed']} failed, {total['skipped']} skipped")
sys.exit(1 if total["failed"] or not total["passed"] else 0)
