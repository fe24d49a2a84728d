//! `perturb-check run`: the page's run from files on disk, and its exports written into a folder.

use crate::args::RunArgs;
use crate::files::{given_files, open_h5ad, read, unreadable, GivenFile};
use crate::log::Log;
use crate::Failure;
use perturb_check::analysis::{
    input_files, run_analysis, AddedFile, AnalysisSettings, ConventionExport, KeptRun, RunReport,
};
use perturb_check::benchmark::SplitChoice;
use perturb_check::conventions::{write_conventions_csv_of, CONVENTIONS};
use perturb_check::inspect::{inspect, FileRole};
use perturb_check::interactions::{interactions_csv, interactions_json};
use perturb_check::leaderboard;
use perturb_check::load::{needing_de_pass, LoadedFile};
use perturb_check::paired::paired_csv;
use perturb_check::plots::MethodStyles;
use perturb_check::report::{html, BuildInfo, FileHash, FileProvenance, ReportInputs};
use perturb_check::results_table::write_results_csv;
use perturb_check::summary::{summary_csv, Comparison};
use std::io::Read;
use std::path::Path;

/// `FILE=VALUE` split at its last `=` (a file name may hold one).
fn file_and_value<'a>(option: &str, text: &'a str) -> Result<(&'a str, &'a str), Failure> {
    text.rsplit_once('=')
        .filter(|(file, value)| !file.is_empty() && !value.is_empty())
        .ok_or_else(|| Failure::Input(format!("--{option} {text}: expected FILE=VALUE")))
}

/// The files `spelling` means, or an error naming the option.
fn matching(files: &[GivenFile], option: &str, spelling: &str) -> Result<Vec<usize>, Failure> {
    let found: Vec<usize> = (0..files.len()).filter(|&i| files[i].is(spelling)).collect();
    if found.is_empty() {
        return Err(Failure::Input(format!(
            "--{option}: {spelling} is not one of the files of the run (give it as DATA or FILE, as written there, or by its name)"
        )));
    }
    Ok(found)
}

/// The settings: the page's settings.json if given (read as the page imports it), then --split and --seeds.
fn settings(arguments: &RunArgs, split_file: bool) -> Result<AnalysisSettings, Failure> {
    let mut settings = match &arguments.settings {
        Some(path) => {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let text = std::fs::read_to_string(path).map_err(|error| unreadable(&name, error))?;
            serde_json::from_str::<AnalysisSettings>(&text)
                .map_err(|error| Failure::Input(format!("{name}: not a Perturb Check settings file ({error})")))?
        }
        None => AnalysisSettings::default(),
    };
    match (arguments.split.as_deref(), &arguments.seeds) {
        (Some("all"), Some(_)) => {
            return Err(Failure::Input("--split all and --seeds cannot be combined: `all` has no seeds".into()));
        }
        (Some(_), Some(_)) => {
            return Err(Failure::Input(
                "--split FILE and --seeds cannot be combined: an uploaded split has no seeds".into(),
            ));
        }
        (Some("all"), None) => settings.benchmark.split = Some(SplitChoice::All),
        (Some(_), None) if split_file => settings.benchmark.split = Some(SplitChoice::Uploaded),
        (_, Some(seeds)) => settings.benchmark.split = Some(SplitChoice::Seeds(seeds.clone())),
        _ => {}
    }
    Ok(settings)
}

/// The conventions asked for beyond `paper`, checked against the engine's list.
fn conventions(arguments: &RunArgs) -> Result<Vec<&'static str>, Failure> {
    let mut chosen = Vec::new();
    for name in &arguments.conventions {
        let name = name.trim();
        let Some(spec) = CONVENTIONS.iter().find(|spec| spec.id.eq_ignore_ascii_case(name)) else {
            let known: Vec<&str> = CONVENTIONS.iter().map(|spec| spec.id).collect();
            return Err(Failure::Input(format!(
                "--conventions: unknown convention '{name}' (known: {})",
                known.join(", ")
            )));
        };
        if !chosen.contains(&spec.id) {
            chosen.push(spec.id);
        }
    }
    Ok(chosen)
}

