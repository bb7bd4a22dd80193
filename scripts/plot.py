#!/usr/bin/python3
"""Plots for a bench-all results file (run by bench-all with /usr/bin/python3 and matplotlib).

Usage: scripts/plot.py RUN/results.json   -> RUN/pareto.png, RUN/speed.png, RUN/depth.png

Every value comes from the file's "analysis" block, which bench-all derives from the raw samples.
Figures of a generated model are titled "synthetic weights".
"""
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def load(path):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    if doc.get("schema") != "bench-all.results":
        sys.exit(f"plot.py: {path}: not a bench-all results file")
    return doc


def index(doc):
    cells = {c["id"]: c for c in doc["cells"]}
    stats = {(m["cell"], m["measure"]): m for m in doc["analysis"]["measures"]}
    default = next(v["name"] for v in doc["variants"] if v["default"])
    synthetic = {m["name"] for m in doc["models"] if m["synthetic"]}
    return cells, stats, default, synthetic


def title(model, synthetic, what):
    return f"{model}: {what}" + (" (synthetic weights)" if model in synthetic else "")


def models_with(cells, metric):
    seen = []
    for c in cells.values():
        if c["metric"] == metric and c["status"] == "ok" and c["model"] not in seen:
            seen.append(c["model"])
    return seen


def kv_label(c):
    return c["k_type"] if c["k_type"] == c["v_type"] else f'{c["k_type"]}/{c["v_type"]}'


def pareto(doc, out):
    cells, stats, default, synthetic = index(doc)
    models = models_with(cells, "ppl")
    if not models:
        return False
    fig, axes = plt.subplots(len(models), 1, figsize=(8, 5 * len(models)), squeeze=False)
    for ax, model in zip(axes[:, 0], models):
        ok = [c for c in cells.values() if c["model"] == model and c["variant"] == default
              and c["metric"] == "ppl" and c["status"] == "ok"]
        first = (ok[0]["text"], ok[0]["params"]["ctx"])
        points = []
        for c in ok:
            if (c["text"], c["params"]["ctx"]) != first:
                continue
            kv = c["engine"]["kv"]
            bits = (kv["k_bits_per_element"] + kv["v_bits_per_element"]) / 2
            ppl = stats[(c["id"], "ppl")]
            delta = stats.get((c["id"], "ppl_delta"))
            if delta is None:
                continue
            base = ppl["median"] - delta["median"]
            y = 100 * delta["median"] / base
            err = 100 * delta.get("uncertainty", 0) / base
            points.append((bits, y, err, kv_label(c)))
        for bits, y, err, label in points:
            ax.errorbar(bits, y, yerr=err, fmt="o", capsize=3)
            ax.annotate(label, (bits, y), textcoords="offset points", xytext=(4, 4), fontsize=8)
        front, best = [], float("inf")
        for bits, y, _, _ in sorted(points):
            if y < best:
                front.append((bits, y))
                best = y
        if len(front) > 1:
            ax.plot([p[0] for p in front], [p[1] for p in front], "--", color="gray", label="Pareto front")
            ax.legend()
        ax.set_xlabel("K+V bits per element (mean of K and V, headers included)")
        ax.set_ylabel("PPL delta vs fp32 cache (%)")
        ax.set_title(title(model, synthetic, f"quality vs size, {first[0]} ctx {first[1]}, variant {default}"))
        ax.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "pareto.png"), dpi=110)
    plt.close(fig)
    return True


