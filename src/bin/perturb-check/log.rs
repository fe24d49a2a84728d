//! What the command line tells while it works, on standard error: progress bars on a terminal (indicatif),
//! plain lines otherwise, JSON lines with `--json`, nothing but errors with `--quiet`.

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use perturb_check::error::{Notice, Severity};
use serde_json::json;
use std::io::IsTerminal;
use std::sync::Mutex;
use std::thread::ThreadId;

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
    /// Each thread's current step: files read at once each have their own bar (or lines), and a thread's new
    /// step replaces its last.
    steps: Mutex<Vec<(ThreadId, Step)>>,
    /// The bars shown at once (bars mode).
    bars: MultiProgress,
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
        Log { mode, steps: Mutex::new(Vec::new()), bars: MultiProgress::new() }
    }

    /// `done` of `total` of step `name`, on this thread.
    pub fn progress(&self, name: &str, done: usize, total: usize) {
        if self.mode == Mode::Quiet {
            return;
        }
        let thread = std::thread::current().id();
        let mut steps = self.steps.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let at = match steps.iter().position(|(owner, _)| *owner == thread) {
            Some(at) if steps[at].1.name == name => at,
            found => {
                if let Some(Step { bar: Some(bar), .. }) = found.map(|at| steps.remove(at).1) {
                    bar.finish_and_clear();
                    self.bars.remove(&bar);
                }
                let bar = (self.mode == Mode::Bars).then(|| {
                    let bar = self.bars.add(ProgressBar::new(total as u64));
                    let style = ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} ({elapsed})")
                        .unwrap_or_else(|_| ProgressStyle::default_bar())
                        .progress_chars("=> ");
                    bar.set_style(style);
                    bar.set_message(name.to_string());
                    bar
                });
                steps.push((thread, Step { name: name.to_string(), tenth: usize::MAX, bar }));
                steps.len() - 1
            }
        };
        let current = &mut steps[at].1;
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

    /// Ends every step (before a line that is not progress).
    fn end_step(&self) {
        for (_, step) in self.steps.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).drain(..) {
            if let Some(bar) = step.bar {
                bar.finish_and_clear();
                self.bars.remove(&bar);
            }
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
