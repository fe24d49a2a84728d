"""Writes a large synthetic h5ad (CSR counts, AnnData's on-disk layout) for the streaming benchmark.

    python3 scripts/make-big-h5ad.py OUT.h5ad --gigabytes 4 [--gzip]
    python3 scripts/make-big-h5ad.py OUT.h5ad --cells 100000 --perturbations 200 --gzip [--seed 2]

Cells have ~1,250 stored counts over 5,000 genes (float32 data, int32 indices, int64 indptr); obs/perturbation
is a categorical of 500 single perturbations (`--perturbations`) and `ctrl`, each cell's drawn uniformly. Without --gzip the datasets are contiguous (what
anndata writes uncompressed); with --gzip they are chunked (h5py's automatic chunks) and gzip-compressed at
level 4 (anndata's `compression="gzip"`). The file is not committed: it is made where the benchmark runs
(BENCHMARKS.md). Needs h5py and numpy; writes in slices, so memory stays small.
"""
import argparse

import h5py
import numpy as np

parser = argparse.ArgumentParser()
parser.add_argument("out")
parser.add_argument("--gigabytes", type=float, default=4.0)
parser.add_argument("--gzip", action="store_true")
parser.add_argument("--cells", type=int, help="the number of cells (instead of --gigabytes)")
parser.add_argument("--perturbations", type=int, default=500)
parser.add_argument("--seed", type=int, default=1, help="another seed gives another screen (a 'prediction')")
args = parser.parse_args()

n_genes, per_cell = 5000, 1250
bytes_per_cell = per_cell * 8  # float32 value + int32 index
# Gzip shrinks these counts about 3.2-fold: aim at the size asked for on disk.
n_cells = args.cells or int(args.gigabytes * 1e9 / bytes_per_cell * (3.2 if args.gzip else 1.0))
slice_cells = 20_000
rng = np.random.default_rng(args.seed)
genes = np.array([f"GENE{g}" for g in range(n_genes)], dtype=object)
labels = ["ctrl"] + [f"GENE{g}" for g in range(args.perturbations)]
codes = rng.integers(0, len(labels), n_cells).astype(np.int16)
codes[0] = 0

text = h5py.string_dtype()
compression = dict(compression="gzip", compression_opts=4, chunks=True) if args.gzip else {}
with h5py.File(args.out, "w") as f:
    f.attrs["encoding-type"] = "anndata"
    f.attrs["encoding-version"] = "0.1.0"
    x = f.create_group("X")
    x.attrs["encoding-type"] = "csr_matrix"
    x.attrs["encoding-version"] = "0.1.0"
    x.attrs["shape"] = np.array([n_cells, n_genes])
    nnz = n_cells * per_cell
    data = x.create_dataset("data", shape=(nnz,), dtype=np.float32, **compression)
    indices = x.create_dataset("indices", shape=(nnz,), dtype=np.int32, **compression)
    x.create_dataset("indptr", data=np.arange(n_cells + 1, dtype=np.int64) * per_cell, **compression)
    gene_means = rng.gamma(0.6, 2.0, n_genes)
    # Each perturbation changes 50 genes' means (so that the DE pass finds genes to report).
    effects = np.ones((len(labels), n_genes))
    for p in range(1, len(labels)):
        effects[p, rng.choice(n_genes, 50, replace=False)] = rng.uniform(0.3, 3.0, 50)
    for start in range(0, n_cells, slice_cells):
        count = min(slice_cells, n_cells - start)
        # Each cell: per_cell distinct genes, sorted, with Poisson counts (at least 1).
        chosen = np.sort(np.argpartition(rng.random((count, n_genes)), per_cell, axis=1)[:, :per_cell], axis=1).astype(np.int32)
        scale = effects[codes[start:start + count, None], chosen]
        values = (rng.poisson(gene_means[chosen] * scale) + 1).astype(np.float32)
        indices[start * per_cell:(start + count) * per_cell] = chosen.ravel()
        data[start * per_cell:(start + count) * per_cell] = values.ravel()
        print(f"\r{start + count} / {n_cells} cells", end="", flush=True)
    print()
    obs = f.create_group("obs")
    obs.attrs.update({"encoding-type": "dataframe", "encoding-version": "0.2.0", "_index": "_index"})
    obs.attrs["column-order"] = np.array(["perturbation"], dtype=object)
    index = obs.create_dataset("_index", data=np.array([f"c{c}" for c in range(n_cells)], dtype=object), dtype=text)
    index.attrs.update({"encoding-type": "string-array", "encoding-version": "0.2.0"})
    perturbation = obs.create_group("perturbation")
    perturbation.attrs.update({"encoding-type": "categorical", "encoding-version": "0.2.0", "ordered": False})
    perturbation.create_dataset("codes", data=codes)
    categories = perturbation.create_dataset("categories", data=np.array(labels, dtype=object), dtype=text)
    categories.attrs.update({"encoding-type": "string-array", "encoding-version": "0.2.0"})
    var = f.create_group("var")
    var.attrs.update({"encoding-type": "dataframe", "encoding-version": "0.2.0", "_index": "_index"})
    var.attrs["column-order"] = np.array([], dtype=np.float64)  # what anndata writes for no columns
    gene_index = var.create_dataset("_index", data=genes, dtype=text)
    gene_index.attrs.update({"encoding-type": "string-array", "encoding-version": "0.2.0"})
