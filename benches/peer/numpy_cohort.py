#!/usr/bin/env python3
"""The `upstream` reference model in vectorised NumPy: the performance peer.

Reads a scenario file (by default scenarios/bench-national.toml) and its CSV
tables, samples every uncertain number --draws times, and simulates do-nothing
and every scenario for all draws at once (common random numbers: every future
uses the same sampled parameters), with the stepping semantics of the Rust
kernel (src/engine/kernel.rs, compile.rs):

  per step:  transitions and exits by the band's per-step matrix expm(Q*dt)
             (Q from intensities r = -ln(1 - p), times the intervention factor
             1 - e*(1 - RR) on the target cells, e = delivered share x fidelity),
             then ageing (a share dt/width of each band moves on), then entries
             into the first band (people*dt with the entry mix);
  per year:  person-years (half-cycle by default), activity = person-years x use
             (x 1 - e*(1 - multiplier) on target cells), spend = activity x unit
             cost, intervention cost = delivered share x target person-years x
             cost per participant + fixed cost, discounting, net saving against
             do-nothing.

Writes mean, sd and percentiles (by default P5, P50, P95) across draws of, per
future and year: people by level, acute / preventative / service /
intervention / total spend, and for scenarios net saving and cumulative
discounted net saving (and the NPV, year `all`), as tidy CSV
(scenario,year,metric,stat,value).

    python3 benches/peer/numpy_cohort.py --draws 10000 --out /tmp/peer.csv

See benches/peer/README.md. Needs numpy; scipy only for distributions that
share a group (their quantile functions).
"""

import time

T_START = time.perf_counter()

import argparse  # noqa: E402
import csv  # noqa: E402
import math  # noqa: E402
import multiprocessing as mp  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import tomllib  # noqa: E402

import numpy as np  # noqa: E402

TIERS = ("primary", "secondary", "tertiary", "acute")
PREVENTATIVE = ("primary", "secondary", "tertiary")


class InputError(Exception):
    pass


# ---------------------------------------------------------------------------
# Distributions
# ---------------------------------------------------------------------------

def beta_params(mean, sd):
    common = mean * (1.0 - mean) / (sd * sd) - 1.0
    return mean * common, (1.0 - mean) * common


def pert_params(lo, mode, hi):
    span = hi - lo
    return 1.0 + 4.0 * (mode - lo) / span, 1.0 + 4.0 * (hi - mode) / span


def lognormal_params(d):
    """(mu, sigma) of the underlying normal."""
    if "median" in d:
        return math.log(d["median"]), math.log(d["spread"])
    m, s = d["mean"], d["sd"]
    s2 = math.log(1.0 + (s / m) ** 2)
    return math.log(m) - s2 / 2.0, math.sqrt(s2)


def dist_mean(d):
    k = d["dist"]
    if k == "fixed":
        return d["value"]
    if k == "uniform":
        return (d["min"] + d["max"]) / 2.0
    if k == "triangular":
        return (d["min"] + d["mode"] + d["max"]) / 3.0
    if k == "pert":
        return (d["min"] + 4.0 * d["mode"] + d["max"]) / 6.0
    if k == "normal":  # the mean of the truncated normal
        m, s = d["mean"], d["sd"]
        lo, hi = (d.get("min", -math.inf) - m) / s, (d.get("max", math.inf) - m) / s
        pdf = lambda z: math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi) if math.isfinite(z) else 0.0  # noqa: E731
        cdf = lambda z: 0.5 * math.erfc(-z / math.sqrt(2))  # noqa: E731
        return m + s * (pdf(lo) - pdf(hi)) / (cdf(hi) - cdf(lo))
    if k == "lognormal":
        mu, sigma = lognormal_params(d)
        return math.exp(mu + sigma * sigma / 2.0)
    if k == "beta":
        return d["mean"] if "mean" in d else d["alpha"] / (d["alpha"] + d["beta"])
    if k == "gamma":
        return d["mean"] if "mean" in d else d["shape"] * d["scale"]
    raise InputError(f"unknown distribution `{k}`")


ALLOWED = {
    "fixed": [{"value"}],
    "uniform": [{"min", "max"}],
    "triangular": [{"min", "mode", "max"}],
    "pert": [{"min", "mode", "max"}],
    "normal": [{"mean", "sd"}, {"mean", "sd", "min"}, {"mean", "sd", "max"}, {"mean", "sd", "min", "max"}],
    "lognormal": [{"median", "spread"}, {"mean", "sd"}],
    "beta": [{"mean", "sd"}, {"alpha", "beta"}],
    "gamma": [{"mean", "sd"}, {"shape", "scale"}],
}


