//! Reading a dropped file into what it holds, once, to be kept: a numeric table, JSON text, or the cells of
//! an h5ad file made into a pseudobulk. What the file is and which role it plays is [`crate::inspect`]'s.

use crate::conditions::ConditionRules;
use crate::de::pass::{differential_expression, DeTable, DE_BUDGET_BYTES};
use crate::error::InputError;
use crate::inspect::FileRole;
use crate::pseudobulk::{pseudobulk, Pseudobulk, PseudobulkOptions};
use crate::readers::h5ad::{H5ad, H5adContents};
use crate::readers::prediction_json::read_all_predictions;
use crate::readers::table::{read_table, RawTable, RowNames, TableOptions};
use crate::readers::{decompress, strip_bom};
use std::sync::OnceLock;

/// A file read once and kept: a numeric table, JSON text, or cells already pseudobulked.
#[derive(Clone, Debug)]
pub enum LoadedFile {
    Table(RawTable),
    Json(JsonFile),
    /// An h5ad file of cells, with what was read of it and its pseudobulk.
    Cells(Box<CellData>),
}

/// A JSON file's decompressed text, and the prediction vectors it holds (`all_predictions.json`) once a run
/// has read them or the file's maker knew them: later runs and readings take them instead of parsing hundreds
/// of thousands of numbers again.
#[derive(Clone, Debug, Default)]
pub struct JsonFile {
    pub text: Vec<u8>,
    vectors: OnceLock<Vec<(String, Vec<f64>)>>,
}

impl JsonFile {
    pub fn new(text: Vec<u8>) -> JsonFile {
        JsonFile { text, vectors: OnceLock::new() }
    }

    /// `text` with the vectors [`read_all_predictions`] reads of it, which the caller vouches for (a maker of
    /// the text that knows its numbers).
    pub fn with_vectors(text: Vec<u8>, vectors: Vec<(String, Vec<f64>)>) -> JsonFile {
        JsonFile { text, vectors: OnceLock::from(vectors) }
    }

    /// The prediction vectors, read from the text the first time (an error is not kept: each run says it).
    pub fn prediction_vectors(&self, file: &str) -> Result<&[(String, Vec<f64>)], InputError> {
        if let Some(vectors) = self.vectors.get() {
            return Ok(vectors);
        }
        let vectors = read_all_predictions(file, &self.text)?;
        Ok(self.vectors.get_or_init(|| vectors))
    }

    /// The prediction vectors if they have been read or were given.
    pub fn known_vectors(&self) -> Option<&[(String, Vec<f64>)]> {
        self.vectors.get().map(Vec::as_slice)
    }
}

/// An h5ad file's summary, the choices and condition rules its pseudobulk was made with, the pseudobulk, and
/// its differential expression once a run needed it.
#[derive(Clone, Debug)]
pub struct CellData {
    pub summary: H5adContents,
    pub options: PseudobulkOptions,
    pub rules: ConditionRules,
    pub pseudobulk: Pseudobulk,
    pub de: DeState,
}

/// Whether a file's DE pass has run, and what it gave.
#[derive(Clone, Debug, Default)]
pub enum DeState {
    /// Not yet: the pass reads the file again, so it runs when a run needs it (the worker), or right after the
    /// pseudobulk when the bytes are at hand ([`load_file`]).
    #[default]
    NotYet,
    Done(Box<DeTable>),
    /// Why there is none (a run then goes on without the DE metrics, and says why).
    Failed(String),
}

impl CellData {
    /// The condition labels as the file writes them (the values of the condition column).
    pub fn condition_labels(&self) -> Vec<String> {
        self.summary
            .obs_columns
            .iter()
            .find(|column| column.name == self.options.condition_column)
            .map(|column| column.values.clone())
            .unwrap_or_default()
    }

    /// Whether asking for `options` (`None`: whatever was made) under `rules` would make this very pseudobulk
    /// again (a new minimum of cells only flags conditions).
    pub fn made_as(&self, options: Option<&PseudobulkOptions>, rules: &ConditionRules) -> bool {
        self.rules == *rules && options.is_none_or(|asked| asked.same_pseudobulk(&self.options))
    }
}

