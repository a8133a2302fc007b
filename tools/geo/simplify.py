#!/usr/bin/env python3
"""Simplify the Indonesian boundary files into compact SVG-ready JSON for server-side maps.

Usage:
    python3 tools/geo/simplify.py /path/to/shared/data/geo crates/web/assets/geo

Reads `provinces.geojson` (38 features) and `regencies.geojson` (514 features) from the input
directory and writes `provinces.json` and `regencies.json` to the output directory, plus the
upstream licence file. Python 3.11, standard library only.

Projection: equirectangular ("plate carree") with x scaled by cos(mean latitude of the frame):
    x = (lon - 95.0) * cos(-2.5 deg) * k,    y = (6.1 - lat) * k
with k chosen so the frame 95.0E..141.1E is 1000 units wide; the frame 11.1S..6.1N is then
~373 units high. North is up, y grows southwards (SVG convention). Over Indonesia's latitudes
(within 11 degrees of the equator) this differs from Web-Mercator by under 2% in height.

Simplification is topology-aware: vertices where rings meet (junctions, as in TopoJSON) are
kept fixed, the borders between junctions are simplified with Douglas-Peucker once and shared
by both neighbours, so neighbouring shapes keep a common border without slivers or gaps.
Coordinates are rounded to 0.1 unit after simplification. A ring that collapses below 3
distinct points is dropped (with its holes), except that every feature keeps its largest ring
(re-simplified at a smaller tolerance if needed). The tolerance for each file is the smallest
value of a fixed ladder whose output fits the size budget (provinces <= 150 KB, regencies
<= 450 KB), i.e. as much detail as the budget allows.

Output per file (compact JSON, features sorted by code):
    {"source": ..., "width": W, "height": H, "projection": ..., "tolerance": t,
     "abroad": {"MYS": [x, y], ...},
     "features": [{"code", "name", "parent", "d", "cx", "cy", "bbox": [x0, y0, x1, y1]}]}
`d` is an SVG path: per ring `m dx dy dx dy ... z`, all relative (the first `m` of a path is
absolute by the SVG rules; later `m` are relative to the previous ring's start point), numbers
in 0.1 units written as short as possible (`-.3`, `12`, `1.5.3` = 1.5 then .3).
(cx, cy) is the pole of inaccessibility (polylabel) of the feature's largest polygon: a point
well inside it, for labels and flow-map arcs. Two provinces are exceptions (ANCHOR_PART): most
of their people live on an island other than their largest one, so the anchor goes there.

"abroad" holds schematic anchors for flows to other countries (see ABROAD below): they are not
geographic positions.
"""

from __future__ import annotations

import heapq
import json
import math
import shutil
import sys
from pathlib import Path

WIDTH = 1000.0
LON_W, LON_E = 95.0, 141.1
LAT_S, LAT_N = -11.1, 6.1
PHI0 = (LAT_S + LAT_N) / 2.0
COS0 = math.cos(math.radians(PHI0))
K = WIDTH / ((LON_E - LON_W) * COS0)
HEIGHT = round((LAT_N - LAT_S) * K, 1)

PROJECTION = (
    f"equirectangular, x=(lon-{LON_W})*cos({PHI0} deg)*k, y=({LAT_N}-lat)*k, "
    f"k={K:.4f} units/deg; frame {LON_W}E..{LON_E}E, {-LAT_S}S..{LAT_N}N; north up"
)
SOURCE = (
    "cahyadsn/wilayah_boundaries (MIT), Kemendagri codes, 2025 decree (38 provinces); "
    "Batas wilayah: cahyadsn/wilayah_boundaries (MIT)"
)

BUDGET = {"provinces": 150 * 1024, "regencies": 450 * 1024}
# Tolerances tried (SVG units; 1 unit ~ 5.1 km), smallest first.
LADDER = [0.05, 0.08, 0.1, 0.12, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.8, 1.0, 1.5, 2.0]