def check_dist(d, kind, where):
    k = d.get("dist")
    keys = set(d) - {"dist", "group"}
    if k not in ALLOWED or keys not in ALLOWED[k]:
        raise InputError(f"{where}: bad distribution {d}")
    bad = None
    if k == "uniform" and not d["min"] < d["max"]:
        bad = "min < max"
    elif k in ("triangular", "pert") and not (d["min"] <= d["mode"] <= d["max"] and d["min"] < d["max"]):
        bad = "min <= mode <= max, min < max"
    elif k == "normal" and not d["sd"] > 0:
        bad = "sd > 0"
    elif k == "lognormal" and "median" in d and not (d["median"] > 0 and d["spread"] > 1):
        bad = "median > 0, spread > 1"
    elif k == "lognormal" and "mean" in d and not (d["mean"] > 0 and d["sd"] > 0):
        bad = "mean > 0, sd > 0"
    elif k == "beta" and "mean" in d and not (0 < d["mean"] < 1 and 0 < d["sd"] < math.sqrt(d["mean"] * (1 - d["mean"]))):
        bad = "0 < mean < 1, 0 < sd < sqrt(mean(1-mean))"
    elif k == "beta" and "alpha" in d and not (d["alpha"] > 0 and d["beta"] > 0):
        bad = "alpha, beta > 0"
    elif k == "gamma" and not all(v > 0 for key, v in d.items() if key not in ("dist", "group")):
        bad = "parameters > 0"
    if bad:
        raise InputError(f"{where}: {d} needs {bad}")
    lo = {"fixed": d.get("value"), "uniform": d.get("min"), "triangular": d.get("min"), "pert": d.get("min"),
          "normal": d.get("min", -math.inf), "lognormal": 0.0, "beta": 0.0, "gamma": 0.0}[k]
    hi = {"fixed": d.get("value"), "uniform": d.get("max"), "triangular": d.get("max"), "pert": d.get("max"),
          "normal": d.get("max", math.inf), "lognormal": math.inf, "beta": 1.0, "gamma": math.inf}[k]
    if kind in ("prob", "share") and not (lo >= 0 and hi <= 1):
        raise InputError(f"{where}: {d} must stay within [0, 1]")
    if kind == "nonneg" and not lo >= 0:
        raise InputError(f"{where}: {d} must stay >= 0")


class Sampler:
    """Samples uncertain numbers into arrays of shape (draws,); fixed numbers
    stay Python floats. With `means`, every distribution is at its mean."""

    def __init__(self, draws, seed, means):
        self.draws = draws
        self.rng = np.random.default_rng(seed)
        self.means = means
        self.groups = {}
        self.count = 0

    def number(self, spec, kind, where):
        if isinstance(spec, bool):
            raise InputError(f"{where}: expected a number")
        if isinstance(spec, (int, float)):
            v = float(spec)
            if kind in ("prob", "share") and not 0 <= v <= 1:
                raise InputError(f"{where}: {v} is outside [0, 1]")
            if kind == "nonneg" and v < 0:
                raise InputError(f"{where}: {v} is negative")
            return v
        if not isinstance(spec, dict) or "dist" not in spec:
            raise InputError(f"{where}: expected a number or a distribution, got {spec!r}")
        check_dist(spec, kind, where)
        if spec["dist"] == "fixed":
            return float(spec["value"])
        self.count += 1
        if self.means:
            return np.full(self.draws, dist_mean(spec))
        if "group" in spec:
            return self.quantile(spec, self.group_u(spec["group"]))
        return self.independent(spec)

    def group_u(self, name):
        if name not in self.groups:
            self.groups[name] = self.rng.random(self.draws)
        return self.groups[name]

    def independent(self, d):
        r, n, k = self.rng, self.draws, d["dist"]
        if k == "uniform":
            return r.uniform(d["min"], d["max"], n)
        if k == "triangular":
            return r.triangular(d["min"], d["mode"], d["max"], n)
        if k == "pert":
            a, b = pert_params(d["min"], d["mode"], d["max"])
            return d["min"] + (d["max"] - d["min"]) * r.beta(a, b, n)
        if k == "normal":
            lo, hi = d.get("min", -math.inf), d.get("max", math.inf)
            x = r.normal(d["mean"], d["sd"], n)
            bad = (x < lo) | (x > hi)
            while bad.any():  # truncation by rejection
                x[bad] = r.normal(d["mean"], d["sd"], int(bad.sum()))
                bad = (x < lo) | (x > hi)
            return x
        if k == "lognormal":
            mu, sigma = lognormal_params(d)
            return r.lognormal(mu, sigma, n)
        if k == "beta":
            a, b = (d["alpha"], d["beta"]) if "alpha" in d else beta_params(d["mean"], d["sd"])
            return r.beta(a, b, n)
        if k == "gamma":
            shape, scale = (d["shape"], d["scale"]) if "shape" in d else ((d["mean"] / d["sd"]) ** 2, d["sd"] ** 2 / d["mean"])
            return r.gamma(shape, scale, n)
        raise InputError(f"unknown distribution {k}")

    @staticmethod
    def quantile(d, u):
        from scipy import special  # only needed for grouped draws

        k = d["dist"]
        if k == "uniform":
            return d["min"] + u * (d["max"] - d["min"])
        if k == "triangular":
            lo, mode, hi = d["min"], d["mode"], d["max"]
            c = (mode - lo) / (hi - lo)
            return np.where(u < c, lo + np.sqrt(u * (hi - lo) * (mode - lo)), hi - np.sqrt((1 - u) * (hi - lo) * (hi - mode)))
        if k == "pert":
            a, b = pert_params(d["min"], d["mode"], d["max"])
            return d["min"] + (d["max"] - d["min"]) * special.betaincinv(a, b, u)
        if k == "normal":
            lo, hi = d.get("min", -math.inf), d.get("max", math.inf)
            m, s = d["mean"], d["sd"]
            plo, phi = special.ndtr((lo - m) / s), special.ndtr((hi - m) / s)
            return m + s * special.ndtri(plo + u * (phi - plo))
        if k == "lognormal":
            mu, sigma = lognormal_params(d)
            return np.exp(mu + sigma * special.ndtri(u))
        if k == "beta":
            a, b = (d["alpha"], d["beta"]) if "alpha" in d else beta_params(d["mean"], d["sd"])
            return special.betaincinv(a, b, u)
        if k == "gamma":
            shape, scale = (d["shape"], d["scale"]) if "shape" in d else ((d["mean"] / d["sd"]) ** 2, d["sd"] ** 2 / d["mean"])
            return special.gammaincinv(shape, u) * scale
        raise InputError(f"unknown distribution {k}")

    def table(self, values, rel_sd, kind):
        """A CSV column with an optional rel_sd: probabilities / shares follow a
        beta, people and use rates a gamma. Returns a list of floats or arrays."""
        values = np.asarray(values, float)
        rel_sd = np.asarray(rel_sd, float)
        out = [float(v) for v in values]
        idx = np.nonzero((rel_sd > 0) & (values > 0))[0]
        if len(idx) == 0:
            return out
        self.count += len(idx)
        v, s = values[idx], rel_sd[idx] * values[idx]
        if self.means:
            sampled = np.repeat(v[:, None], self.draws, axis=1)
        elif kind == "prob":
            if np.any(s * s >= v * (1 - v)):
                raise InputError("a rel_sd is too large for a beta distribution with that mean")
            a, b = beta_params(v, s)
            sampled = self.rng.beta(a[:, None], b[:, None], size=(len(idx), self.draws))
        else:
            shape, scale = (v / s) ** 2, s * s / v
            sampled = self.rng.gamma(shape[:, None], scale[:, None], size=(len(idx), self.draws))
        for n, i in enumerate(idx):
            out[i] = sampled[n]
        return out