/// Today in UTC as JavaScript's `Date.toISOString()` writes it (the page's date line).
fn now_iso() -> String {
    let elapsed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let (seconds, millis) = (elapsed.as_secs() as i64, elapsed.subsec_millis());
    let (days, of_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60
    )
}

fn sha256(file: &GivenFile) -> Result<FileProvenance, Failure> {
    let failure = |error: std::io::Error| unreadable(&file.name, error);
    let mut handle = std::fs::File::open(&file.path).map_err(failure)?;
    let size = handle.metadata().map_err(failure)?.len();
    let mut hash = FileHash::default();
    let mut buffer = vec![0u8; 8 << 20];
    loop {
        let n = handle.read(&mut buffer).map_err(failure)?;
        if n == 0 {
            break;
        }
        hash.update(&buffer[..n]);
    }
    Ok(FileProvenance { name: file.name.clone(), size, sha256: hash.hex() })
}

fn write(out: &Path, name: &str, text: &str, log: &Log) -> Result<(), Failure> {
    let path = out.join(name);
    std::fs::write(&path, text)
        .map_err(|error| Failure::Compute(format!("{}: could not be written ({error})", path.display())))?;
    log.wrote(&path);
    Ok(())
}

pub fn run(arguments: &RunArgs, log: &Log) -> Result<(), Failure> {
    let mut paths = vec![arguments.data.clone()];
    paths.extend(arguments.files.iter().cloned());
    if std::fs::metadata(&arguments.data).is_ok_and(|m| m.is_dir()) {
        return Err(Failure::Input(format!("{}: DATA must be a file, not a folder", arguments.data.display())));
    }
    let split_file = arguments.split.as_deref().filter(|split| *split != "all");
    let mut files = given_files(&paths)?;
    if let Some(split) = split_file {
        if !files.iter().any(|file| file.is(split)) {
            files.extend(given_files(&[split.into()])?);
        }
    }
    let settings = settings(arguments, split_file.is_some())?;
    let conventions = conventions(arguments)?;

    let mut added: Vec<AddedFile> = files
        .iter()
        .enumerate()
        .map(|(i, file)| AddedFile {
            id: i as u32 + 1,
            name: file.name.clone(),
            guessed: None,
            chosen_role: (i == 0).then_some(FileRole::Data),
            chosen_method: None,
            chosen_seed: None,
            pseudobulk: None,
            read: true,
        })
        .collect();
    for text in &arguments.roles {
        let (spelling, value) = file_and_value("role", text)?;
        let role = FileRole::from_value(value).ok_or_else(|| {
            let known: Vec<&str> = FileRole::ALL.iter().map(|role| role.as_str()).collect();
            Failure::Input(format!("--role {text}: unknown role '{value}' (known: {})", known.join(", ")))
        })?;
        for i in matching(&files, "role", spelling)? {
            added[i].chosen_role = Some(role);
        }
    }
    if let Some(split) = split_file {
        for i in matching(&files, "split", split)? {
            added[i].chosen_role = Some(FileRole::Split);
        }
    }
    for text in &arguments.methods {
        let (spelling, name) = file_and_value("method", text)?;
        for i in matching(&files, "method", spelling)? {
            added[i].chosen_method = Some(name.to_string());
        }
    }

    // Every file is read and described as the page does; its guessed role comes from what it holds.
    // The files are read at once on the cores there are; roles are still guessed in the order given, and the
    // first file (in that order) that cannot be read is the one reported.
    let read_files = perturb_check::parallel::map_apart(&files, |file| read(file, None, &settings.rules, log));
    let mut loaded: Vec<LoadedFile> = Vec::with_capacity(files.len());
    for ((file, entry), file_loaded) in files.iter().zip(added.iter_mut()).zip(read_files) {
        let file_loaded = file_loaded?;
        entry.guessed = Some(inspect(&file.name, &file_loaded, &settings.rules).role);
        if let LoadedFile::Cells(cells) = &file_loaded {
            entry.pseudobulk = Some(cells.options.clone());
        }
        loaded.push(file_loaded);
    }
    let inputs = input_files(&added);
    let position = |id: u32| id as usize - 1;

    // The DE pass of cells, as the worker makes it before a run.
    let pairs: Vec<(FileRole, &LoadedFile)> =
        inputs.iter().map(|input| (input.role, &loaded[position(input.id)])).collect();
    let needing: Vec<usize> = needing_de_pass(&pairs).into_iter().map(|i| position(inputs[i].id)).collect();
    for i in needing {
        let h5ad = open_h5ad(&files[i])?;
        if let (Some(h5ad), LoadedFile::Cells(cells)) = (h5ad, &mut loaded[i]) {
            let step = format!("differential expression of {}", files[i].name);
            // A failure stays with the file; the run's notices tell it (as in the page).
            cells.run_de(&h5ad, &mut |done, total| log.progress(&step, done, total));
        }
    }

    let pairs: Vec<_> = inputs.iter().map(|input| (input.clone(), &loaded[position(input.id)])).collect();
    let (report, kept) =
        run_analysis(&pairs, &settings, &mut |progress| log.progress(&progress.step, progress.done, progress.total))
            .map_err(|error| Failure::Input(error.to_string()))?;
    for notice in &report.notices {
        log.notice(notice);
    }

    std::fs::create_dir_all(&arguments.out).map_err(|error| {
        Failure::Compute(format!("{}: the folder could not be created ({error})", arguments.out.display()))
    })?;
    write_outputs(arguments, &files, &settings, &report, &kept, &conventions, log)
}