# Schematic anchors for flows abroad, as (lon, lat) in the same projection. These are NOT
# geographic positions: Malaysia, Singapore, Brunei and Timor-Leste sit at their real place
# (inside the frame); every other country sits on the edge of the frame in its rough direction,
# spread out so arcs stay distinguishable: the Gulf on the west edge (north to south),
# mainland/East Asia and the Philippines on the north edge (west to east), Australia on the
# south edge towards Darwin, and everything else ("OTHER") at the south-west corner.
ABROAD = {
    "MYS": (101.7, 3.15),  # Kuala Lumpur
    "SGP": (103.82, 1.35),
    "BRN": (114.94, 4.9),  # Bandar Seri Begawan
    "TLS": (125.57, -8.56),  # Dili
    "KWT": (LON_W, 0.8),
    "QAT": (LON_W, -0.4),
    "SAU": (LON_W, -1.6),
    "ARE": (LON_W, -2.8),
    "OMN": (LON_W, -4.0),
    "THA": (100.5, LAT_N),
    "KHM": (104.9, LAT_N),
    "CHN": (109.5, LAT_N),
    "HKG": (114.2, LAT_N),
    "TWN": (119.5, LAT_N),
    "PHL": (124.5, LAT_N),
    "KOR": (129.5, LAT_N),
    "JPN": (135.0, LAT_N),
    "AUS": (131.0, LAT_S),
    "OTHER": (LON_W, LAT_S),
}


# Provinces whose anchor goes in the part containing this (lon, lat) instead of their largest
# part, because most of the population lives there (checked against population.csv of
# cahyadsn/wilayah: the largest part of 21 holds 84k people, Batam 1.34M; NTB's Sumbawa 1.67M,
# Lombok 4.08M). Flows from/to these provinces should start at Batam and Lombok.
ANCHOR_PART = {
    "21": (104.05, 1.1),  # Kepulauan Riau: Batam, not Natuna Besar
    "52": (116.3, -8.6),  # Nusa Tenggara Barat: Lombok, not Sumbawa
}


def project(lon: float, lat: float) -> tuple[float, float]:
    return ((lon - LON_W) * COS0 * K, (LAT_N - lat) * K)


# ---------------------------------------------------------------------------------------------
# geometry helpers


def ring_area(r: list) -> float:
    """Signed shoelace area (open ring: last point != first)."""
    a = 0.0
    n = len(r)
    for i in range(n):
        x0, y0 = r[i]
        x1, y1 = r[(i + 1) % n]
        a += x0 * y1 - x1 * y0
    return a / 2.0


def seg_dist2(p, a, b) -> float:
    ax, ay = a
    bx, by = b
    px, py = p
    dx, dy = bx - ax, by - ay
    if dx == 0 and dy == 0:
        return (px - ax) ** 2 + (py - ay) ** 2
    t = ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)
    t = max(0.0, min(1.0, t))
    qx, qy = ax + t * dx, ay + t * dy
    return (px - qx) ** 2 + (py - qy) ** 2


def douglas_peucker(pts: list, tol: float) -> list:
    """Open polyline; both ends kept."""
    n = len(pts)
    if n <= 2:
        return list(pts)
    keep = [False] * n
    keep[0] = keep[-1] = True
    tol2 = tol * tol
    stack = [(0, n - 1)]
    while stack:
        i, j = stack.pop()
        if j <= i + 1:
            continue
        a, b = pts[i], pts[j]
        best, idx = -1.0, -1
        for k in range(i + 1, j):
            d = seg_dist2(pts[k], a, b)
            if d > best:
                best, idx = d, k
        if best > tol2:
            keep[idx] = True
            stack.append((i, idx))
            stack.append((idx, j))
    return [p for p, k in zip(pts, keep) if k]


def simplify_closed(ring: list, tol: float) -> list:
    """Closed ring without junctions (open list). Split at the point farthest from the first."""
    if len(ring) <= 3:
        return list(ring)
    p0 = ring[0]
    far = max(range(len(ring)), key=lambda i: (ring[i][0] - p0[0]) ** 2 + (ring[i][1] - p0[1]) ** 2)
    a = douglas_peucker(ring[: far + 1], tol)
    b = douglas_peucker(ring[far:] + [ring[0]], tol)
    return a[:-1] + b[:-1]