# ---------------------------------------------------------------------------
# By-year values: a list of (year, value) sorted by year; year None = always
# ---------------------------------------------------------------------------

def is_by_year(spec):
    return isinstance(spec, dict) and "dist" not in spec


def series(spec, sampler, kind, where):
    if is_by_year(spec):
        pts = []
        for y, v in spec.items():
            try:
                year = int(y)
            except ValueError:
                raise InputError(f"{where}: `{y}` is not a year") from None
            pts.append((year, sampler.number(v, kind, f"{where} ({y})")))
        return sorted(pts, key=lambda p: p[0])
    return [(None, sampler.number(spec, kind, where))]


def at(ser, year):
    v = ser[0][1]
    for y, val in ser:
        if y is None or y <= year:
            v = val
        else:
            break
    return v


def change_years(all_series):
    ys = set()
    for s in all_series:
        ys.update(y for y, _ in s if y is not None)
    return sorted(ys)


def epoch_of(years, year):
    """The last change year <= year (the first before any): every series in
    the set has the same value in all years of one epoch."""
    e = years[0] if years else None
    for y in years:
        if y <= year:
            e = y
    return e


def read_csv(base, rel, needed):
    path = os.path.join(base, rel)
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if rows:
        missing = [c for c in needed if c not in rows[0]]
        if missing:
            raise InputError(f"{path}: missing column(s) {missing}")
    return rows


# ---------------------------------------------------------------------------
# The model, sampled
# ---------------------------------------------------------------------------

