#!/usr/bin/env bash
# Record linkage: the Splink baseline and Gugus' engine (crates/linkage) on the same files, one
# after the other in one session (never both at once: they would share the cores). Run from
# the repository root (the folder that has ../shared):
#   bash bench/linkage.sh                 # FEBRL3, FEBRL4, synthetic 100k and 1M, both engines
#   SKIP_SPLINK=1 bash bench/linkage.sh   # our engine only (reuses earlier Splink results)
#   RUN_1M=0 bash bench/linkage.sh        # without the 1,000,000-record set
# Results: $LINKAGE_BENCH_OUT (default bench-results/linkage): Splink's <job>.json from
# ../shared/bench/linkage/run.sh, ours gugus_<job>.json / .txt / .time.txt. Needs GNU time.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
OUT=${LINKAGE_BENCH_OUT:-bench-results/linkage}
export LINKAGE_BENCH_OUT=$OUT
RUN_1M=${RUN_1M:-1}
SHARED=$ROOT/../shared
D=$SHARED/data
mkdir -p "$OUT/work"
[ -x /usr/bin/time ] || { echo "linkage.sh: GNU time is missing at /usr/bin/time" >&2; exit 1; }

echo "== building the engine (release)"
cargo build --release -q -p linkage --example linkage_bench
BIN=${CARGO_TARGET_DIR:-target}/release/examples/linkage_bench

if [ "$RUN_1M" = 1 ] && [ ! -f "$OUT/work/persons_1m.csv.gz" ]; then
  echo "== generating $OUT/work/persons_1m.csv.gz (about 1 min)"
  python3 "$D/synthetic-persons/generate_persons.py" --n 1000000 --seed 42 \
    --out "$OUT/work/persons_1m.partial.csv.gz"
  mv "$OUT/work/persons_1m.partial.csv.gz" "$OUT/work/persons_1m.csv.gz"
fi

if [ "${SKIP_SPLINK:-0}" != 1 ]; then
  echo "== Splink baseline (../shared/bench/linkage/run.sh)"
  RUN_1M=$RUN_1M bash "$SHARED/bench/linkage/run.sh"
fi

ours() {  # name, files...
  local name=$1; shift
  echo "== gugus linkage: $name"
  /usr/bin/time -v "$BIN" --json "$OUT/gugus_$name.json" "$@" > "$OUT/gugus_$name.txt" \
    2> "$OUT/gugus_$name.time.txt"
  cat "$OUT/gugus_$name.txt"
  grep -E "Elapsed|Maximum resident" "$OUT/gugus_$name.time.txt"
}
ours febrl3 "$D/febrl/febrl3.csv"
ours febrl4 "$D/febrl/febrl4a.csv" "$D/febrl/febrl4b.csv"
ours persons_100k "$D/synthetic-persons/persons_100k.csv.gz"
if [ "$RUN_1M" = 1 ]; then
  ours persons_1m "$OUT/work/persons_1m.csv.gz"
fi

echo
python3 - "$OUT" <<'PY'
import json, re, sys
from pathlib import Path
R = Path(sys.argv[1])
def wall_rss(name):
    p = R / f"{name}.time.txt"
    if not p.exists():
        return "", float("nan")
    t = p.read_text()
    w = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", t)
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", t)
    return (w.group(1) if w else ""), (int(m.group(1)) / 1024 if m else float("nan"))
jobs = [("FEBRL3", "febrl3", "febrl3"), ("FEBRL4 (link)", "febrl4", "febrl4"),
        ("synthetic 100k", "persons_100k_nikaware", "persons_100k"),
        ("synthetic 1M", "persons_1m_nikaware", "persons_1m")]
print("| dataset | engine | records | candidate pairs | blocking recall | train s | block+score s | cluster s | total s | wall | peak RSS MiB | P@0.9 | R@0.9 | F1@0.9 | cluster P | cluster R | cluster F1 |")
print("|" + "---|" * 17)
ratios = []
for label, splink, ours in jobs:
    s, g = R / f"{splink}.json", R / f"gugus_{ours}.json"
    st = None
    if s.exists():
        d = json.loads(s.read_text()); t = d["timing_s"]; pw = d["pairwise"]["0.9"]; c = d["clusters"]
        w, rss = wall_rss(splink); st = t["total"]
        print(f"| {label} | Splink 4 ({d.get('model') or 'febrl'}) | {d['records']:,} | {d.get('candidate_pairs', 0):,} | {d['blocking']['blocking_recall']:.3f} "
              f"| {t['train']:.1f} | {t['predict']:.1f} | {t['cluster']:.1f} | {t['total']:.1f} | {w} | {rss:,.0f} "
              f"| {pw['precision']:.3f} | {pw['recall']:.3f} | {pw['f1']:.3f} | {c['precision']:.3f} | {c['recall']:.3f} | {c['f1']:.3f} |")
    if g.exists():
        d = json.loads(g.read_text()); t = d["times_s"]; pw = [x for x in d["pairwise"] if x["threshold"] == 0.9][0]; c = d["cluster"]
        w, rss = wall_rss(f"gugus_{ours}")
        print(f"| {label} | Gugus linkage | {d['records']:,} | {d['candidate_pairs']:,} | {d['blocking_recall']:.3f} "
              f"| {t['train']:.1f} | {t['block_score']:.1f} | {t['cluster']:.1f} | {t['total']:.1f} | {w} | {rss:,.0f} "
              f"| {pw['precision']:.3f} | {pw['recall']:.3f} | {pw['f1']:.3f} | {c['precision']:.3f} | {c['recall']:.3f} | {c['f1']:.3f} |")
        if st:
            ratios.append((label, st / max(t["total"], 1e-9)))
            if "1M" in label and (R / "persons_1m_naive.json").exists():
                naive = json.loads((R / "persons_1m_naive.json").read_text())["timing_s"]["total"]
                ratios.append((label + " (Splink naive)", naive / max(t["total"], 1e-9)))
print()
for label, r in ratios:
    print(f"{label}: Splink total s / ours = {r:.1f}x")
for ours in ("persons_100k", "persons_1m"):
    g = R / f"gugus_{ours}.json"
    if g.exists():
        i = json.loads(g.read_text())["incremental"]
        print(f"incremental check {ours}: {i['held_out']} held-out records, median {i['median_ms']:.3f} ms, p99 {i['p99_ms']:.3f} ms, max {i['max_ms']:.3f} ms")
PY
