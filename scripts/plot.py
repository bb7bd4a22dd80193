#!/usr/bin/python3
"""Plots for a bench-all results file (run by bench-all with /usr/bin/python3 and matplotlib).

Usage: scripts/plot.py RUN/results.json         -> RUN/pareto.png, speed.png, depth.png and plots.json
       scripts/plot.py --data RUN/results.json  -> prints plots.json's content (what `report --check` compares)

Every value comes from the file's "analysis" block, which bench-all derives from the raw samples. The data
each plot is drawn from is computed first and stored in plots.json, so a plot can be checked against its
results without comparing images. Figures of a generated model are titled "synthetic weights".
"""
import json
import os
import sys

SE_NOTE = "error bars: 1 standard error of the PPL delta (paired per-token NLL)"
CI_NOTE = "error bars: 95% bootstrap CI of the median"
LINEAR_PERCENT = 1.0  # pareto: linear axis within +-1% (where the choice between types is made), log beyond


def load(path):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    if doc.get("schema") != "bench-all.results":
        sys.exit(f"plot.py: {path}: not a bench-all results file")
    if "measures" not in doc.get("analysis", {}):
        sys.exit(f"plot.py: {path}: no analysis block (write it with bench-all report)")
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


def wide(s):
    return any(f.startswith("wide spread") for f in s.get("flags", []))


def ci95(s):
    return s.get("ci95", [s["median"], s["median"]])  # too few samples for an interval: none drawn


# ---- data: what each plot shows, computed from the analysis only ----

def pareto_data(doc):
    cells, stats, default, synthetic = index(doc)
    panels = []
    for model in models_with(cells, "ppl"):
        ok = [c for c in cells.values() if c["model"] == model and c["variant"] == default
              and c["metric"] == "ppl" and c["status"] == "ok"]
        if not ok:
            continue
        first = (ok[0]["text"], ok[0]["params"]["ctx"])
        points = []
        for c in ok:
            delta = stats.get((c["id"], "ppl_delta"))
            if (c["text"], c["params"]["ctx"]) != first or delta is None:
                continue
            kv = c["engine"]["kv"]
            base = stats[(c["id"], "ppl")]["median"] - delta["median"]
            points.append({"label": kv_label(c),
                           "bits": (kv["k_bits_per_element"] + kv["v_bits_per_element"]) / 2,
                           "delta_pct": 100 * delta["median"] / base,
                           "se_pct": 100 * delta.get("uncertainty", 0) / base})
        points.sort(key=lambda p: (p["bits"], p["label"]))
        front, best = [], float("inf")
        for p in points:
            if p["delta_pct"] < best:
                front.append(p["label"])
                best = p["delta_pct"]
        panels.append({"model": model, "variant": default, "text": first[0], "ctx": first[1],
                       "title": title(model, synthetic, f"quality vs size, {first[0]} ctx {first[1]}, variant {default}"),
                       "points": points, "front": front})
    return panels


def speed_data(doc):
    cells, stats, default, synthetic = index(doc)
    variants = [v["name"] for v in doc["variants"]]
    panels = []
    for model in models_with(cells, "speed"):
        mine = [c for c in cells.values() if c["model"] == model and c["metric"] == "speed"]
        shapes = sorted({(c["params"]["depth"], c["params"]["n_prompt"], c["params"]["n_gen"], c["threads"]) for c in mine})
        for depth, n_prompt, n_gen, threads in shapes:
            group = [c for c in mine if (c["params"]["depth"], c["params"]["n_prompt"], c["params"]["n_gen"],
                                         c["threads"]) == (depth, n_prompt, n_gen, threads)]
            kvs = []
            for c in group:
                if kv_label(c) not in kvs:
                    kvs.append(kv_label(c))
            tests = {}
            for test, n in (("pp_tok_s", n_prompt), ("tg_tok_s", n_gen)):
                if n == 0:
                    continue
                bars = []
                for variant in variants:
                    for kv in kvs:
                        match = [c for c in group if c["variant"] == variant and kv_label(c) == kv]
                        if not match:
                            continue
                        s = stats.get((match[0]["id"], test)) if match[0]["status"] == "ok" else None
                        bar = {"variant": variant, "kv": kv, "status": match[0]["status"] if not s else "ok"}
                        if s:
                            bar.update({"median": s["median"], "ci95": ci95(s), "wide_spread": wide(s)})
                        bars.append(bar)
                tests[test] = bars
            what = " / ".join(f"{t[:2]}{n}" for t, n in (("pp", n_prompt), ("tg", n_gen)) if n)
            panels.append({"model": model, "depth": depth, "n_prompt": n_prompt, "n_gen": n_gen, "threads": threads,
                           "kvs": kvs, "variants": variants, "tests": tests,
                           "title": title(model, synthetic, f"{what} at depth {depth}, {threads} threads")})
    return panels