class Model:
    def __init__(self, path, draws, seed, means):
        self.path = path
        base = os.path.dirname(os.path.abspath(path))
        with open(path, "rb") as f:
            doc = tomllib.load(f)
        self.doc = doc
        m = doc["model"]
        mc = doc.get("monte_carlo", {})
        self.draws = 1 if means else (draws if draws is not None else mc.get("draws", 10000) or 10000)
        self.seed = seed if seed is not None else mc.get("seed", 2025)
        self.percentiles = mc.get("percentiles", [5, 50, 95])
        D = self.draws
        smp = self.sampler = Sampler(D, self.seed, means)
        if doc.get("projection_csv"):
            raise InputError("projection_csv (calibration to a population projection) is not implemented in the peer")
        if m.get("transition_mode", "rates") != "rates":
            raise InputError("only transition_mode = \"rates\" is implemented in the peer")
        self.name = m["name"]
        self.start = int(m["start_year"])
        self.horizon = int(m["horizon_years"])
        self.years = list(range(self.start, self.start + self.horizon))
        self.steps = int(m.get("steps_per_year", 1))
        self.dt = 1.0 / self.steps
        self.occupancy = m.get("occupancy", "half_cycle")
        self.discount_timing = m.get("discount_timing", "end")
        self.discount_rate = smp.number(m.get("discount_rate", 0.035), "any", "model.discount_rate")
        self.levels = list(m["levels"])
        L = self.L = len(self.levels)
        lix = {n: i for i, n in enumerate(self.levels)}
        self.bands = [b["name"] for b in doc["bands"]]
        B = self.B = len(self.bands)
        bix = {n: i for i, n in enumerate(self.bands)}
        widths = []
        for i, b in enumerate(doc["bands"]):
            if "upper" in b:
                widths.append(b["upper"] - b["lower"])
            elif i == B - 1:
                widths.append(None)
            else:
                raise InputError(f"band {b['name']}: only the last band may omit `upper`")
        if any(w is not None and self.dt > w + 1e-12 for w in widths):
            raise InputError("a step is longer than the narrowest band")
        self.ageing = np.array([self.dt / w if w else 0.0 for w in widths])
        self.last_closed = widths[-1] is not None

        def bands_of(names, where):
            if names is None:
                return list(range(B))
            try:
                return [bix[n] for n in names]
            except KeyError as e:
                raise InputError(f"{where}: unknown band {e}") from None

        def level_of(n, where):
            if n not in lix:
                raise InputError(f"{where}: unknown level `{n}`")
            return lix[n]

        # --- population: pop[l][b] = float or (D,) array
        pop = [[0.0] * B for _ in range(L)]
        if doc.get("population_csv"):
            rows = read_csv(base, doc["population_csv"], ["band", "level", "people"])
            vals = smp.table([float(r["people"]) for r in rows], [float(r.get("rel_sd") or 0) for r in rows], "nonneg")
            for r, v in zip(rows, vals):
                pop[level_of(r["level"], "population_csv")][bix[r["band"]]] = v
        for p in doc.get("population", []):
            b = bix[p["band"]]
            w = f"population {p['band']}"
            if "counts" in p:
                for ln, c in p["counts"].items():
                    pop[level_of(ln, w)][b] = smp.number(c, "nonneg", w)
            else:
                people = smp.number(p["people"], "nonneg", w)
                mix = {level_of(ln, w): smp.number(s, "share", w) for ln, s in p["mix"].items()}
                total = sum(mix.values())
                for li, s in mix.items():
                    pop[li][b] = people * s / total
        self.pop = pop

        # --- transitions and exits: series per (from, to-or-exit, band)
        trans = {}
        if doc.get("transitions_csv"):
            rows = read_csv(base, doc["transitions_csv"], ["band", "from", "to", "probability"])
            vals = smp.table([float(r["probability"]) for r in rows], [float(r.get("rel_sd") or 0) for r in rows], "prob")
            for r, v in zip(rows, vals):
                key = (level_of(r["from"], "transitions_csv"), level_of(r["to"], "transitions_csv"), bix[r["band"]])
                y = int(r["year"]) if r.get("year") else None
                trans.setdefault(key, []).append((y, v))
        for t in doc.get("transitions", []):
            w = f"transition {t['from']} -> {t['to']}"
            ser = series(t["probability"], smp, "prob", w)  # one draw shared by the row's bands
            for b in bands_of(t.get("bands"), w):
                trans[(level_of(t["from"], w), level_of(t["to"], w), b)] = ser
        if doc.get("exits_csv"):
            rows = read_csv(base, doc["exits_csv"], ["band", "level", "probability"])
            vals = smp.table([float(r["probability"]) for r in rows], [float(r.get("rel_sd") or 0) for r in rows], "prob")
            for r, v in zip(rows, vals):
                key = (level_of(r["level"], "exits_csv"), L, bix[r["band"]])
                y = int(r["year"]) if r.get("year") else None
                trans.setdefault(key, []).append((y, v))
        for e in doc.get("exits", []):
            w = "exit"
            ser = series(e["probability"], smp, "prob", w)
            for b in bands_of(e.get("bands"), w):
                for ln in e.get("levels", self.levels):
                    trans[(level_of(ln, w), L, b)] = ser
        self.trans = {k: sorted(v, key=lambda p: (p[0] is not None, p[0] or 0)) for k, v in trans.items()}
        self.trans_years = change_years(self.trans.values())
        self._rates = {}

        # --- entries
        ent = doc.get("entries")
        if ent:
            self.entries_people = series(ent["people"], smp, "nonneg", "entries.people")
            mix = np.zeros((L, D))
            for ln, s in ent["mix"].items():
                mix[level_of(ln, "entries.mix")] = smp.number(s, "share", "entries.mix")
            self.entries_mix = mix / mix.sum(0)  # renormalised per draw
        else:
            self.entries_people = [(None, 0.0)]
            self.entries_mix = np.zeros((L, D))

        # --- services
        self.services = []
        funders = []
        for s in doc.get("services", []):
            w = f"service {s['name']}"
            if s["tier"] not in TIERS:
                raise InputError(f"{w}: unknown tier {s['tier']}")
            if s["funder"] not in funders:
                funders.append(s["funder"])
            use = {}  # (level, band) -> series
            if "use_csv" in s:
                rows = read_csv(base, s["use_csv"], ["band", "level", "use"])
                vals = smp.table([float(r["use"]) for r in rows], [float(r.get("rel_sd") or 0) for r in rows], "nonneg")
                for r, v in zip(rows, vals):
                    y = int(r["year"]) if r.get("year") else None
                    use.setdefault((level_of(r["level"], w), bix[r["band"]]), []).append((y, v))
            for ln, spec in (s.get("use") or {}).items():
                ser = series(spec, smp, "nonneg", f"{w} use {ln}")  # one draw, every band
                for b in range(B):
                    use[(level_of(ln, w), b)] = ser
            use = {k: sorted(v, key=lambda p: (p[0] is not None, p[0] or 0)) for k, v in use.items()}
            cells = sorted(use)
            self.services.append({
                "name": s["name"], "tier": s["tier"], "funder": s["funder"],
                "unit_cost": smp.number(s["unit_cost"], "nonneg", f"{w} unit_cost"),
                "use": use, "cells": cells, "cell_rows": np.array([l * B + b for l, b in cells], dtype=np.intp),
                "years": change_years(use.values()), "_cache": {},
            })
        sidx = {s["name"]: i for i, s in enumerate(self.services)}

        # --- interventions
        self.interventions = []
        for iv in doc.get("interventions", []):
            w = f"intervention {iv['name']}"
            if iv["funder"] not in funders:
                funders.append(iv["funder"])
            if ("reach" in iv) == ("places" in iv):
                raise InputError(f"{w}: give one of reach, places")
            d = {
                "name": iv["name"], "funder": iv["funder"], "tier": iv["tier"],
                "bands": bands_of(iv.get("target_bands"), w),
                "levels": [level_of(n, w) for n in iv["target_levels"]],
                "reach": smp.number(iv["reach"], "share", f"{w} reach") if "reach" in iv else None,
                "places": smp.number(iv["places"], "nonneg", f"{w} places") if "places" in iv else None,
                "start": int(iv["start_year"]), "ramp": float(iv.get("ramp_years", 0)),
                "end": int(iv["end_year"]) if "end_year" in iv else None,
                "fidelity": smp.number(iv.get("fidelity", 1.0), "share", f"{w} fidelity"),
                "cpp": smp.number(iv.get("cost_per_participant", 0.0), "nonneg", f"{w} cost_per_participant"),
                "fixed": smp.number(iv.get("fixed_cost", 0.0), "nonneg", f"{w} fixed_cost"),
                "lag": int(iv.get("lag_years", 0)),
                "trans_effects": [], "service_effects": [],
            }
            for e in iv.get("effects", []):
                if "service" in e:
                    if e["service"] not in sidx:
                        raise InputError(f"{w}: unknown service {e['service']}")
                    d["service_effects"].append((sidx[e["service"]], smp.number(e["multiplier"], "nonneg", f"{w} multiplier")))
                else:
                    fr = level_of(e["from"], w)
                    to = L if e["to"] == "exit" else level_of(e["to"], w)
                    d["trans_effects"].append((fr, to, smp.number(e["relative_risk"], "nonneg", f"{w} relative_risk")))
            d["cells"] = np.array([l * B + b for l in d["levels"] for b in d["bands"]], dtype=np.intp)
            self.interventions.append(d)
        self.funders = funders
        ivx = {d["name"]: i for i, d in enumerate(self.interventions)}
        self.futures = [("do-nothing", [])]
        for sc in doc.get("scenarios", []):
            if sc.get("overrides"):
                raise InputError(f"scenario {sc['name']}: overrides are not implemented in the peer")
            self.futures.append((sc["name"], [ivx[n] for n in sc.get("interventions", [])]))
        # rows of each service's use table that an intervention's target cells cover
        self.effect_rows = {}
        for i, iv in enumerate(self.interventions):
            for s, _ in iv["service_effects"]:
                self.effect_rows[(s, i)] = np.nonzero(np.isin(self.services[s]["cell_rows"], iv["cells"]))[0]
        self.uncertain = smp.count
        self.check_rows()

    # ----- derived arrays ----------------------------------------------------

    def annual_probs(self, epoch):
        """(L, L+1, B, D) annual probabilities (diagonal zero) in an epoch."""
        L, B, D = self.L, self.B, self.draws
        year = epoch if epoch is not None else self.start
        p = np.zeros((L, L + 1, B, D))
        for (i, j, b), ser in self.trans.items():
            p[i, j, b] = at(ser, year)
        return p

    def check_rows(self):
        for ep in (self.trans_years or [None]):
            p = self.annual_probs(ep)
            sums = p.sum(1)
            if np.any(sums >= 1.0):
                n = int((sums >= 1.0).any(axis=(0, 1)).sum())
                raise InputError(f"in {n} draws some level's transitions plus exit sum to 1 or more")

    def rates(self, year):
        """Base intensities (L, L+1, B, D) for the epoch of `year`, cached."""
        ep = epoch_of(self.trans_years, year)
        if ep not in self._rates:
            self._rates[ep] = -np.log1p(-self.annual_probs(ep))
        return ep, self._rates[ep]

    def use(self, s, year):
        """(cells, D) use rates of service s in `year`, cached per epoch."""
        svc = self.services[s]
        ep = epoch_of(svc["years"], year)
        if ep not in svc["_cache"]:
            y = ep if ep is not None else self.start
            arr = np.empty((len(svc["cells"]), self.draws))
            for n, c in enumerate(svc["cells"]):
                arr[n] = at(svc["use"][c], y)
            svc["_cache"][ep] = arr
        return svc["_cache"][ep]

    def entries(self, year):
        return np.broadcast_to(np.asarray(at(self.entries_people, year), float), (self.draws,))

    def discount(self):
        r = np.asarray(self.discount_rate, float)
        t = np.arange(1, self.horizon + 1, dtype=float)[:, None]
        shift = {"end": 0.0, "start": 1.0, "mid": 0.5}[self.discount_timing]
        return (1.0 + r) ** -(t - shift)  # (Y, D) or (Y, 1)