fn write_outputs(
    arguments: &RunArgs,
    files: &[GivenFile],
    settings: &AnalysisSettings,
    report: &RunReport,
    kept: &KeptRun,
    conventions: &[&str],
    log: &Log,
) -> Result<(), Failure> {
    let out = arguments.out.as_path();
    write(out, "results.csv", &write_results_csv(&report.rows), log)?;
    write(out, "summary.csv", &summary_csv(&report.summary_common), log)?;
    // Always, as the page always offers it: a header alone says no method had a reference baseline to face.
    write(out, "paired.csv", &paired_csv(&report.paired), log)?;
    if let Some(interactions) = &report.interactions {
        write(out, "interactions.json", &interactions_json(interactions), log)?;
        for (name, text) in interactions_csv(interactions) {
            write(out, &name, &text, log)?;
        }
    }
    let scored = if conventions.iter().any(|id| *id != "paper") {
        log.progress("conventions", 0, 1);
        let scored = kept.conventions(arguments.all_pairwise).map_err(|error| Failure::Compute(error.to_string()))?;
        log.progress("conventions", 1, 1);
        for notice in &scored.notices {
            log.notice(notice);
        }
        let text = if conventions.len() == CONVENTIONS.len() {
            kept.export_conventions(&ConventionExport::Points)
                .map_err(|error| Failure::Compute(error.to_string()))?
                .text
        } else {
            write_conventions_csv_of(&scored, &|id| conventions.contains(&id))
        };
        write(out, "conventions.csv", &text, log)?;
        Some(scored.without_points())
    } else {
        None
    };

    let provenance = perturb_check::parallel::map_apart(files, sha256).into_iter().collect::<Result<Vec<_>, _>>()?;
    let table = leaderboard::table(&report.summary_common, report.reference.as_deref(), None, None);
    let date = arguments.date.clone().unwrap_or_else(now_iso);
    let text = html(&ReportInputs {
        report,
        leaderboard: &table,
        comparison: Comparison::Common,
        conventions: scored.as_ref(),
        styles: &MethodStyles::for_methods(&report.methods),
        settings,
        files: &provenance,
        build: BuildInfo { version: env!("CARGO_PKG_VERSION"), commit: env!("PERTURB_CHECK_COMMIT") },
        date: &date,
        results_csv: None,
    });
    write(out, "report.html", &text, log)
}
