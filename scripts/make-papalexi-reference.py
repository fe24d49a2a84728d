"""Makes public/demo/papalexi/papalexi_simulated_reference.csv, the *simulated* reference screen of the demo
"Papalexi 2021 with a reference".

The linear model with a perturbation embedding from another dataset needs a second screen of the same
perturbations in another context. The Papalexi data have no such second context (its `bio_rep` replicates
are the same THP-1 cells), so one is simulated from the first screen: each perturbation's change from the
control is kept in direction but rescaled per gene program and gene (a different "cell line" responds with
other strengths), a new control is drawn near the old one, noise is added, and 4 of the 25 perturbations are
left out (to show what happens to conditions the reference lacks). The demo card says so: this shows how the
method works, it is not evidence that another real cell line would help as much.

Run from the repository root with numpy: python3 scripts/make-papalexi-reference.py (seed fixed)."""
import csv
import numpy as np

source = "public/demo/papalexi/papalexi2021_thp1_lowmoi_pseudobulk.csv"
target = "public/demo/papalexi/papalexi_simulated_reference.csv"
with open(source) as f:
    rows = list(csv.reader(f))
header, genes = rows[0], [r[0] for r in rows[1:]]
values = np.array([[float(v) for v in r[1:]] for r in rows[1:]])
conditions = header[1:]
ctrl = values[:, conditions.index("ctrl")]
rng = np.random.default_rng(2021)
n_genes = len(genes)
# Four gene programs with their own response strength, and a per-gene factor.
program = rng.integers(0, 4, size=n_genes)
strength = rng.uniform(0.6, 1.6, size=4)[program] * rng.lognormal(0.0, 0.25, size=n_genes)
new_ctrl = np.maximum(ctrl + rng.normal(0.0, 0.05, size=n_genes), 0.0)
left_out = set(sorted(c for c in conditions if c != "ctrl")[-4:])
kept = [c for c in conditions if c not in left_out]
out = {}
for c in kept:
    change = values[:, conditions.index(c)] - ctrl
    out[c] = np.maximum(new_ctrl + strength * change + rng.normal(0.0, 0.03, size=n_genes), 0.0)
with open(target, "w", newline="") as f:
    writer = csv.writer(f)
    writer.writerow(["gene"] + kept)
    for i, gene in enumerate(genes):
        writer.writerow([gene] + [f"{out[c][i]:.6f}" for c in kept])
print(f"{target}: {n_genes} genes x {len(kept)} conditions; left out: {sorted(left_out)}")
