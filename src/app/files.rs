//! The files the user added, as the page keeps them: a [`Files`] list that owns its operations, each file's
//! [`FileStatus`], and the browser's file handles. Roles and method names are not decided here: they come from
//! the engine ([`resolve_roles`], [`method_names`]) over what was read and what the user chose, so the page
//! shows what a run uses. This module imports nothing else of the page.

use perturb_check::analysis::{input_files, roles_and_names, AddedFile, InputFile};
use perturb_check::inspect::{FileRole, FileSummary, MissingControl};
use perturb_check::predictions::MethodName;
use perturb_check::pseudobulk::PseudobulkOptions;
use std::cell::RefCell;
use std::collections::HashMap;
use web_sys::File;

thread_local! {
    /// The browser's file handles by id (not `Send`, so kept out of the signals).
    static HANDLES: RefCell<HashMap<u32, File>> = RefCell::new(HashMap::new());
}

/// The handles of files `ids`, in that order (a removed file has none).
pub fn file_handles(ids: &[u32]) -> Vec<File> {
    HANDLES.with(|handles| {
        let handles = handles.borrow();
        ids.iter().filter_map(|id| handles.get(id).cloned()).collect()
    })
}

/// Where the reading of a file is.
#[derive(Clone, Debug, PartialEq)]
pub enum FileStatus {
    /// Sent to the worker. `progress` (done, total) once an h5ad reading reports it; `previous` is the summary
    /// of an earlier reading of the same file, kept if this one is stopped.
    Reading {
        progress: Option<(usize, usize)>,
        previous: Option<Box<FileSummary>>,
    },
    Read(Box<FileSummary>),
    /// Why the file could not be read.
    Failed(String),
}

/// A file the user added, as its card shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct FileEntry {
    pub id: u32,
    /// With the folder path when a folder was chosen.
    pub name: String,
    pub size: f64,
    pub status: FileStatus,
    /// The role the user chose (`None`: the one guessed from the content).
    pub chosen_role: Option<FileRole>,
    /// For predictions: the method name the user typed (`None`: derived from the file name).
    pub chosen_method: Option<String>,
    /// For predictions: the seed the user set (`None`: from the file name, else every seed).
    pub chosen_seed: Option<u32>,
    /// For h5ad: the pseudobulk choices asked for (`None`: the detected ones, until the worker says which).
    pub pseudobulk: Option<PseudobulkOptions>,
    /// The largest wasm memory of the worker seen while this file was read, in bytes.
    pub peak_memory: f64,
}

impl FileEntry {
    /// What the last finished reading found (kept while a new reading runs).
    pub fn summary(&self) -> Option<&FileSummary> {
        match &self.status {
            FileStatus::Read(summary) => Some(summary),
            FileStatus::Reading { previous, .. } => previous.as_deref(),
            FileStatus::Failed(_) => None,
        }
    }

    pub fn error(&self) -> Option<&str> {
        match &self.status {
            FileStatus::Failed(error) => Some(error),
            _ => None,
        }
    }

    pub fn is_reading(&self) -> bool {
        matches!(self.status, FileStatus::Reading { .. })
    }

    /// How far an h5ad reading has come, once it reports.
    pub fn progress(&self) -> Option<(usize, usize)> {
        match self.status {
            FileStatus::Reading { progress, .. } => progress,
            _ => None,
        }
    }
}

/// The files in the order they were added.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Files {
    entries: Vec<FileEntry>,
    next_id: u32,
}