def point_in_ring(x: float, y: float, r: list) -> bool:
    inside = False
    n = len(r)
    j = n - 1
    for i in range(n):
        xi, yi = r[i]
        xj, yj = r[j]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def point_to_polygon_dist(x: float, y: float, rings: list) -> float:
    """Signed distance to the polygon outline (positive inside), even-odd over all rings."""
    inside = False
    best = math.inf
    for r in rings:
        n = len(r)
        j = n - 1
        for i in range(n):
            a, b = r[i], r[j]
            if (a[1] > y) != (b[1] > y) and x < (b[0] - a[0]) * (y - a[1]) / (b[1] - a[1]) + a[0]:
                inside = not inside
            best = min(best, seg_dist2((x, y), a, b))
            j = i
    d = math.sqrt(best)
    return d if inside else -d


def polylabel(rings: list, precision: float = 0.1) -> tuple[float, float]:
    """Pole of inaccessibility (Mapbox polylabel algorithm) of a polygon with holes."""
    outer = rings[0]
    xs = [p[0] for p in outer]
    ys = [p[1] for p in outer]
    minx, miny, maxx, maxy = min(xs), min(ys), max(xs), max(ys)
    w, h = maxx - minx, maxy - miny
    size = min(w, h)
    if size <= 0:
        return (minx, miny)
    half = size / 2.0
    heap: list = []

    def push(cx: float, cy: float, hh: float) -> None:
        d = point_to_polygon_dist(cx, cy, rings)
        mx = d + hh * math.sqrt(2)
        heapq.heappush(heap, (-mx, d, cx, cy, hh))

    x = minx
    while x < maxx:
        y = miny
        while y < maxy:
            push(x + half, y + half, half)
            y += size
        x += size
    # initial guess: area centroid of the outer ring (if inside), else bbox centre
    a = ring_area(outer)
    if a != 0:
        cx = cy = 0.0
        n = len(outer)
        for i in range(n):
            x0, y0 = outer[i]
            x1, y1 = outer[(i + 1) % n]
            f = x0 * y1 - x1 * y0
            cx += (x0 + x1) * f
            cy += (y0 + y1) * f
        cx /= 6 * a
        cy /= 6 * a
    else:
        cx, cy = minx + w / 2, miny + h / 2
    best = (point_to_polygon_dist(cx, cy, rings), cx, cy)
    bb = (point_to_polygon_dist(minx + w / 2, miny + h / 2, rings), minx + w / 2, miny + h / 2)
    if bb[0] > best[0]:
        best = bb
    while heap:
        negmx, d, cx, cy, hh = heapq.heappop(heap)
        if d > best[0]:
            best = (d, cx, cy)
        if -negmx - best[0] <= precision:
            continue
        hh /= 2
        for dx in (-hh, hh):
            for dy in (-hh, hh):
                push(cx + dx, cy + dy, hh)
    return (best[1], best[2])


# ---------------------------------------------------------------------------------------------
# loading and topology


def load(path: Path) -> list[dict]:
    """Features with their polygons as lists of open projected rings."""
    data = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for f in data["features"]:
        props = f["properties"]
        code = str(props["code"])
        assert str(f.get("id", code)) == code, code
        g = f["geometry"]
        polys = [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]
        polygons = []
        for poly in polys:
            rings = []
            for ring in poly:
                pts = []
                for lon, lat in ring:
                    p = project(lon, lat)
                    if not pts or pts[-1] != p:
                        pts.append(p)
                while len(pts) > 1 and pts[-1] == pts[0]:
                    pts.pop()
                if len(pts) >= 3:
                    rings.append(pts)
            if rings:
                polygons.append(rings)
        out.append(
            {
                "code": code,
                "name": props["name"],
                "parent": props.get("province_code"),
                "polygons": polygons,
            }
        )
    out.sort(key=lambda f: f["code"])
    return out


