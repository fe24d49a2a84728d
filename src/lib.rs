//! # Perturb Check
//!
//! Does a model that predicts gene-expression changes after genetic perturbations beat deliberately simple
//! baselines? This crate is the engine of the Perturb Check page: the benchmark of Ahlmann-Eltze, Huber &
//! Anders (Nature Methods 2025), exact to their published numbers, with no web dependency (the page and its
//! Web Worker are thin layers over it). The README states every formula and convention.
//!
//! The data flow, one module per step:
//! [`readers`] (tables, paper JSON, splits, embeddings; [`readers::h5ad`] cells, made into profiles by
//! [`pseudobulk`]) → [`load`] (a file read once, kept) → [`inspect`] (what it is, its role) →
//! [`expression`] (genes × conditions, canonical [`conditions`]) →
//! [`predictions`] (named, genes mapped to the data's) → [`splits`] (bit-identical to numpy via
//! [`numpy_random`]) → [`baselines`] (fitted, with [`linalg`]) → [`metrics`] → [`summary`] (with
//! [`quantile`]) → [`results_table`]; [`interactions`] (with the [`locfdr`] port) scores genetic interactions
//! and [`audits`] checks each uploaded prediction; [`conventions`] scores the same points the way GEARS,
//! Systema, cell-eval and PerturBench do, and why they differ; [`de`] holds the differential-expression statistics
//! of cells (Mann–Whitney U, Benjamini–Hochberg, Welch's t and GEARS' top DE genes). [`benchmark`] runs these in order, [`analysis`] runs a
//! whole page request (files with roles) into a serialisable report and a [`analysis::KeptRun`] that answers
//! follow-ups, [`protocol`] is what the page and its worker say, and [`error`] holds the errors and notices
//! of every step.

pub mod analysis;
pub mod audits;
pub mod baselines;
pub mod benchmark;
pub mod bootstrap;
pub mod conditions;
pub mod conventions;
pub mod de;
pub mod error;
pub mod expression;
pub mod inspect;
pub mod interactions;
pub mod leaderboard;
pub mod linalg;
pub mod load;
pub mod locfdr;
pub mod metrics;
pub mod number_text;
pub mod numpy_random;
pub mod paired;
pub mod parallel;
pub mod plots;
pub mod predictions;
pub mod protocol;
pub mod pseudobulk;
pub mod quantile;
pub mod readers;
pub mod report;
pub mod results_table;
pub mod simulator;
pub mod splits;
pub mod summary;
pub mod tour;
pub mod truth;
pub mod verdict;
