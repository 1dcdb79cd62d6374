"""The HARES report: score = plain mean of the task scores that ran (docs/paper-facts.md section 2:
unweighted mean of raw task scores in %, not the mean of domain means), domain means, the missing
tasks named; as a Markdown table, JSON, CSV and a bar chart PNG, several models side by side.

`results` everywhere is {model name: {task name: score as a fraction}}.
"""

import csv
import dataclasses
import json
import os

import numpy as np

from zoo.hares.tasks import DOMAINS, get_task, list_tasks
from zoo.errors import ConfigError


def summarize(scores, group=None):
    """{task: fraction} -> {"score": mean %, "domains": {domain: mean %}, "tasks_run": n, "missing": [...]}.

    `group` ("hares" or "mini") names the suite whose absent tasks are listed as missing; by default
    the suite of the first task."""
    if not scores:
        raise ConfigError("no task scores to summarise")
    group = group or get_task(next(iter(scores))).group
    domains = {}
    for domain in DOMAINS:
        values = [100 * s for t, s in scores.items() if get_task(t).domain == domain]
        if values:
            domains[domain] = float(np.mean(values))
    return {"score": float(np.mean([100 * s for s in scores.values()])), "domains": domains,
            "tasks_run": len(scores), "missing": [t for t in list_tasks(group) if t not in scores]}