def find_junctions(features: list[dict]) -> set:
    """Points whose neighbours differ between occurrences (TopoJSON's rule)."""
    seen: dict = {}
    junctions: set = set()
    for f in features:
        for poly in f["polygons"]:
            for r in poly:
                n = len(r)
                for i in range(n):
                    p = r[i]
                    a, b = r[i - 1], r[(i + 1) % n]
                    nb = (a, b) if a <= b else (b, a)
                    prev = seen.get(p)
                    if prev is None:
                        seen[p] = nb
                    elif prev != nb:
                        junctions.add(p)
    return junctions


class Simplifier:
    def __init__(self, junctions: set, tol: float):
        self.junctions = junctions
        self.tol = tol
        self.cache: dict = {}

    def arc(self, pts: list) -> list:
        """Open arc between two fixed ends, simplified identically whichever way it is walked."""
        t = tuple(pts)
        rt = t[::-1]
        key, rev = (t, False) if t <= rt else (rt, True)
        s = self.cache.get(key)
        if s is None:
            s = douglas_peucker(list(key), self.tol)
            self.cache[key] = s
        return s[::-1] if rev else s

    def ring(self, r: list, tol: float | None = None) -> list:
        if tol is not None:
            return simplify_closed(r, tol)
        js = [i for i, p in enumerate(r) if p in self.junctions]
        if not js:
            # canonical start and direction so identical free rings (enclaves) match
            i0 = min(range(len(r)), key=lambda i: r[i])
            rot = r[i0:] + r[:i0]
            back = [rot[0]] + rot[1:][::-1]
            t, tb = tuple(rot), tuple(back)
            key, rev = (t, False) if t <= tb else (tb, True)
            s = self.cache.get(("ring", key))
            if s is None:
                s = simplify_closed(list(key), self.tol)
                self.cache[("ring", key)] = s
            return ([s[0]] + s[1:][::-1]) if rev else s
        rot = r[js[0] :] + r[: js[0]]
        js = [j - js[0] for j in js] + [len(r)]
        rot = rot + [rot[0]]
        out: list = []
        for a, b in zip(js, js[1:]):
            piece = self.arc(rot[a : b + 1])
            out.extend(piece[:-1])
        return out


def to_grid(r: list) -> list[tuple[int, int]]:
    """Round to 0.1 unit (integers in tenths), drop repeats."""
    out: list = []
    for x, y in r:
        p = (round(x * 10), round(y * 10))
        if not out or out[-1] != p:
            out.append(p)
    while len(out) > 1 and out[-1] == out[0]:
        out.pop()
    return out


def distinct(r: list) -> int:
    return len(set(r))


def fmt(n: int) -> str:
    """Tenths as the shortest decimal: 5 -> '.5', -15 -> '-1.5', 20 -> '2'."""
    neg = n < 0
    n = abs(n)
    i, f = divmod(n, 10)
    s = (str(i) if i else "") + (f".{f}" if f else "")
    if not s:
        s = "0"
    return ("-" + s) if neg else s


def join_numbers(nums: list[str]) -> str:
    out = []
    prev = ""
    for s in nums:
        if prev and not (s.startswith("-") or (s.startswith(".") and "." in prev)):
            out.append(" ")
        out.append(s)
        prev = s
    return "".join(out)


def path_d(rings: list) -> str:
    """Relative path: 'm x y dx dy ... z' per ring; later 'm' relative to previous ring start."""
    parts = []
    start = (0, 0)
    for r in rings:
        nums = [fmt(r[0][0] - start[0]), fmt(r[0][1] - start[1])]
        px, py = r[0]
        for x, y in r[1:]:
            nums.append(fmt(x - px))
            nums.append(fmt(y - py))
            px, py = x, y
        parts.append("m" + join_numbers(nums) + "z")
        start = r[0]
    return "".join(parts)


