#!/usr/bin/env python3
"""Write IAPWS-IF97 reference states from the Python `iapws` package (a test peer).

Usage: python3 tools/if97_peer.py OUT.jsonl
Then:  IF97_PEER_FILE=OUT.jsonl cargo test -p thermaliq-thermo --test if97_peer -- --nocapture

Needs `pip install iapws` (uses iapws.IAPWS97, the industrial formulation,
not IAPWS-95). Writes one JSON object per line:
  {"kind": "pt",   "p_mpa", "t_k", "region", "h", "s", "v"}   single-phase (p, T)
  {"kind": "psat", "t_k", "p_mpa"}                          R7-97 Eq. 30
  {"kind": "sat",  "p_mpa", "x", "t_k", "h", "s", "v"}       saturated liquid (x=0) / vapour (x=1)
Units: MPa, K, kJ/kg, kJ/(kg K), m3/kg.
"""

import json
import math
import sys

import iapws
from iapws import IAPWS97
from iapws.iapws97 import _PSat_T

TC, PC = 647.096, 22.064


def pressures():
    # 0.001 MPa .. 100 MPa, log-spaced, plus a dense band around the critical pressure.
    ps = [0.001 * 10 ** (5 * i / 89) for i in range(90)]
    ps += [20.0 + 4.0 * i / 20 for i in range(21)]
    return ps


def temperatures():
    ts = [273.15 + (2273.15 - 273.15) * i / 109 for i in range(110)]
    ts += [640.0 + 15.0 * i / 30 for i in range(31)]
    ts += [600.0 + 300.0 * i / 40 for i in range(41)]
    return ts


def main(path):
    n = 0
    with open(path, "w") as out:
        def emit(obj):
            nonlocal n
            out.write(json.dumps(obj) + "\n")
            n += 1

        for p in pressures():
            for t in temperatures():
                if t > 1073.15 and p > 50.0:
                    continue
                if t < TC:
                    ps = _PSat_T(t)
                    # On the saturation line (p, T) does not fix the state.
                    if abs(p / ps - 1.0) < 1e-7:
                        continue
                try:
                    st = IAPWS97(P=p, T=t)
                except NotImplementedError:
                    continue
                if st.region is None or not st.status:
                    continue
                emit({"kind": "pt", "p_mpa": p, "t_k": t, "region": int(st.region),
                      "h": float(st.h), "s": float(st.s), "v": float(st.v)})
        for i in range(800):
            t = 273.15 + (647.0 - 273.15) * i / 799
            p = float(_PSat_T(t))
            emit({"kind": "psat", "t_k": t, "p_mpa": p})
        for i in range(400):
            # Saturation by pressure, up to 22.0 MPa (region 3 refined by fsolve in iapws).
            p = 0.000612 * (22.0 / 0.000612) ** (i / 399)
            for x in (0, 1):
                st = IAPWS97(P=p, x=x)
                emit({"kind": "sat", "p_mpa": p, "x": x, "t_k": float(st.T),
                      "h": float(st.h), "s": float(st.s), "v": float(st.v)})
    print(f"wrote {n} states from iapws {iapws.__version__} (IAPWS97) to {path}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