def scale_in(iv, year):
    """The year's average share of full scale (kernel: Intervention::scale_in)."""
    if year < iv["start"] or (iv["end"] is not None and year > iv["end"]):
        return 0.0
    k = float(year - iv["start"])
    r = iv["ramp"]
    if r <= 0 or k >= r:
        return 1.0
    if k + 1.0 <= r:
        return (k + 0.5) / r
    return (r * r - k * k) / (2.0 * r) + (k + 1.0 - r)


# ---------------------------------------------------------------------------
# Batched matrix exponential
# ---------------------------------------------------------------------------

def expm_batched(a):
    """expm of every matrix in `a`, shape (n, n, batch) (matrix indices
    first, batch last, so that every operation is one long vectorised loop):
    scaling and squaring with a Taylor polynomial whose degree is chosen for
    the batch's largest norm (truncation error below double rounding),
    evaluated by Paterson-Stockmeyer (about 2*sqrt(degree) products)."""
    n = a.shape[0]
    norm = float(np.abs(a).sum(axis=1).max()) if a.size else 0.0
    s = 0
    if norm > 0.5:
        s = int(math.ceil(math.log2(norm / 0.5)))
        a = a / 2.0 ** s
        norm /= 2.0 ** s
    m, term = 1, norm
    while term > 1e-17 and m < 30:  # norm^(m+1)/(m+1)! bounds the remainder
        m += 1
        term *= norm / m
    coef = [1.0 / math.factorial(k) for k in range(m + 1)]
    p = max(1, int(math.ceil(math.sqrt(m))))
    powers = [None, a]  # powers[i] = a^i, i = 1..p
    for _ in range(2, p + 1):
        powers.append(np.einsum("ikb,kjb->ijb", powers[-1], a))
    idx = np.arange(n)

    def block(j):  # sum_{i<p} coef[j*p+i] a^i
        out = None
        for i in range(1, p):
            k = j * p + i
            if k <= m:
                out = powers[i] * coef[k] if out is None else out + powers[i] * coef[k]
        if out is None:
            out = np.zeros_like(a)
        out[idx, idx] += coef[j * p]
        return out

    r = m // p
    e = block(r)
    for j in range(r - 1, -1, -1):
        e = np.einsum("ikb,kjb->ijb", powers[p], e)
        e += block(j)
    for _ in range(s):
        e = np.einsum("ikb,kjb->ijb", e, e)
    return e