impl Files {
    pub fn ids(&self) -> Vec<u32> {
        self.entries.iter().map(|entry| entry.id).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn get(&self, id: u32) -> Option<&FileEntry> {
        self.entries.iter().find(|entry| entry.id == id)
    }

    fn get_mut(&mut self, id: u32) -> Option<&mut FileEntry> {
        self.entries.iter_mut().find(|entry| entry.id == id)
    }

    /// Adds a file to be read, or replaces the one with the same name; returns its id.
    pub fn add(&mut self, name: String, file: File) -> u32 {
        let id = match self.entries.iter().position(|entry| entry.name == name) {
            Some(position) => self.entries[position].id,
            None => {
                self.next_id += 1;
                self.next_id
            }
        };
        let entry = FileEntry {
            id,
            name,
            size: file.size(),
            status: FileStatus::Reading { progress: None, previous: None },
            chosen_role: None,
            chosen_method: None,
            chosen_seed: None,
            pseudobulk: None,
            peak_memory: 0.0,
        };
        HANDLES.with(|handles| handles.borrow_mut().insert(id, file));
        match self.get_mut(id) {
            Some(slot) => *slot = entry,
            None => self.entries.push(entry),
        }
        id
    }

    pub fn remove(&mut self, id: u32) {
        HANDLES.with(|handles| handles.borrow_mut().remove(&id));
        self.entries.retain(|entry| entry.id != id);
    }

    /// The files as added, for the engine's role and name rules.
    fn added(&self) -> Vec<AddedFile> {
        self.entries
            .iter()
            .map(|entry| AddedFile {
                id: entry.id,
                name: entry.name.clone(),
                guessed: entry.summary().map(|summary| summary.role),
                chosen_role: entry.chosen_role,
                chosen_method: entry.chosen_method.clone(),
                chosen_seed: entry.chosen_seed,
                pseudobulk: entry.pseudobulk.clone(),
                read: entry.error().is_none(),
            })
            .collect()
    }

    /// The roles of all files, in order: the user's choices, else the guesses, one data file at most.
    pub fn roles(&self) -> Vec<(u32, Option<FileRole>)> {
        self.ids().into_iter().zip(roles_and_names(&self.added()).0).collect()
    }

    pub fn role(&self, id: u32) -> Option<FileRole> {
        self.roles().into_iter().find(|(other, _)| *other == id).and_then(|(_, role)| role)
    }

    /// The method names of the prediction files, as a run gives them.
    pub fn method_names(&self) -> Vec<(u32, MethodName)> {
        let ids = self.ids();
        roles_and_names(&self.added()).1.into_iter().map(|(position, name)| (ids[position], name)).collect()
    }

    pub fn method_name(&self, id: u32) -> Option<MethodName> {
        self.method_names().into_iter().find(|(other, _)| *other == id).map(|(_, name)| name)
    }

    /// Whether a file read has the role of the data.
    pub fn has_data(&self) -> bool {
        self.roles().iter().any(|(_, role)| *role == Some(FileRole::Data))
    }

    /// Why file `id` cannot be the data as it is (no recognised control), while no other file is the data:
    /// what the card's control prompt offers.
    pub fn control_to_pick(&self, id: u32) -> Option<MissingControl> {
        let other_data = self.roles().iter().any(|(other, role)| *other != id && *role == Some(FileRole::Data));
        let missing = self.get(id)?.summary()?.missing_control.clone()?;
        (!other_data).then_some(missing)
    }

    /// Whether every file has been read or failed.
    pub fn all_read(&self) -> bool {
        self.entries.iter().all(|entry| !entry.is_reading())
    }

    pub fn choose_role(&mut self, id: u32, role: Option<FileRole>) {
        if let Some(entry) = self.get_mut(id) {
            entry.chosen_role = role;
        }
    }

    pub fn choose_method(&mut self, id: u32, method: String) {
        if let Some(entry) = self.get_mut(id) {
            entry.chosen_method = Some(method).filter(|method| !method.trim().is_empty());
        }
    }

    pub fn choose_seed(&mut self, id: u32, seed: Option<u32>) {
        if let Some(entry) = self.get_mut(id) {
            entry.chosen_seed = seed;
        }
    }

    /// Sets the minimum of cells of an h5ad file (it only flags conditions: nothing is read again).
    pub fn set_min_cells(&mut self, id: u32, min_cells: usize) {
        let Some(entry) = self.get_mut(id) else { return };
        if let FileStatus::Read(summary) = &mut entry.status {
            if let Some(cells) = summary.cells.as_mut() {
                cells.options.min_cells = min_cells;
                entry.pseudobulk = Some(cells.options.clone());
            }
        }
    }

    /// A new reading of file `id` starts (with `cells`, for h5ad); `show_progress` shows its bar at once.
    pub fn start_reading(&mut self, id: u32, pseudobulk: Option<PseudobulkOptions>, show_progress: bool) {
        let Some(entry) = self.get_mut(id) else { return };
        let previous = entry.summary().cloned().map(Box::new);
        entry.status = FileStatus::Reading { progress: show_progress.then_some((0, 1)), previous };
        if pseudobulk.is_some() {
            entry.pseudobulk = pseudobulk;
        }
    }

    /// How far the reading of file `id` has come, and the worker's memory then.
    pub fn reading_progress(&mut self, id: u32, done: usize, total: usize, memory_bytes: f64) {
        let Some(entry) = self.get_mut(id) else { return };
        entry.peak_memory = entry.peak_memory.max(memory_bytes);
        if let FileStatus::Reading { progress, .. } = &mut entry.status {
            // The last report (all read) ends the bar; a run reading the file gets no other answer.
            *progress = (done < total).then_some((done, total));
        }
    }

    /// What the worker found in file `id`, or why it could not read it.
    pub fn record(&mut self, id: u32, outcome: Result<FileSummary, String>) {
        let Some(entry) = self.get_mut(id) else { return };
        entry.status = match outcome {
            Ok(summary) => {
                entry.pseudobulk = summary.cells.as_ref().map(|cells| cells.options.clone());
                FileStatus::Read(Box::new(summary))
            }
            Err(error) => FileStatus::Failed(error),
        };
    }

    /// Ends a reading that will not finish: a file read before keeps its last summary (and the choices it was
    /// made with); a new one fails with `why`.
    pub fn stop_reading(&mut self, id: u32, why: &str) {
        let Some(entry) = self.get_mut(id) else { return };
        if let FileStatus::Reading { previous, .. } = &entry.status {
            entry.status = match previous {
                Some(summary) => {
                    entry.pseudobulk = summary.cells.as_ref().map(|cells| cells.options.clone());
                    FileStatus::Read(summary.clone())
                }
                None => FileStatus::Failed(why.to_string()),
            };
        }
    }

    /// The files whose reading has not finished.
    pub fn unfinished(&self) -> Vec<u32> {
        self.entries.iter().filter(|entry| entry.is_reading()).map(|entry| entry.id).collect()
    }

    /// The files that take part in a run, as the worker wants them (read, with a role).
    pub fn inputs(&self) -> Vec<InputFile> {
        input_files(&self.added())
    }
}
