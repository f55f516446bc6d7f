#!/usr/bin/env python3
"""Write NPV and IRR of random cash flows from `numpy-financial` (a test peer).

Usage: python3 tools/finance_peer.py OUT.jsonl
Then:  FINANCE_PEER_FILE=OUT.jsonl cargo test -p thermaliq-core --test opportunities

Needs `pip install numpy-financial==1.0.0`. One JSON object per line:
{"rate": str, "flows": [str, ...], "npv": float, "irr": float|null}
Cash flows are written as decimal strings (2 decimals), as the Rust side reads them.
"""

import json
import random
import sys

import numpy_financial as npf


def main(path):
    rng = random.Random(20261201)
    n = 0
    with open(path, "w") as out:
        for _ in range(300):
            years = rng.randint(1, 30)
            invest = round(rng.uniform(1_000, 500_000), 2)
            flows = [-invest] + [round(rng.uniform(-0.05, 0.6) * invest / max(1, years // 3), 2) for _ in range(years)]
            rate = round(rng.uniform(-0.02, 0.25), 4)
            irr = npf.irr(flows)
            out.write(json.dumps({
                "rate": f"{rate:.4f}",
                "flows": [f"{f:.2f}" for f in flows],
                "npv": float(npf.npv(rate, flows)),
                "irr": None if irr != irr else float(irr),
            }) + "\n")
            n += 1
    print(f"wrote {n} cases to {path}")


if __name__ == "__main__":
    main(sys.argv[1])