# ---------------------------------------------------------------------------
# Simulation of one chunk of draws, every future
# ---------------------------------------------------------------------------

MODEL = None  # set in the parent before forking workers


def sl(v, d0, d1):
    """Slice a sampled value to the chunk's draws (floats pass through)."""
    if isinstance(v, np.ndarray) and v.ndim >= 1 and v.shape[-1] == MODEL.draws:
        return v[..., d0:d1]
    return v


BLOCK = 1000  # draws simulated together; set from --block


def simulate_chunk(bounds):
    """Simulates draws [d0, d1) in blocks of BLOCK draws: a block's arrays
    (about 6 MB of per-step matrices for 1,000 draws) stay in cache for all
    the steps of a year, which is much faster than streaming 10,000 draws'
    worth through memory every step."""
    d0, d1 = bounds
    t = time.perf_counter()
    parts = [simulate_block(a, min(a + BLOCK, d1)) for a in range(d0, d1, BLOCK)]
    out = {f: {k: np.concatenate([p[f][k] for p in parts], axis=1) for k in parts[0][f]} for f in parts[0]}
    return out, time.perf_counter() - t


def simulate_block(d0, d1):
    md = MODEL
    L, B, Dc = md.L, md.B, d1 - d0
    N = B * Dc
    dt, steps = md.dt, md.steps
    Y = md.horizon

    x_init = np.empty((L, B, Dc))
    for l in range(L):
        for b in range(B):
            x_init[l, b] = sl(md.pop[l][b], d0, d1)
    unit_cost = [np.broadcast_to(sl(s["unit_cost"], d0, d1), (Dc,)) for s in md.services]
    ivs = []
    for iv in md.interventions:
        c = dict(iv)
        for k in ("reach", "places", "fidelity", "cpp", "fixed"):
            c[k] = sl(iv[k], d0, d1)
        c["trans_effects"] = [(fr, to, sl(rr, d0, d1)) for fr, to, rr in iv["trans_effects"]]
        c["service_effects"] = [(s, sl(mu, d0, d1)) for s, mu in iv["service_effects"]]
        ivs.append(c)
    mix = md.entries_mix[:, d0:d1]
    ageing = md.ageing
    open_last = not md.last_closed
    # Ageing is folded into the step matrices: band b's matrix is scaled by
    # the share staying in the band (1 - a_b), and the people moving on are
    # then a_b / (1 - a_b) of what the product leaves in band b. (Not when a
    # step is as long as a band, a_b = 1: then ageing is a separate pass.)
    fold = bool(np.all(ageing < 1.0))
    stay = (1.0 - ageing) if fold else np.ones(B)
    onward = (ageing / stay)[None, :-1, None] if fold else None
    age_share = ageing[None, :-1, None] if open_last else ageing[None, :, None]
    buf = np.empty((L, B - 1, Dc))

    base_m = {}  # transition epoch -> (L, L, B*Dc) per-step matrices without effects
    band_cache = {}  # (band, (epoch, (intervention, effect signature)...)) -> (L, L, Dc)

    def step_matrices(rates_bands, factors, bands):
        """rates_bands (L, L+1, nb, Dc) annual intensities of `bands`; factors
        like it or None. Returns (L, L, nb*Dc), times the bands' stay shares."""
        r = rates_bands if factors is None else rates_bands * factors
        nb = r.shape[2]
        q = np.empty((L, L, nb * Dc))
        off = r[:, :L].reshape(L, L, nb * Dc) * dt
        q[...] = off
        idx = np.arange(L)
        q[idx, idx] = -(off.sum(axis=1) - off[idx, idx] + r[:, L].reshape(L, nb * Dc) * dt)
        m = expm_batched(q)
        np.maximum(m, 0.0, out=m)
        m.reshape(L, L, nb, Dc)[...] *= stay[bands][None, None, :, None]
        return m

    out = {}
    for fname, plan in md.futures:
        x = x_init.reshape(L, N).copy()
        nxt = np.empty_like(x)
        acc = np.empty_like(x)
        mats = None
        band_sig = [None] * B
        delivered = {i: [] for i in plan}
        metrics = {k: np.zeros((Y, Dc)) for k in
                   ["spend_acute", "spend_preventative", "spend_services", "intervention_cost", "spend_total"]}
        metrics.update({f"people_level:{n}": np.zeros((Y, Dc)) for n in md.levels})
        metrics["people_total"] = np.zeros((Y, Dc))
        for k, year in enumerate(md.years):
            # --- delivered share of each intervention this year
            for i in plan:
                iv = ivs[i]
                scale = scale_in(iv, year)
                if iv["reach"] is not None:
                    share = iv["reach"] * scale
                else:
                    xv = x.reshape(L, B, Dc)
                    target = xv[np.ix_(iv["levels"], iv["bands"])].sum(axis=(0, 1))
                    with np.errstate(divide="ignore", invalid="ignore"):
                        share = np.where(target > 0, np.minimum(iv["places"] * scale / target, 1.0), 0.0)
                delivered[i].append(share)
            eff, eff_sig = {}, {}
            for i in plan:
                lag = ivs[i]["lag"]
                if k >= lag:
                    e = delivered[i][k - lag] * ivs[i]["fidelity"]
                    if np.any(np.asarray(e) != 0):
                        eff[i] = e
                        eff_sig[i] = scale_in(ivs[i], year - lag) if ivs[i]["reach"] is not None else ("places", fname, k)
            # --- per-step matrices: rebuilt only for bands whose inputs changed
            ep, rates = md.rates(year)
            if ep not in base_m:
                base_m[ep] = step_matrices(rates[..., d0:d1], None, list(range(B)))
            if mats is None:
                mats = base_m[ep].copy()
            todo, sigs = [], []
            for b in range(B):
                sig = (ep,) + tuple((i, eff_sig[i]) for i in plan if i in eff and b in ivs[i]["bands"])
                if sig != band_sig[b]:
                    todo.append(b)
                    sigs.append(sig)
            plain = [b for b, s in zip(todo, sigs) if len(s) == 1]
            effected = [b for b, s in zip(todo, sigs) if len(s) > 1]
            mv = mats.reshape(L, L, B, Dc)
            bm = base_m[ep].reshape(L, L, B, Dc)
            for b in plain:
                mv[:, :, b] = bm[:, :, b]
            for b, sig in zip(todo, sigs):
                if len(sig) > 1 and (b, sig) in band_cache:  # the same band and effects in an earlier future
                    mv[:, :, b] = band_cache[(b, sig)]
                    effected.remove(b)
            if effected:
                rb = rates[..., d0:d1][:, :, effected]
                fac = np.ones((L, L + 1, len(effected), Dc))
                for n, b in enumerate(effected):
                    for i in eff:
                        iv = ivs[i]
                        if b not in iv["bands"]:
                            continue
                        for fr, to, rr in iv["trans_effects"]:
                            if fr in iv["levels"]:
                                fac[fr, to, n] *= 1.0 - eff[i] * (1.0 - rr)
                new = step_matrices(rb, fac, effected).reshape(L, L, len(effected), Dc)
                for n, b in enumerate(effected):
                    mv[:, :, b] = new[:, :, n]
                    band_cache[(b, sigs[todo.index(b)])] = new[:, :, n]
            for b, s in zip(todo, sigs):
                band_sig[b] = s

            # --- steps
            ent = (md.entries(year)[d0:d1] * dt)[None, :] * mix  # (L, Dc)
            x_start = x.copy()
            acc.fill(0.0)
            for _ in range(steps):
                np.einsum("in,ijn->jn", x, mats, out=nxt)
                v = nxt.reshape(L, B, Dc)
                if fold:
                    np.multiply(v[:, :-1], onward, out=buf)
                    v[:, 1:] += buf
                elif open_last:
                    aged = v[:, :-1] * age_share
                    v[:, :-1] -= aged
                    v[:, 1:] += aged
                else:
                    aged = v * age_share
                    v -= aged
                    v[:, 1:] += aged[:, :-1]
                v[:, 0] += ent
                acc += nxt
                x, nxt = nxt, x
            # person-years: acc = sum of the stocks at the end of each step
            if md.occupancy == "half_cycle":
                py = (acc + 0.5 * (x_start - x)) * dt
            elif md.occupancy == "start":
                py = (acc + x_start - x) * dt
            else:
                py = acc * dt

            # --- accounts
            people = x.reshape(L, B, Dc).sum(axis=1)
            for l, n in enumerate(md.levels):
                metrics[f"people_level:{n}"][k] = people[l]
            metrics["people_total"][k] = people.sum(0)
            spend_tier = {t: np.zeros(Dc) for t in TIERS}
            services_total = np.zeros(Dc)
            for s, svc in enumerate(md.services):
                use = md.use(s, year)[:, d0:d1]
                py_cells = py.reshape(L * B, Dc)[svc["cell_rows"]]
                factor = None
                for i in eff:
                    iv = ivs[i]
                    for si, mu in iv["service_effects"]:
                        if si != s:
                            continue
                        if factor is None:
                            factor = np.ones((len(svc["cells"]), Dc))
                        rows = md.effect_rows[(s, i)]
                        factor[rows] *= 1.0 - eff[i] * (1.0 - mu)
                act = np.einsum("cd,cd->d", use, py_cells) if factor is None else np.einsum("cd,cd,cd->d", use, py_cells, factor)
                spend = act * unit_cost[s]
                spend_tier[svc["tier"]] += spend
                services_total += spend
            iv_total = np.zeros(Dc)
            pyf = py.reshape(L * B, Dc)
            for i in plan:
                iv = ivs[i]
                participants = delivered[i][k] * pyf[iv["cells"]].sum(0)
                cost = participants * iv["cpp"] + (iv["fixed"] if scale_in(iv, year) > 0 else 0.0)
                spend_tier[iv["tier"]] += cost
                iv_total += cost
            metrics["spend_acute"][k] = spend_tier["acute"]
            metrics["spend_preventative"][k] = sum(spend_tier[t] for t in PREVENTATIVE)
            metrics["spend_services"][k] = services_total
            metrics["intervention_cost"][k] = iv_total
            metrics["spend_total"][k] = services_total + iv_total
        out[fname] = metrics
    return out


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------

