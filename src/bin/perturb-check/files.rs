//! Files from paths, read as the worker reads dropped files: a file is known by its name (a folder's files by
//! `<folder>/<path inside it>`, as a dropped folder), an HDF5 file is read on demand and pseudobulked, any
//! other is read whole after the size check. Nothing here decides a role or a name: the engine does.

use crate::log::Log;
use crate::Failure;
use perturb_check::conditions::ConditionRules;
use perturb_check::load::{load_cells, load_file, LoadedFile, HDF5_SIGNATURE};
use perturb_check::pseudobulk::PseudobulkOptions;
use perturb_check::readers::check_text_size;
use perturb_check::readers::h5ad::H5ad;
use std::io::Read;
use std::path::{Path, PathBuf};

/// A file given on the command line (or found in a folder given there).
#[derive(Clone, Debug)]
pub struct GivenFile {
    /// How the page would name it: the file name, or `<folder>/<path>` inside a folder.
    pub name: String,
    pub path: PathBuf,
    /// The argument it came from, as written.
    pub argument: String,
}

impl GivenFile {
    /// Whether `spelling` (in `--role FILE=ROLE` and the like) means this file: the argument as written, the
    /// path, or the name.
    pub fn is(&self, spelling: &str) -> bool {
        spelling == self.argument || Path::new(spelling) == self.path || spelling == self.name
    }
}

/// Why `name` could not be read, as an input failure.
pub fn unreadable(name: &str, error: std::io::Error) -> Failure {
    Failure::Input(format!("{name}: the file could not be read ({error})"))
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string())
}

fn walk(folder: &Path, prefix: &str, argument: &str, found: &mut Vec<GivenFile>) -> Result<(), Failure> {
    let entries = std::fs::read_dir(folder)
        .map_err(|error| Failure::Input(format!("{}: the folder could not be read ({error})", folder.display())))?;
    let mut paths: Vec<PathBuf> = entries.filter_map(|entry| entry.ok().map(|entry| entry.path())).collect();
    paths.sort();
    for path in paths {
        let name = format!("{prefix}/{}", file_name(&path));
        if path.is_dir() {
            walk(&path, &name, argument, found)?;
        } else if !file_name(&path).starts_with('.') {
            found.push(GivenFile { name, path, argument: argument.to_string() });
        }
    }
    Ok(())
}

/// The files the arguments name, folders walked (in name order, hidden files left out).
pub fn given_files(paths: &[PathBuf]) -> Result<Vec<GivenFile>, Failure> {
    let mut found = Vec::new();
    for path in paths {
        let argument = path.display().to_string();
        let metadata = std::fs::metadata(path)
            .map_err(|error| Failure::Input(format!("{argument}: no such file or folder ({error})")))?;
        if metadata.is_dir() {
            walk(path, &file_name(path), &argument, &mut found)?;
        } else {
            found.push(GivenFile { name: file_name(path), path: path.clone(), argument });
        }
    }
    Ok(found)
}

fn is_hdf5(file: &GivenFile) -> Result<bool, Failure> {
    let mut start = [0u8; 8];
    let mut handle = std::fs::File::open(&file.path).map_err(|error| unreadable(&file.name, error))?;
    let mut read = 0;
    while read < start.len() {
        match handle.read(&mut start[read..]) {
            Ok(0) => break,
            Ok(n) => read += n,
            Err(error) => return Err(unreadable(&file.name, error)),
        }
    }
    Ok(&start[..read] == HDF5_SIGNATURE)
}

/// Opens an h5ad file for reading on demand, if `file` is one.
pub fn open_h5ad(file: &GivenFile) -> Result<Option<H5ad>, Failure> {
    if !is_hdf5(file)? {
        return Ok(None);
    }
    H5ad::open(&file.name, &file.path).map(Some).map_err(|error| Failure::Input(error.to_string()))
}

/// Reads `file` as the worker reads a dropped one: an h5ad file pseudobulked with `pseudobulk` (`None`: the
/// detected choices), progress told to `log`; any other file after the size check.
pub fn read(
    file: &GivenFile,
    pseudobulk: Option<&PseudobulkOptions>,
    rules: &ConditionRules,
    log: &Log,
) -> Result<LoadedFile, Failure> {
    let input = |error: perturb_check::error::InputError| Failure::Input(error.to_string());
    if let Some(h5ad) = open_h5ad(file)? {
        let step = format!("reading {}", file.name);
        return load_cells(&h5ad, pseudobulk, rules, &mut |done, total| log.progress(&step, done, total))
            .map_err(input);
    }
    let size = std::fs::metadata(&file.path).map_err(|error| unreadable(&file.name, error))?.len();
    check_text_size(&file.name, size).map_err(input)?;
    let bytes = std::fs::read(&file.path).map_err(|error| unreadable(&file.name, error))?;
    load_file(&file.name, &bytes, rules).map_err(input)
}