def markdown_table(results):
    """Models as rows, tasks as columns (in %), then domain averages and the HARES mean in bold."""
    tasks = list(dict.fromkeys(t for scores in results.values() for t in scores))
    header = ["model"] + tasks + [f"{d[:3]}. avg" for d in DOMAINS] + ["mean"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    summaries = {model: summarize(scores) for model, scores in results.items()}
    for model, scores in results.items():
        summary = summaries[model]
        cells = [f"{100 * scores[t]:.1f}" if t in scores else "-" for t in tasks]
        cells += [f"{summary['domains'][d]:.1f}" if d in summary["domains"] else "-" for d in DOMAINS]
        lines.append("| " + " | ".join([model] + cells + [f"**{summary['score']:.1f}**"]) + " |")
    missing = sorted({t for summary in summaries.values() for t in summary["missing"]})
    if missing:
        lines.append(f"\nNot run (the mean covers only the tasks that ran): {', '.join(missing)}")
    return "\n".join(lines)


def write_report(results, out_dir, title="HARES linear probe", settings=None):
    """Write `scores.json`, `scores.csv`, `scores.md` and `scores.png` into `out_dir`; returns their
    paths. With `settings` (a `ProbeSettings`), the JSON records them under each model's "probe"
    and the Markdown ends with them."""
    os.makedirs(out_dir, exist_ok=True)
    paths = {kind: os.path.join(out_dir, f"scores.{kind}") for kind in ("json", "csv", "md", "png")}
    probe = {"probe": dataclasses.asdict(settings)} if settings is not None else {}
    with open(paths["json"], "w") as f:
        json.dump({model: {"tasks": scores, **summarize(scores), **probe} for model, scores in results.items()}, f,
                  indent=1)
    with open(paths["csv"], "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["model", "task", "domain", "metric", "score_percent"])
        for model, scores in results.items():
            for task, score in scores.items():
                writer.writerow([model, task, get_task(task).domain, get_task(task).metric, f"{100 * score:.2f}"])
            writer.writerow([model, "HARES mean", "", "", f"{summarize(scores)['score']:.2f}"])
    with open(paths["md"], "w") as f:
        f.write(markdown_table(results) + "\n")
        if settings is not None:
            listed = ", ".join(f"{k}={v}" for k, v in dataclasses.asdict(settings).items())
            f.write(f"\nProbe settings: {listed}\n")
    plot(results, paths["png"], title)
    return paths


def plot(results, path, title="HARES linear probe"):
    """Grouped bar chart: one group per task plus the mean, one bar per model (scores in %)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    tasks = list(dict.fromkeys(t for scores in results.values() for t in scores))
    groups = tasks + ["mean"]
    width = 0.8 / len(results)
    fig, ax = plt.subplots(figsize=(max(6.0, 1.1 * len(groups)), 3.8))
    for i, (model, scores) in enumerate(results.items()):
        values = [100 * scores.get(t, np.nan) for t in tasks] + [summarize(scores)["score"]]
        ax.bar(np.arange(len(groups)) + (i - (len(results) - 1) / 2) * width, values, width, label=model)
    ax.set_xticks(np.arange(len(groups)), [g.replace("_", "\n", 1) for g in groups], fontsize=8)
    ax.set_ylabel("score (%)")
    ax.set_ylim(0, 100)
    ax.set_title(title)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def interval_summary(outcomes_by_model, baseline=None):
    """{model: {task: TaskOutcomes}} -> {model: {"tasks": {task: [score, low, high]}, "domains": {domain:
    [mean, low, high]}, "mean": [mean, low, high], "vs_baseline": {scope: [difference, low, high,
    verdict]}}}, in %, 95 % bootstrap intervals over test recordings (`zoo.hares.intervals`); paired
    against `baseline` (a model name among them) per domain and on the mean."""
    from zoo.hares.intervals import interval, paired
    summary = {}
    for model, outcomes in outcomes_by_model.items():
        domains = {d: {t: o for t, o in outcomes.items() if get_task(t).domain == d} for d in DOMAINS}
        domains = {d: tasks for d, tasks in domains.items() if tasks}
        entry = {"tasks": {t: list(interval({t: o})) for t, o in outcomes.items()},
                 "domains": {d: list(interval(tasks)) for d, tasks in domains.items()},
                 "mean": list(interval(outcomes))}
        if baseline is not None and model != baseline and baseline in outcomes_by_model:
            other = outcomes_by_model[baseline]
            entry["vs_baseline"] = {d: list(paired(tasks, {t: other[t] for t in tasks})) for d, tasks in domains.items()}
            entry["vs_baseline"]["mean"] = list(paired(outcomes, other))
        summary[model] = entry
    return summary


def _cell(values):
    return f"{values[0]:.1f} [{values[1]:.1f}, {values[2]:.1f}]"


def interval_markdown(summary, baseline=None):
    """Two Markdown tables of `interval_summary`'s result: domain means and the mean with their 95 %
    intervals and the paired difference to `baseline`; then every task score with its interval."""
    domains = [d for d in DOMAINS if any(d in e["domains"] for e in summary.values())]
    header = ["model"] + domains + ["mean"] + ([f"mean - {baseline} (paired)"] if baseline else [])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for model, entry in summary.items():
        cells = [_cell(entry["domains"][d]) if d in entry["domains"] else "-" for d in domains]
        cells.append(f"**{_cell(entry['mean'])}**")
        if baseline:
            versus = entry.get("vs_baseline", {}).get("mean")
            said = {"A beats B": f"{model} beats {baseline}", "B beats A": f"{baseline} beats {model}"}
            cells.append(f"{versus[0]:+.1f} [{versus[1]:+.1f}, {versus[2]:+.1f}]: {said.get(versus[3], versus[3])}"
                         if versus else "-")
        lines.append("| " + " | ".join([model] + cells) + " |")
    tasks = list(dict.fromkeys(t for e in summary.values() for t in e["tasks"]))
    lines += ["", "| model | " + " | ".join(tasks) + " |", "|" + "---|" * (len(tasks) + 1)]
    for model, entry in summary.items():
        lines.append("| " + " | ".join([model] + [_cell(entry["tasks"][t]) if t in entry["tasks"] else "-"
                                                  for t in tasks]) + " |")
    return "\n".join(lines)


def write_intervals(summary, out_dir, table):
    """`intervals.{json,md}` in `out_dir`: the summary and its tables; returns the JSON's path."""
    os.makedirs(out_dir, exist_ok=True)
    paths = {kind: os.path.join(out_dir, f"intervals.{kind}") for kind in ("json", "md")}
    with open(paths["md"], "w") as f:
        f.write(table + "\n")
    with open(paths["json"], "w") as f:
        json.dump(summary, f, indent=1)
    return paths["json"]
