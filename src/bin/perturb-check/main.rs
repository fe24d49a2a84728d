//! `perturb-check`: the page's engine on the command line, for pipelines, clusters and continuous evaluation.
//! Files in, the page's exports out, the same bytes: every rule (roles, method names, settings, the run, the
//! writers) is the engine's; this binary only reads files from paths, reports progress and writes files.
//!
//! Exit codes: 2 for anything about the inputs or arguments, 1 when a valid run fails while computing or its
//! outputs cannot be written, 0 otherwise (notices included). Messages go to standard error.

#[cfg(not(target_arch = "wasm32"))]
mod args;
#[cfg(not(target_arch = "wasm32"))]
mod files;
#[cfg(not(target_arch = "wasm32"))]
mod inspect;
#[cfg(not(target_arch = "wasm32"))]
mod log;
#[cfg(not(target_arch = "wasm32"))]
mod pseudobulk;
#[cfg(not(target_arch = "wasm32"))]
mod run;

/// Why a command failed, which decides its exit code.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Debug)]
pub enum Failure {
    /// The inputs or arguments (exit code 2): the message names the file and the place.
    Input(String),
    /// A valid run that failed while computing, or outputs that could not be written (exit code 1).
    Compute(String),
}

#[cfg(not(target_arch = "wasm32"))]
impl Failure {
    fn code(&self) -> u8 {
        match self {
            Failure::Input(_) => 2,
            Failure::Compute(_) => 1,
        }
    }

    fn message(&self) -> &str {
        match self {
            Failure::Input(message) | Failure::Compute(message) => message,
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    use clap::Parser;
    // A panic is a defect of Perturb Check, not of the inputs: say so and exit 1 (never 2, never a silent 0).
    std::panic::set_hook(Box::new(|info| {
        eprintln!("perturb-check: internal error ({info}); please report it with the command that caused it");
        std::process::exit(1);
    }));
    let cli = args::Cli::parse();
    if let Some(threads) = cli.threads {
        perturb_check::parallel::limit_threads(usize::from(threads));
    }
    let log = log::Log::new(cli.quiet, cli.json);
    let outcome = match &cli.command {
        args::Command::Run(arguments) => run::run(arguments, &log),
        args::Command::Pseudobulk(arguments) => pseudobulk::pseudobulk(arguments, &log),
        args::Command::Inspect(arguments) => inspect::inspect(arguments, cli.json),
    };
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(failure) => {
            log.error(failure.message(), failure.code());
            std::process::ExitCode::from(failure.code())
        }
    }
}

#[cfg(target_arch = "wasm32")]
fn main() {}
