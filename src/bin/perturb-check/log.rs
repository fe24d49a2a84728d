//! What the command line tells while it works, on standard error: progress bars on a terminal (indicatif),
//! plain lines otherwise, JSON lines with `--json`, nothing but errors with `--quiet`.

use indicatif::{ProgressBar, ProgressStyle};
use perturb_check::error::{Notice, Severity};
use serde_json::json;
use std::io::IsTerminal;
use std::sync::Mutex;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Quiet,
    Json,
    Bars,
    Lines,
}

/// The progress of one step as last told: its name, and the tenth of it reached (plain lines and JSON tell
/// each step's start, every tenth and its end, not every window).
struct Step {
    name: String,
    tenth: usize,
    bar: Option<ProgressBar>,
}

pub struct Log {
    mode: Mode,
    /// Shared by the threads that read files at once.
    step: Mutex<Option<Step>>,
}

impl Log {
    pub fn new(quiet: bool, json: bool) -> Log {
        let mode = if quiet {
            Mode::Quiet
        } else if json {
            Mode::Json
        } else if std::io::stderr().is_terminal() {
            Mode::Bars
        } else {
            Mode::Lines
        };
        Log { mode, step: Mutex::new(None) }
    }

    /// `done` of `total` of step `name`.
    pub fn progress(&self, name: &str, done: usize, total: usize) {
        if self.mode == Mode::Quiet {
            return;
        }
        let mut step = self.step.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if step.as_ref().is_none_or(|step| step.name != name) {
            if let Some(Step { bar: Some(bar), .. }) = step.take() {
                bar.finish_and_clear();
            }
            let bar = (self.mode == Mode::Bars).then(|| {
                let bar = ProgressBar::new(total as u64);
                let style = ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} ({elapsed})")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> ");
                bar.set_style(style);
                bar.set_message(name.to_string());
                bar
            });
            *step = Some(Step { name: name.to_string(), tenth: usize::MAX, bar });
        }
        let Some(current) = step.as_mut() else { return };
        if let Some(bar) = &current.bar {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
            return;
        }
        let tenth = (done * 10).checked_div(total).map_or(10, |tenth| tenth.min(10));
        if tenth == current.tenth {
            return;
        }
        current.tenth = tenth;
        match self.mode {
            Mode::Json => eprintln!("{}", json!({ "event": "progress", "step": name, "done": done, "total": total })),
            _ => eprintln!("{name}: {done} of {total}"),
        }
    }

    fn end_step(&self) {
        if let Some(Step { bar: Some(bar), .. }) =
            self.step.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take()
        {
            bar.finish_and_clear();
        }
    }

    /// Something a run noticed (it went on).
    pub fn notice(&self, notice: &Notice) {
        self.end_step();
        let severity = match notice.severity {
            Severity::Info => "info",
            Severity::Warning => "warning",
        };
        match self.mode {
            Mode::Quiet => {}
            Mode::Json => eprintln!(
                "{}",
                json!({ "event": "notice", "severity": severity, "file": notice.file, "message": notice.message })
            ),
            Mode::Bars | Mode::Lines => eprintln!("{severity}: {notice}"),
        }
    }

    /// A file written.
    pub fn wrote(&self, path: &std::path::Path) {
        self.end_step();
        match self.mode {
            Mode::Quiet => {}
            Mode::Json => eprintln!("{}", json!({ "event": "wrote", "file": path.display().to_string() })),
            Mode::Bars | Mode::Lines => eprintln!("wrote {}", path.display()),
        }
    }

    /// Why the command failed (always told, `--quiet` too).
    pub fn error(&self, message: &str, code: u8) {
        self.end_step();
        match self.mode {
            Mode::Json => eprintln!("{}", json!({ "event": "error", "message": message, "exit_code": code })),
            _ => eprintln!("error: {message}"),
        }
    }
}
