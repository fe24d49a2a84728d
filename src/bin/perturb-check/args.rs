//! The command line's arguments (clap). Every option is documented here: `--help` prints these comments.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Does a perturbation-prediction model beat simple baselines? The Perturb Check page's engine on the command
/// line: the same numbers, the same files, for pipelines, clusters and continuous evaluation.
#[derive(Debug, Parser)]
#[command(name = "perturb-check", version, propagate_version = true, max_term_width = 100)]
#[command(after_help = "Exit codes: 0 done (notices included), 1 a valid run failed while computing or its outputs \
could not be written, 2 anything about the inputs or arguments. Messages go to standard error.")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Print nothing but errors (no progress, no notices).
    #[arg(long, global = true)]
    pub quiet: bool,
    /// Write the log as JSON lines on standard error (`inspect --json` writes its answer to standard output).
    #[arg(long, global = true)]
    pub json: bool,
    /// Use at most N threads (default: every core this process may use). The results are the same bit for bit
    /// whatever N: threads share out whole units of work and their results are combined in a fixed order.
    #[arg(long, global = true, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the benchmark on expression data and predictions, writing the page's exports into a folder.
    Run(RunArgs),
    /// Make the pseudobulk of an h5ad file of cells: exactly the page's pseudobulk.csv and n_cells.csv.
    Pseudobulk(PseudobulkArgs),
    /// Describe files as the page's file cards do: what each holds and the role it would get.
    Inspect(InspectArgs),
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The expression data: a pseudobulk table (genes × conditions with a control; CSV, TSV, optionally gzip)
    /// or an h5ad file of cells (pseudobulked as the page does).
    pub data: PathBuf,
    /// Every other file, its role detected as the page detects it, in this order: prediction tables or h5ad
    /// files, `X_all_predictions.json` with its `X_gene_names.json`, a split JSON, embedding tables, a folder
    /// in the paper's layout (each `<method>/all_predictions.json` a method).
    pub files: Vec<PathBuf>,
    /// The folder to write into (created if missing): results.csv, summary.csv, paired.csv, conventions.csv,
    /// interactions.json with its CSVs and report.html, those that apply to the run.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Give FILE (as written on the command line, or its name) the role ROLE instead of the detected one:
    /// data, predictions, gene-names, split, gene-embedding, perturbation-embedding or reference. Repeatable.
    #[arg(long = "role", value_name = "FILE=ROLE")]
    pub roles: Vec<String>,
    /// Name the method of prediction FILE instead of deriving it from the file name. Repeatable.
    #[arg(long = "method", value_name = "FILE=NAME")]
    pub methods: Vec<String>,
    /// The split: a split JSON file (given the role split; added to the files if not among them), or `all`
    /// (no split: every condition is evaluated). Default: the paper's random splits, or the uploaded split
    /// when a split file is among the files.
    #[arg(long, value_name = "FILE|all")]
    pub split: Option<String>,
    /// The seeds of the paper's random splits, e.g. `1,2,3` (default: the paper's for the data).
    #[arg(long, value_delimiter = ',', value_name = "SEEDS")]
    pub seeds: Option<Vec<u32>>,
    /// A settings.json exported by the page (accepted as is); --split and --seeds override its split.
    #[arg(long, value_name = "FILE")]
    pub settings: Option<PathBuf>,
    /// The conventions to score: `paper` (the run itself) and any of gears, systema, cell-eval, perturbench
    /// (conventions.csv holds their rows). `paper` alone scores no other convention.
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "LIST",
        default_value = "paper,gears,systema,cell-eval,perturbench"
    )]
    pub conventions: Vec<String>,
    /// Score the pairwise conventions' metrics also for seeds with more than 1,000 points (the page's "compute
    /// them anyway" button; they grow with the square of the points).
    #[arg(long)]
    pub all_pairwise: bool,
    /// The date line of report.html (ISO 8601), to make the report reproducible (default: now, in UTC).
    #[arg(long, value_name = "DATE")]
    pub date: Option<String>,
}

/// The scale a matrix is averaged on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ScaleArg {
    /// The values are already log-normalised: averaged as they are.
    AsIs,
    /// Raw counts: each cell becomes ln(1 + 1e4 · counts / total) first (the page's default for counts).
    Counts,
    /// Raw counts normalised to the median cell total (scanpy's normalize_total default, as cell-eval does).
    CountsMedian,
}

#[derive(Debug, Args)]
pub struct PseudobulkArgs {
    /// The h5ad file of cells.
    pub cells: PathBuf,
    /// The matrix to average: `X` or `layers/NAME` (default `X`).
    #[arg(long, value_name = "X|layers/NAME")]
    pub matrix: Option<String>,
    /// The scale (default: raw counts are normalised, `counts`; anything else is averaged as it is).
    #[arg(long, value_enum)]
    pub scale: Option<ScaleArg>,
    /// The `obs` column that holds the conditions (default: the detected one, as in the page).
    #[arg(long, value_name = "COLUMN")]
    pub condition_column: Option<String>,
    /// Where to write pseudobulk.csv (first column `gene`, canonical condition names).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Where to write the cells per condition (default: n_cells.csv beside --out).
    #[arg(long, value_name = "FILE")]
    pub n_cells: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The files to describe (folders are walked).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}