def depth_data(doc):
    cells, stats, default, synthetic = index(doc)
    panels = []
    for model in models_with(cells, "speed"):
        mine = [c for c in cells.values() if c["model"] == model and c["metric"] == "speed"
                and c["variant"] == default and c["status"] == "ok"]
        depths = sorted({c["params"]["depth"] for c in mine})
        if len(depths) < 2:
            continue
        series = {}
        for c in sorted(mine, key=lambda c: c["params"]["depth"]):
            for test in ("pp_tok_s", "tg_tok_s"):
                s = stats.get((c["id"], test))
                if s:
                    series.setdefault(test, {}).setdefault(kv_label(c), []).append(
                        {"depth": c["params"]["depth"], "median": s["median"], "ci95": ci95(s)})
        panels.append({"model": model, "variant": default, "depths": depths, "series": series,
                       "title": title(model, synthetic, f"speed by context depth, variant {default}")})
    return panels


def plot_data(doc):
    """What plots.json holds: per PNG, the data it is drawn from (null: no such plot for these results)."""
    pareto, speed, depth = pareto_data(doc), speed_data(doc), depth_data(doc)
    return {"schema": "bench-all.plots", "schema_version": 1,
            "pareto.png": pareto or None, "speed.png": speed or None, "depth.png": depth or None}


# ---- drawing: only from the data above ----

def spread_labels(ax, points):
    """Annotates points, moving a label up while it would overlap one placed before (display pixels)."""
    placed = []
    for p in sorted(points, key=lambda p: (p["bits"], p["delta_pct"])):
        x, y = ax.transData.transform((p["bits"], p["delta_pct"]))
        dy = 4
        while any(abs(x - px) < 70 and abs(y + dy - py) < 11 for px, py in placed):
            dy += 11
        placed.append((x, y + dy))
        ax.annotate(p["label"], (p["bits"], p["delta_pct"]), textcoords="offset points", xytext=(5, dy), fontsize=8,
                    arrowprops={"arrowstyle": "-", "color": "0.6", "lw": 0.5} if dy > 4 else None)


def draw_pareto(plt, panels, out):
    fig, axes = plt.subplots(len(panels), 1, figsize=(9, 5.5 * len(panels)), squeeze=False)
    for ax, panel in zip(axes[:, 0], panels):
        pts = panel["points"]
        ax.errorbar([p["bits"] for p in pts], [p["delta_pct"] for p in pts], yerr=[p["se_pct"] for p in pts],
                    fmt="o", capsize=3, color="tab:blue")
        ax.set_yscale("symlog", linthresh=LINEAR_PERCENT, linscale=2)
        top = max([p["delta_pct"] + p["se_pct"] for p in pts] + [LINEAR_PERCENT])
        ticks = [-LINEAR_PERCENT, -LINEAR_PERCENT / 2, 0, LINEAR_PERCENT / 2, LINEAR_PERCENT]
        while ticks[-1] * 10 <= top * 10 and ticks[-1] < 1e6:
            ticks.append(ticks[-1] * 10)
        ax.set_yticks(ticks)
        ax.set_yticklabels([f"{t:g}%" for t in ticks])
        ax.axhspan(-LINEAR_PERCENT, LINEAR_PERCENT, color="tab:green", alpha=0.06)
        ax.axhline(0, color="0.5", lw=0.7)
        by_label = {p["label"]: p for p in pts}
        front = [by_label[l] for l in panel["front"]]
        if len(front) > 1:
            ax.plot([p["bits"] for p in front], [p["delta_pct"] for p in front], "--", color="gray",
                    label="Pareto front (no smaller type is better)")
            ax.legend(loc="upper right", fontsize=8)
        ax.set_xlabel("K+V bits per element (mean of K and V, headers included)")
        ax.set_ylabel(f"PPL delta vs fp32 cache (%): linear within ±{LINEAR_PERCENT:g}%, log beyond")
        ax.set_title(panel["title"] + "\n" + SE_NOTE, fontsize=10)
        ax.grid(True, alpha=0.3, which="both")
        fig.canvas.draw()  # label placement needs the final axis transform
        spread_labels(ax, pts)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "pareto.png"), dpi=110)
    plt.close(fig)