/// The first bytes of every HDF5 file.
pub const HDF5_SIGNATURE: &[u8] = b"\x89HDF\r\n\x1a\n";

/// Pseudobulks an opened h5ad file with `options`, or with the detected choices (`X` on its detected scale,
/// the detected condition and gene columns) when there are none, reading condition labels with `rules`.
/// `on_progress(done, total)` is called between windows of the matrix.
pub fn load_cells(
    h5ad: &H5ad,
    options: Option<&PseudobulkOptions>,
    rules: &ConditionRules,
    on_progress: &mut dyn FnMut(usize, usize),
) -> Result<LoadedFile, InputError> {
    let summary = h5ad.contents()?;
    let options = options.cloned().unwrap_or_else(|| PseudobulkOptions::detected(&summary));
    let pseudobulk = pseudobulk(h5ad, &options, rules, on_progress)?;
    Ok(LoadedFile::Cells(Box::new(CellData {
        summary,
        options,
        rules: rules.clone(),
        pseudobulk,
        de: DeState::NotYet,
    })))
}

impl CellData {
    /// Runs the DE pass on the file this was read from, unless it ran already.
    pub fn run_de(&mut self, h5ad: &H5ad, on_progress: &mut dyn FnMut(usize, usize)) {
        if matches!(self.de, DeState::NotYet) {
            self.de = match differential_expression(
                h5ad,
                &self.options,
                &self.rules,
                &self.pseudobulk,
                DE_BUDGET_BYTES,
                on_progress,
            ) {
                Ok(table) => DeState::Done(Box::new(table)),
                Err(error) => DeState::Failed(error.to_string()),
            };
        }
    }

    /// The DE table, when the pass gave one.
    pub fn de_table(&self) -> Option<&DeTable> {
        match &self.de {
            DeState::Done(table) => Some(table),
            _ => None,
        }
    }
}

/// The files of a run that get a DE pass before it (by position): when the data are cells, the data and each
/// prediction given as cells whose pass has not run. The worker and the command line both ask here.
pub fn needing_de_pass(files: &[(FileRole, &LoadedFile)]) -> Vec<usize> {
    let data_is_cells =
        files.iter().any(|(role, loaded)| *role == FileRole::Data && matches!(loaded, LoadedFile::Cells(_)));
    if !data_is_cells {
        return Vec::new();
    }
    files
        .iter()
        .enumerate()
        .filter(|(_, (role, loaded))| {
            matches!(role, FileRole::Data | FileRole::Predictions)
                && matches!(loaded, LoadedFile::Cells(cells) if matches!(cells.de, DeState::NotYet))
        })
        .map(|(position, _)| position)
        .collect()
}

/// Reads a file's bytes: an HDF5 file as h5ad cells (pseudobulked with the detected choices, labels read with
/// `rules`), JSON (by its first character) as text, anything else as a table.
pub fn load_file(name: &str, bytes: &[u8], rules: &ConditionRules) -> Result<LoadedFile, InputError> {
    if bytes.starts_with(HDF5_SIGNATURE) {
        let h5ad = H5ad::from_bytes(name, bytes.to_vec())?;
        let mut loaded = load_cells(&h5ad, None, rules, &mut |_, _| {})?;
        if let LoadedFile::Cells(cells) = &mut loaded {
            cells.run_de(&h5ad, &mut |_, _| {});
        }
        return Ok(loaded);
    }
    let decompressed = decompress(name, bytes)?;
    let text = strip_bom(&decompressed);
    match text.iter().find(|byte| !byte.is_ascii_whitespace()) {
        Some(b'{') | Some(b'[') => Ok(LoadedFile::Json(JsonFile::new(text.to_vec()))),
        _ => Ok(LoadedFile::Table(read_table(
            name,
            text,
            &TableOptions { row_names: RowNames::Detect, delimiter: None },
        )?)),
    }
}