def build(features: list[dict], junctions: set, tol: float) -> list[dict]:
    simp = Simplifier(junctions, tol)
    out = []
    for f in features:
        # the feature's largest outer ring (by source area) is never dropped
        big = max(
            ((pi, abs(ring_area(p[0]))) for pi, p in enumerate(f["polygons"])),
            key=lambda t: t[1],
        )[0]
        polys = []
        for pi, poly in enumerate(f["polygons"]):
            rings = []
            for ri, r in enumerate(poly):
                g = to_grid(simp.ring(r))
                if distinct(g) < 3 or ring_area(g) == 0:
                    if pi == big and ri == 0:
                        t = tol
                        while (distinct(g) < 3 or ring_area(g) == 0) and t > 1e-3:
                            t /= 2
                            g = to_grid(simp.ring(r, t))
                        if distinct(g) < 3 or ring_area(g) == 0:
                            g = to_grid(r)
                    else:
                        if ri == 0:
                            break  # outer ring gone: drop its holes too
                        continue
                rings.append(g)
            if rings:
                polys.append((pi, rings))
        assert polys, f["code"]
        allpts = [p for _, rings in polys for r in rings for p in r]
        xs = [p[0] for p in allpts]
        ys = [p[1] for p in allpts]
        home = big
        if f["code"] in ANCHOR_PART:
            hx, hy = project(*ANCHOR_PART[f["code"]])
            home = next(
                (pi for pi, rings in polys if point_in_ring(hx * 10, hy * 10, rings[0])),
                big,
            )
            assert home != big, f["code"]
        main = next(rings for pi, rings in polys if pi == home)
        fl = [[(x / 10, y / 10) for x, y in r] for r in main]
        cx, cy = polylabel(fl, precision=0.05)
        out.append(
            {
                "code": f["code"],
                "name": f["name"],
                "parent": f["parent"],
                "d": path_d([r for _, rings in polys for r in rings]),
                "cx": round(cx, 1),
                "cy": round(cy, 1),
                "bbox": [min(xs) / 10, min(ys) / 10, max(xs) / 10, max(ys) / 10],
            }
        )
    return out


def number(v: float):
    return int(v) if float(v).is_integer() else v


def encode(features: list[dict], tol: float) -> str:
    for f in features:
        f["cx"], f["cy"] = number(f["cx"]), number(f["cy"])
        f["bbox"] = [number(v) for v in f["bbox"]]
    abroad = {}
    for k, (lon, lat) in ABROAD.items():
        x, y = project(lon, lat)
        abroad[k] = [number(round(x, 1)), number(round(y, 1))]
    doc = {
        "source": SOURCE,
        "width": number(WIDTH),
        "height": number(HEIGHT),
        "projection": PROJECTION,
        "tolerance": tol,
        "abroad": abroad,
        "features": features,
    }
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    src, dst = Path(argv[1]), Path(argv[2])
    dst.mkdir(parents=True, exist_ok=True)
    expected = {"provinces": 38, "regencies": 514}
    for name, count in expected.items():
        feats = load(src / f"{name}.geojson")
        assert len(feats) == count, (name, len(feats))
        assert len({f["code"] for f in feats}) == count, name
        junctions = find_junctions(feats)
        chosen = None
        for tol in LADDER:
            text = encode(build(feats, junctions, tol), tol)
            size = len(text.encode("utf-8"))
            if size <= BUDGET[name]:
                chosen = (tol, text, size)
                break
            print(f"{name}: tolerance {tol}: {size} bytes, over budget", file=sys.stderr)
        if chosen is None:
            print(f"{name}: no tolerance fits {BUDGET[name]} bytes", file=sys.stderr)
            return 1
        tol, text, size = chosen
        doc = json.loads(text)
        assert [f["code"] for f in doc["features"]] == sorted(f["code"] for f in feats)
        assert all(f["d"] for f in doc["features"])
        (dst / f"{name}.json").write_text(text, encoding="utf-8")
        npts = sum(f["d"].count("z") for f in doc["features"])
        print(
            f"{name}: {len(doc['features'])} features, {npts} rings, "
            f"tolerance {tol} units, {size} bytes -> {dst / (name + '.json')}"
        )
    lic = src / "LICENSE-cahyadsn-wilayah_boundaries.txt"
    if lic.exists():
        shutil.copyfile(lic, dst / lic.name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