def draw_speed(plt, panels, out):
    fig, axes = plt.subplots(len(panels), 2, figsize=(13, 4.8 * len(panels)), squeeze=False)
    for row, panel in enumerate(panels):
        variants, kvs = panel["variants"], panel["kvs"]
        width = 0.8 / len(variants)
        for col, test in enumerate(("pp_tok_s", "tg_tok_s")):
            ax = axes[row, col]
            bars = panel["tests"].get(test)
            if bars is None:
                ax.set_axis_off()
                ax.text(0.5, 0.5, f"{test[:2]} not measured in these cells", ha="center", transform=ax.transAxes)
                continue
            shown = set()
            for i, variant in enumerate(variants):
                for b in (b for b in bars if b["variant"] == variant):
                    x = kvs.index(b["kv"]) + i * width
                    if b["status"] != "ok":  # say why there is no bar instead of leaving a silent gap
                        ax.text(x, 0, " " + b["status"], rotation=90, fontsize=7, va="bottom", ha="center",
                                color="firebrick")
                        continue
                    lo, hi = b["median"] - b["ci95"][0], b["ci95"][1] - b["median"]
                    ax.bar(x, b["median"], width, yerr=[[lo], [hi]], capsize=3, color=f"C{i}",
                           hatch="//" if b["wide_spread"] else None, edgecolor="firebrick" if b["wide_spread"] else None,
                           label=variant if variant not in shown else None)
                    shown.add(variant)
                    if b["wide_spread"]:
                        ax.annotate("wide\nspread", (x, b["ci95"][1]), textcoords="offset points", xytext=(0, 3),
                                    ha="center", fontsize=6, color="firebrick")
            ax.set_xticks([j + 0.4 - width / 2 for j in range(len(kvs))])
            ax.set_xticklabels(kvs, rotation=45, ha="right", fontsize=8)
            ax.set_ylabel("tokens/s (median)")
            ax.margins(y=0.12)  # room for the "wide spread" notes above the tallest interval
            ax.set_title(f"{panel['title']}: {test[:2]}\n{CI_NOTE}; hatched: wide spread", fontsize=9)
            if len(variants) > 1:
                ax.legend(fontsize=8, title="variant", title_fontsize=8)
            ax.grid(True, axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "speed.png"), dpi=110)
    plt.close(fig)


def draw_depth(plt, panels, out):
    fig, axes = plt.subplots(len(panels), 2, figsize=(13, 5 * len(panels)), squeeze=False)
    for row, panel in enumerate(panels):
        depths = panel["depths"]
        for col, test in enumerate(("pp_tok_s", "tg_tok_s")):
            ax = axes[row, col]
            series = panel["series"].get(test, {})
            if not series:
                ax.set_axis_off()
                ax.text(0.5, 0.5, f"{test[:2]} not measured at several depths", ha="center", transform=ax.transAxes)
                continue
            # Depths are categories (no line between them: nothing was measured in between); each KV type is
            # offset within its depth so error bars do not overlap.
            step = 0.8 / max(1, len(series))
            for i, (kv, pts) in enumerate(series.items()):
                xs = [depths.index(p["depth"]) - 0.4 + step * (i + 0.5) for p in pts]
                ys = [p["median"] for p in pts]
                err = [[p["median"] - p["ci95"][0] for p in pts], [p["ci95"][1] - p["median"] for p in pts]]
                ax.errorbar(xs, ys, yerr=err, fmt="o", capsize=3, label=kv, color=f"C{i}")
            for k in range(1, len(depths)):
                ax.axvline(k - 0.5, color="0.85", lw=0.8)  # separates the depths
            ax.set_xticks(range(len(depths)))
            ax.set_xticklabels([str(d) for d in depths])
            ax.set_xlabel("tokens already in the cache (depth)")
            ax.set_ylabel(f"{test[:2]} tokens/s (median)")
            ax.set_title(f"{panel['title']}: {test[:2]}\n{CI_NOTE}", fontsize=9)
            ax.legend(fontsize=8, title="K/V type", title_fontsize=8)
            ax.grid(True, axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "depth.png"), dpi=110)
    plt.close(fig)


def main():
    args = sys.argv[1:]
    data_only = args[:1] == ["--data"]
    if data_only:
        args = args[1:]
    if len(args) != 1:
        sys.exit("usage: plot.py [--data] RUN/results.json")
    doc = load(args[0])
    data = plot_data(doc)
    text = json.dumps(data, indent=1, sort_keys=True) + "\n"
    if data_only:
        sys.stdout.write(text)
        return
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    out = os.path.dirname(os.path.abspath(args[0]))
    made = []
    for name, draw in (("pareto.png", draw_pareto), ("speed.png", draw_speed), ("depth.png", draw_depth)):
        if data[name]:
            draw(plt, data[name], out)
            made.append(name)
        elif os.path.exists(os.path.join(out, name)):
            os.remove(os.path.join(out, name))  # a stale plot of earlier results would contradict plots.json
    with open(os.path.join(out, "plots.json"), "w", encoding="utf-8") as f:
        f.write(text)
    print("plot.py: wrote plots.json" + (", " + ", ".join(made) if made else " (no measured cells to plot)"))


if __name__ == "__main__":
    main()
