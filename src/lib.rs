//! # Perturb Check
//!
//! Does a model that predicts gene-expression changes after genetic perturbations beat deliberately simple
//! baselines? This crate is the engine of the Perturb Check page: the benchmark of Ahlmann-Eltze, Huber &
//! Anders (Nature Methods 2025), exact to their published numbers, with no web dependency (the page and its
//! Web Worker are thin layers over it). `METHODS.md` in the repository states every formula.
//!
//! The data flow, one module per step:
//! [`readers`] → [`expression`] (genes × conditions, canonical [`conditions`]) → [`predictions`] →
//! [`splits`] (bit-identical to numpy via [`numpy_random`]) → [`baselines`] (with [`linalg`]) →
//! [`metrics`] → [`summary`] → [`results_table`]; [`benchmark`] runs them in order, and [`analysis`] runs a
//! whole page request (files with roles, see [`inspect`]) into a serialisable report.

pub mod analysis;
pub mod audits;
pub mod baselines;
pub mod benchmark;
pub mod conditions;
pub mod error;
pub mod expression;
pub mod inspect;
pub mod interactions;
pub mod linalg;
pub mod locfdr;
pub mod metrics;
pub mod numpy_random;
pub mod predictions;
pub mod protocol;
pub mod readers;
pub mod results_table;
pub mod splits;
pub mod summary;
