#!/usr/bin/env python3
"""Names the tests a Swift Testing console log shows as started and never finished.

scripts/test runs it when swift test outlives its time limit: the answer is where it hung.
"""
import re
import sys
from collections import Counter

started, finished = Counter(), Counter()
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    if "Test case " in line:  # a parameterized test's cases: its own line says enough
        continue
    match = re.search(r"Test (.+?) started\.", line)
    if match:
        started[match.group(1)] += 1
        continue
    match = re.search(r"Test (.+?)(?: with \d+ test cases?)? (?:passed|failed|skipped)", line)
    if match:
        finished[match.group(1)] += 1
unfinished = started - finished
for name, count in sorted(unfinished.items()):
    print(f"  {name}" + (f" (x{count})" if count > 1 else ""))
if not unfinished:
    print("  (none in the log: the hang is outside a test, or its lines were never written)")