def speed(doc, out):
    cells, stats, default, synthetic = index(doc)
    models = models_with(cells, "speed")
    if not models:
        return False
    variants = [v["name"] for v in doc["variants"]]
    tests = ["pp_tok_s", "tg_tok_s"]
    fig, axes = plt.subplots(len(models), 2, figsize=(13, 4.5 * len(models)), squeeze=False)
    for row, model in enumerate(models):
        speed_cells = [c for c in cells.values() if c["model"] == model and c["metric"] == "speed"]
        depth = min(c["params"]["depth"] for c in speed_cells)
        kvs = []
        for c in speed_cells:
            if kv_label(c) not in kvs:
                kvs.append(kv_label(c))
        for col, test in enumerate(tests):
            ax = axes[row, col]
            width = 0.8 / len(variants)
            for i, variant in enumerate(variants):
                xs, ys, lo, hi = [], [], [], []
                for j, kv in enumerate(kvs):
                    match = [c for c in speed_cells if c["variant"] == variant and kv_label(c) == kv
                             and c["params"]["depth"] == depth and c["status"] == "ok"]
                    s = stats.get((match[0]["id"], test)) if match else None
                    if not s:
                        failed = [c for c in speed_cells if c["variant"] == variant and kv_label(c) == kv
                                  and c["params"]["depth"] == depth]
                        if failed:  # say why there is no bar instead of leaving a silent gap
                            ax.text(j + i * width, 0, " " + failed[0]["status"], rotation=90, fontsize=7,
                                    va="bottom", ha="center", color="firebrick")
                        continue
                    xs.append(j + i * width)
                    ys.append(s["median"])
                    lo.append(s["median"] - s["ci95"][0])
                    hi.append(s["ci95"][1] - s["median"])
                if xs:
                    ax.bar(xs, ys, width, yerr=[lo, hi], capsize=3, label=variant)
            ax.set_xticks([j + 0.4 - width / 2 for j in range(len(kvs))])
            ax.set_xticklabels(kvs, rotation=45, ha="right", fontsize=8)
            ax.set_ylabel("tokens/s (median, 95% CI)")
            ax.set_title(title(model, synthetic, f"{test[:2]} at depth {depth}"))
            ax.legend(fontsize=8)
            ax.grid(True, axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "speed.png"), dpi=110)
    plt.close(fig)
    return True


def depth(doc, out):
    cells, stats, default, synthetic = index(doc)
    models = [m for m in models_with(cells, "speed")
              if len({c["params"]["depth"] for c in cells.values()
                      if c["model"] == m and c["metric"] == "speed" and c["status"] == "ok"}) > 1]
    if not models:
        return False
    fig, axes = plt.subplots(len(models), 1, figsize=(8, 5 * len(models)), squeeze=False)
    for ax, model in zip(axes[:, 0], models):
        series = {}
        for c in cells.values():
            if c["model"] != model or c["metric"] != "speed" or c["variant"] != default or c["status"] != "ok":
                continue
            test = "tg_tok_s" if c["params"]["n_gen"] > 0 else "pp_tok_s"
            s = stats.get((c["id"], test))
            if s:
                series.setdefault(kv_label(c), []).append((c["params"]["depth"], s))
        for kv, pts in series.items():
            pts.sort(key=lambda p: p[0])
            xs = [p[0] for p in pts]
            ys = [p[1]["median"] for p in pts]
            err = [[p[1]["median"] - p[1]["ci95"][0] for p in pts], [p[1]["ci95"][1] - p[1]["median"] for p in pts]]
            ax.errorbar(xs, ys, yerr=err, marker="o", capsize=3, label=kv)
        ax.set_xlabel("tokens already in the cache (depth)")
        ax.set_ylabel("generation tokens/s (median, 95% CI)")
        ax.set_title(title(model, synthetic, f"speed vs context depth, variant {default}"))
        ax.legend(fontsize=8)
        ax.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "depth.png"), dpi=110)
    plt.close(fig)
    return True


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: plot.py RUN/results.json")
    path = sys.argv[1]
    doc = load(path)
    out = os.path.dirname(os.path.abspath(path))
    made = [name for name, fn in (("pareto.png", pareto), ("speed.png", speed), ("depth.png", depth)) if fn(doc, out)]
    print("plot.py: wrote " + (", ".join(made) if made else "nothing (no measured cells)"))


if __name__ == "__main__":
    main()
