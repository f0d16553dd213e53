"""Fail CI when the PostgreSQL half of the suite was skipped or did not run at all."""

import sys
import xml.etree.ElementTree as ET

cases = ET.parse(sys.argv[1]).getroot().iter("testcase")
ran = skipped = 0
for case in cases:
    if "postgres" not in case.get("name", ""):
        continue
    if case.find("skipped") is not None:
        skipped += 1
    else:
        ran += 1
print(f"PostgreSQL tests: {ran} ran, {skipped} skipped")
if skipped or not ran:
    sys.exit("CI requires every PostgreSQL test to run")
