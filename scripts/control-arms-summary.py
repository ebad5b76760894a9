#!/usr/bin/env python3
"""Summarises scripts/control-arms.sh output: per run and per arm (mean and spread over seeds) the
selection and held-out NDCG gains of the final best over the baseline, and the held-out evaluation's
share of the loop's wall time. Reads only what the runs recorded (meta.json, run.jsonl).

    scripts/control-arms-summary.py OUT [ITERS]

The per-arm table counts only runs that completed ITERS iterations (default 50).
"""
import json
import statistics
import sys
from datetime import datetime
from pathlib import Path


def ts(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def run_figures(run):
    meta = json.loads((run / "meta.json").read_text())
    lines = [json.loads(l) for l in (run / "run.jsonl").read_text().splitlines() if l.strip()]
    summary = meta.get("summary", {})
    primary = meta["settings"]["objective"]
    sel = (summary.get("selection_vs_baseline") or {}).get(primary)
    held = ((summary.get("holdout") or {}).get("vs_baseline") or {}).get(primary)
    iters = [l for l in lines if l["iteration"] > 0]
    holdout_ms = sum((l.get("holdout") or {}).get("eval_ms", 0.0) for l in iters)
    wall_ms = (ts(iters[-1]["timestamp"]) - ts(lines[0]["timestamp"])).total_seconds() * 1000 if iters else 0.0
    accepted = sum(1 for l in iters if l["status"] == "accepted")
    # Selection ranking and scoring time of every candidate plus the held-out time: the CPU work of
    # the loop itself, less sensitive than wall time to other load on a shared machine.
    rank_ms = sum(l["timings"]["compile_ms"] + l["timings"]["eval_ms"] for l in iters) + holdout_ms
    return {
        "run": str(run),
        "seed": meta["settings"]["seed"],
        "iterations": len(iters),
        "best": summary.get("best_iteration"),
        "accepted": accepted,
        "selection_users": len(meta["cohort"]["user_ids"]),
        "holdout_users": len(meta.get("split", {}).get("holdout", {}).get("user_ids", [])),
        "selection": sel,
        "holdout": held,
        "holdout_ms": holdout_ms,
        "wall_ms": wall_ms,
        "rank_ms": rank_ms,
    }


def pct(stat, key="relative"):
    return 100.0 * stat[key] if stat and stat.get(key) is not None else float("nan")


def main(out, need=50):
    out = Path(out)
    arms = {}
    for arm_dir in sorted((out / "runs").iterdir()):
        for run in sorted(arm_dir.iterdir()):
            if (run / "meta.json").exists():
                arms.setdefault(arm_dir.name, []).append(run_figures(run))
    print("| run | seed | iterations | accepted | best | selection gain (rel., 95 % CI) | held-out gain (rel., 95 % CI, p) | held-out eval share of wall time | of ranking time |")
    print("|---|---|---|---|---|---|---|---|---|")
    for arm, runs in arms.items():
        for r in runs:
            s, h = r["selection"], r["holdout"]
            fmt = lambda x: "-" if not x else f"{x['mean_diff']:+.4f} ({100*x['relative']:+.1f} %, [{x['ci_low']:+.4f}, {x['ci_high']:+.4f}], p {x['p_value']:.4f})"
            share = 100.0 * r["holdout_ms"] / r["wall_ms"] if r["wall_ms"] else float("nan")
            of_rank = 100.0 * r["holdout_ms"] / r["rank_ms"] if r["rank_ms"] else float("nan")
            print(f"| {arm} | {r['seed']} | {r['iterations']} | {r['accepted']} | {r['best']} | {fmt(s)} | {fmt(h)} | {share:.2f} % | {of_rank:.2f} % |")
    print()
    print("| arm | seeds | held-out NDCG gain, mean (min … max) | selection NDCG gain, mean (min … max) | generalisation gap (selection − held-out), mean |")
    print("|---|---|---|---|---|")
    for arm, runs in arms.items():
        done = [r for r in runs if r["iterations"] >= need]
        h = [pct(r["holdout"]) if r["holdout"] else 0.0 for r in done]
        s = [pct(r["selection"]) if r["selection"] else 0.0 for r in done]
        if not done:
            continue
        gap = statistics.mean(a - b for a, b in zip(s, h))
        print(f"| {arm} | {len(done)} | {statistics.mean(h):+.1f} % ({min(h):+.1f} … {max(h):+.1f}) | "
              f"{statistics.mean(s):+.1f} % ({min(s):+.1f} … {max(s):+.1f}) | {gap:+.1f} points |")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 50)