def main():
    global MODEL, BLOCK
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description="The upstream reference model in vectorised NumPy (performance peer).")
    ap.add_argument("scenario", nargs="?", default=os.path.join(here, "..", "..", "scenarios", "bench-national.toml"))
    ap.add_argument("--draws", type=int, default=None, help="Monte Carlo draws (default: the file's [monte_carlo] draws, else 10000)")
    ap.add_argument("--seed", type=int, default=None, help="seed (default: the file's, else 2025)")
    ap.add_argument("--means", action="store_true", help="one deterministic draw with every distribution at its mean")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes, each simulating a share of the draws (default: all cores)")
    ap.add_argument("--block", type=int, default=1000, help="draws simulated together in a process (cache blocking; default 1000)")
    ap.add_argument("--out", default=None, help="CSV of mean and percentiles per future, year and metric")
    args = ap.parse_args()

    try:
        t0 = time.perf_counter()
        MODEL = md = Model(args.scenario, args.draws, args.seed, args.means)
        t_sample = time.perf_counter() - t0
    except (InputError, KeyError, ValueError, OSError, tomllib.TOMLDecodeError) as e:
        print(f"error: {args.scenario}: {e}", file=sys.stderr)
        return 1
    D = md.draws
    BLOCK = max(1, args.block)
    jobs = max(1, min(args.jobs, D))
    bounds = np.linspace(0, D, jobs + 1).astype(int)
    chunks = [(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:])]
    t1 = time.perf_counter()
    if jobs == 1:
        parts = [simulate_chunk(chunks[0])]
    else:
        with mp.get_context("fork").Pool(jobs) as pool:
            parts = pool.map(simulate_chunk, chunks)
    t_sim = time.perf_counter() - t1
    res = {f: {k: np.concatenate([p[0][f][k] for p in parts], axis=1) for k in parts[0][0][f]} for f, _ in md.futures}

    # --- comparisons against do-nothing, discounting
    disc = md.discount()
    base = res["do-nothing"]
    for f, _ in md.futures[1:]:
        r = res[f]
        net = base["spend_total"] - r["spend_total"]
        r["net_saving"] = net
        r["net_saving_cumulative_discounted"] = np.cumsum(net * disc, axis=0)

    # --- summaries
    names, rows = [], []
    for f, _ in md.futures:
        for metric, arr in res[f].items():
            for k, year in enumerate(md.years):
                names.append((f, str(year), metric))
                rows.append(arr[k])
        if "net_saving_cumulative_discounted" in res[f]:
            names.append((f, "all", "npv"))
            rows.append(res[f]["net_saving_cumulative_discounted"][-1])
    data = np.vstack(rows)
    mean = data.mean(axis=1)
    sd = data.std(axis=1, ddof=1) if data.shape[1] > 1 else np.zeros(len(data))
    pct = np.percentile(data, md.percentiles, axis=1)
    if args.out:
        with open(args.out, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["scenario", "year", "metric", "stat", "value"])
            for n, (fut, year, metric) in enumerate(names):
                w.writerow([fut, year, metric, "mean", repr(float(mean[n]))])
                w.writerow([fut, year, metric, "sd", repr(float(sd[n]))])
                for p, q in zip(md.percentiles, pct):
                    w.writerow([fut, year, metric, f"p{p:g}", repr(float(q[n]))])
    t_all = time.perf_counter() - T_START

    sim_cpu = sum(p[1] for p in parts)
    print(f"{md.name}: {md.B} bands x {md.L} levels, {md.steps} steps/year, {md.horizon} years, "
          f"{len(md.futures)} futures, {D} draws ({'means' if args.means else f'seed {md.seed}'}), "
          f"{md.uncertain} uncertain numbers, {jobs} process(es)")
    for f, _ in md.futures:
        r = res[f]
        line = f"  {f:28s} people {r['people_total'][-1].mean():14,.0f}  acute {r['spend_acute'].sum(0).mean() / 1e6:12,.1f}m"
        if "net_saving" in r:
            npv = r["net_saving_cumulative_discounted"][-1]
            line += f"  NPV mean {npv.mean() / 1e6:10,.1f}m  P(NPV>0) {np.mean(npv > 0):.3f}"
        print(line)
    print(f"parse+sample: {t_sample:.3f} s")
    print(f"simulation wall time: {t_sim:.3f} s  (summed over processes: {sim_cpu:.3f} s)")
    print(f"whole run wall time: {t_all:.3f} s" + (f"  -> {args.out}" if args.out else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
