#!/usr/bin/env python3
"""Write moist-air states from the Python `psychrolib` package (a test peer).

Usage: python3 tools/psychro_peer.py OUT.jsonl
Then:  PSYCHRO_PEER_FILE=OUT.jsonl cargo test -p thermaliq-thermo --test psychrometrics

Needs `pip install psychrolib==2.5.0` (an independent implementation of the
ASHRAE Handbook - Fundamentals 2017 Ch. 1 equations, SI units). One JSON
object per line: {"t_c", "rh", "p_pa", "pws_pa", "w", "h_j_kg", "twb_c", "tdp_c"}.
"""

import json
import sys

import psychrolib as psy


def main(path):
    psy.SetUnitSystem(psy.SI)
    n = 0
    with open(path, "w") as out:
        for p in (101325.0, 90000.0):
            for i in range(0, 29):
                t = -20.0 + 5.0 * i  # -20 .. 120 °C
                for rh in (0.05, 0.2, 0.4, 0.6, 0.8, 0.95):
                    pws = psy.GetSatVapPres(t)
                    # psychrolib brackets the wet bulb by the dry bulb, which fails
                    # once p_ws(t) exceeds p (W_s* has a pole at the boiling point):
                    # compare only below it, and where the vapour is under half of p.
                    if pws >= p or rh * pws >= 0.5 * p:
                        continue
                    w = psy.GetHumRatioFromRelHum(t, rh, p)
                    out.write(json.dumps({
                        "t_c": t, "rh": rh, "p_pa": p, "pws_pa": pws, "w": w,
                        "h_j_kg": psy.GetMoistAirEnthalpy(t, w),
                        "twb_c": psy.GetTWetBulbFromHumRatio(t, w, p),
                        "tdp_c": psy.GetTDewPointFromHumRatio(t, w, p),
                    }) + "\n")
                    n += 1
    print(f"wrote {n} states to {path}")


if __name__ == "__main__":
    main(sys.argv[1])
