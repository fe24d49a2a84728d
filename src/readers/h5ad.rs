//! AnnData `.h5ad` files (HDF5, read with the pure-Rust `hdf5-pure`), from cells to pseudobulk.
//!
//! What is read: `X` or a layer (dense, or sparse CSR / CSC groups with `data` / `indices` / `indptr` and an
//! `encoding-type` attribute), any numeric storage type, any filter hdf5-pure decodes (gzip, lzf, shuffle);
//! `obs` columns stored as categoricals (`codes` + `categories`) or string arrays; `var` names from its index
//! or a `gene_name` / `gene_symbols` / `feature_name` column.
//!
//! [`pseudobulk`] streams the matrix a window of cells at a time (a window of genes for CSC) into per-condition
//! sums (f64) and cell counts, so memory is the pseudobulk plus one window whatever the file's size. The file
//! is reached through an [`hdf5_pure::Source`]: bytes in memory for tests, `Blob.slice` reads in the worker.
//!
//! ```no_run
//! use perturb_check::conditions::ConditionRules;
//! use perturb_check::readers::h5ad::{pseudobulk, H5ad, PseudobulkOptions};
//! let h5ad = H5ad::from_bytes("cells.h5ad", std::fs::read("cells.h5ad").unwrap()).unwrap();
//! let summary = h5ad.summary().unwrap();
//! let options = PseudobulkOptions::detected(&summary);
//! let result = pseudobulk(&h5ad, &options, &ConditionRules::default(), &mut |_, _| true).unwrap();
//! println!("{} genes × {} conditions", result.matrix.n_genes(), result.matrix.n_conditions());
//! ```

use crate::conditions::{canonicalize, Canonical, Condition, ConditionRules};
use crate::error::{ErrorKind, InputError, Location, Notice};
use crate::expression::ExpressionMatrix;
use hdf5_pure::{AttrValue, File, Source};
use ndarray::Array2;
use serde::{Deserialize, Serialize};

/// The largest pseudobulk (conditions × genes of f64) made: 1 GiB, beside the file's windows and the page.
const MAX_PSEUDOBULK_BYTES: u64 = 1 << 30;
/// Stored values read per window: about 8 MB of f64.
const WINDOW_VALUES: usize = 1 << 20;
/// Distinct values of an `obs` column listed in the summary (a column with more is no cell type).
const MAX_LISTED_VALUES: usize = 200;
/// The most values of a dataset read whole (an `obs` / `var` column, `indptr`): 2^28, 2 GiB of 8-byte values,
/// a size no 32-bit multiplication overflows.
const MAX_WHOLE_ELEMENTS: u64 = 1 << 28;
/// Values looked at to tell counts from log-normalised data.
const SCALE_SAMPLE: usize = 100_000;
/// `obs` columns that hold conditions, in order of preference.
const CONDITION_COLUMNS: [&str; 8] =
    ["condition", "perturbation", "target_gene", "gene", "guide_target", "target", "perturbation_name", "guide_ids"];
/// `var` columns that hold gene symbols, in order of preference (the index comes first).
const GENE_COLUMNS: [&str; 4] = ["gene_name", "gene_symbols", "feature_name", "gene_symbol"];
/// `obs` columns that hold a cell type or line.
const CELL_TYPE_COLUMNS: [&str; 4] = ["cell_type", "cell_line", "celltype", "cell_line_name"];

/// An opened `.h5ad` file.
pub struct H5ad {
    name: String,
    file: File,
}

/// How a cells × genes matrix is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MatrixEncoding {
    Dense,
    /// Compressed sparse rows: cells are rows.
    Csr,
    /// Compressed sparse columns: genes are the compressed axis.
    Csc,
}

/// A matrix the file holds (`X` or `layers/<name>`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MatrixInfo {
    pub path: String,
    pub encoding: MatrixEncoding,
    /// Whether the values looked at were all non-negative integers (raw counts).
    pub looks_like_counts: bool,
}

/// An `obs` or `var` column with its distinct values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ColumnInfo {
    pub name: String,
    /// Distinct values (those of at least one row; the first 200) and how many rows hold each.
    pub values: Vec<String>,
    pub counts: Vec<usize>,
    pub n_values: usize,
}

/// A text column as its distinct values and, per row, the position of its value (`None`: missing).
#[derive(Clone, Debug, PartialEq)]
pub struct CodedColumn {
    pub categories: Vec<String>,
    pub codes: Vec<Option<usize>>,
}

/// What the file holds, for the file card.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct H5adSummary {
    pub n_cells: usize,
    pub n_genes: usize,
    pub matrices: Vec<MatrixInfo>,
    /// `obs` columns with text values (categoricals and string arrays).
    pub obs_columns: Vec<ColumnInfo>,
    /// `var` name columns: `index` first, then the text columns.
    pub gene_columns: Vec<String>,
    pub condition_column: Option<String>,
    pub gene_column: String,
    pub cell_type_column: Option<String>,
}

/// The scale a matrix is pseudobulked on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scale {
    /// The values are already log-normalised: averaged as they are.
    AsIs,
    /// Raw counts: each cell becomes `ln(1 + 1e4 · counts / total)` (total over all genes) before averaging.
    NormalizeCounts,
}

/// The choices a pseudobulk is made with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PseudobulkOptions {
    /// `X` or `layers/<name>`.
    pub matrix: String,
    pub scale: Scale,
    pub condition_column: String,
    /// `index` or a `var` column.
    pub gene_column: String,
    /// Only cells with this value in this column (a cell type or line).
    pub cell_type: Option<(String, String)>,
    /// Conditions with fewer cells are flagged.
    pub min_cells: usize,
}

impl PseudobulkOptions {
    /// Whether both choices make the same pseudobulk (the minimum of cells only flags conditions).
    pub fn same_pseudobulk(&self, other: &PseudobulkOptions) -> bool {
        PseudobulkOptions { min_cells: 0, ..self.clone() } == PseudobulkOptions { min_cells: 0, ..other.clone() }
    }

    /// The defaults for a file: `X`, its detected scale, the detected condition and gene columns and, when a
    /// cell-type / cell-line column has several values, the cells of its most common value (cells of
    /// different types are not pooled).
    pub fn detected(summary: &H5adSummary) -> PseudobulkOptions {
        let x = summary.matrices.iter().find(|m| m.path == "X");
        let cell_type = summary.cell_type_column.as_ref().and_then(|name| {
            let column = summary.obs_columns.iter().find(|c| c.name == *name)?;
            let largest = column.counts.iter().enumerate().max_by_key(|(position, n)| (**n, usize::MAX - position))?;
            Some((name.clone(), column.values[largest.0].clone()))
        });
        PseudobulkOptions {
            matrix: "X".into(),
            scale: if x.is_some_and(|m| m.looks_like_counts) { Scale::NormalizeCounts } else { Scale::AsIs },
            condition_column: summary.condition_column.clone().unwrap_or_default(),
            gene_column: summary.gene_column.clone(),
            cell_type,
            min_cells: 10,
        }
    }
}

/// A pseudobulk made from cells.
#[derive(Clone, Debug, PartialEq)]
pub struct Pseudobulk {
    /// Genes × canonical conditions, the mean over each condition's cells.
    pub matrix: ExpressionMatrix,
    /// Cells per condition, in the matrix's condition order.
    pub n_cells: Vec<usize>,
    /// Labels excluded (not perturbations, or three genes and more) with their cells.
    pub excluded: Vec<(String, usize)>,
    pub notices: Vec<Notice>,
}

impl H5ad {
    /// Opens a file held in memory.
    pub fn from_bytes(name: &str, bytes: Vec<u8>) -> Result<H5ad, InputError> {
        let length = bytes.len() as u64;
        let file = File::from_bytes(bytes).map_err(|error| open_error(name, error))?;
        H5ad::checked(name, file, length)
    }

    /// Opens a file read on demand from `source`.
    pub fn from_source<S: Source + Send + Sync + 'static>(name: &str, source: S) -> Result<H5ad, InputError> {
        let length = source.len();
        let file = File::from_source(source).map_err(|error| open_error(name, error))?;
        H5ad::checked(name, file, length)
    }

    /// The file, unless it is shorter than its superblock says (a download cut short).
    fn checked(name: &str, file: File, length: u64) -> Result<H5ad, InputError> {
        let expected = file.superblock().eof_address;
        if expected > length {
            return Err(InputError::new(
                name,
                Location::File,
                ErrorKind::H5ad,
                format!(
                    "the file is cut short: it holds {length} bytes of the {expected} its header announces; \
                     was the download or copy interrupted?"
                ),
            ));
        }
        Ok(H5ad { name: name.to_string(), file })
    }

    fn error(&self, key: &str, message: impl Into<String>) -> InputError {
        InputError::new(&self.name, Location::Key(key.to_string()), ErrorKind::H5ad, message)
    }

    fn hdf5_error(&self, key: &str, error: hdf5_pure::Error) -> InputError {
        self.error(key, format!("cannot be read ({error}); is the file complete, or was the download cut short?"))
    }

    /// The error of looking up `key`: missing (with `missing` saying what that means), or unreadable.
    fn lookup_error(&self, key: &str, error: hdf5_pure::Error, missing: &str) -> InputError {
        match error {
            hdf5_pure::Error::Format(hdf5_pure::FormatError::PathNotFound(_)) => self.error(key, missing),
            error => self.hdf5_error(key, error),
        }
    }

    /// What the file holds and the columns chosen by default.
    pub fn summary(&self) -> Result<H5adSummary, InputError> {
        let x = self.matrix_layout("X")?;
        let (n_cells, n_genes) = (x.n_cells, x.n_genes);
        let mut matrices =
            vec![MatrixInfo { path: "X".into(), encoding: x.encoding, looks_like_counts: self.looks_like_counts(&x)? }];
        let layers = self.file.group("layers").ok();
        for name in layers.map(|group| group_members(&group)).unwrap_or_default() {
            let path = format!("layers/{name}");
            if let Ok(layout) = self.matrix_layout(&path) {
                if (layout.n_cells, layout.n_genes) == (n_cells, n_genes) {
                    let looks_like_counts = self.looks_like_counts(&layout)?;
                    matrices.push(MatrixInfo { path, encoding: layout.encoding, looks_like_counts });
                }
            }
        }
        let obs = self.frame("obs")?;
        let mut obs_columns = Vec::new();
        // The index names each cell: never a condition, and reading it would cost a string per cell.
        let obs_index = index_name(&obs);
        for name in group_members(&obs).into_iter().filter(|name| *name != obs_index) {
            if let Ok(coded) = self.coded_column("obs", &name) {
                if coded.codes.len() == n_cells {
                    let mut counts = vec![0usize; coded.categories.len()];
                    for code in coded.codes.iter().flatten() {
                        counts[*code] += 1;
                    }
                    let (mut values, mut counts): (Vec<String>, Vec<usize>) =
                        coded.categories.into_iter().zip(counts).filter(|(_, n)| *n > 0).unzip();
                    let n_values = values.len();
                    values.truncate(MAX_LISTED_VALUES);
                    counts.truncate(MAX_LISTED_VALUES);
                    obs_columns.push(ColumnInfo { name, values, counts, n_values });
                }
            }
        }
        let condition_column = CONDITION_COLUMNS
            .iter()
            .find(|candidate| obs_columns.iter().any(|column| column.name == **candidate))
            .map(|name| name.to_string());
        let cell_type_column = CELL_TYPE_COLUMNS
            .iter()
            .find(|candidate| obs_columns.iter().any(|column| column.name == **candidate && column.n_values > 1))
            .map(|name| name.to_string());
        let mut gene_columns = vec!["index".to_string()];
        let var = self.frame("var")?;
        for name in group_members(&var) {
            if name != index_name(&var) && self.text_column("var", &name).is_ok_and(|values| values.len() == n_genes) {
                gene_columns.push(name);
            }
        }
        // The gene column: the first candidate whose values look like symbols (not Ensembl ids).
        let looks_like_symbols = |column: &str| {
            self.gene_names(column).is_ok_and(|names| {
                let ids = names.iter().filter(|name| name.starts_with("ENS") && name[3..].contains(char::is_numeric));
                ids.count() * 2 < names.len().max(1)
            })
        };
        let gene_column = std::iter::once("index")
            .chain(GENE_COLUMNS.iter().copied())
            .filter(|candidate| gene_columns.iter().any(|column| column == candidate))
            .find(|candidate| looks_like_symbols(candidate))
            .unwrap_or("index")
            .to_string();
        Ok(H5adSummary {
            n_cells,
            n_genes,
            matrices,
            obs_columns,
            gene_columns,
            condition_column,
            gene_column,
            cell_type_column,
        })
    }

    /// The gene names in `column` (`index` for the `var` index).
    pub fn gene_names(&self, column: &str) -> Result<Vec<String>, InputError> {
        if column == "index" {
            let var = self.frame("var")?;
            let index = index_name(&var);
            return self.text_column("var", &index);
        }
        self.text_column("var", column)
    }

    /// The text values of an `obs` or `var` column, one per row.
    pub fn text_column(&self, frame: &str, column: &str) -> Result<Vec<String>, InputError> {
        let coded = self.coded_column(frame, column)?;
        Ok(coded
            .codes
            .iter()
            .map(|&code| code.map(|code| coded.categories[code].clone()).unwrap_or_default())
            .collect())
    }

    /// An `obs` or `var` column as distinct values and one code per row, without a string per row: a
    /// categorical group (`codes` into `categories`, anndata ≥ 0.8), codes with their categories under
    /// `<frame>/__categories/<column>` (anndata 0.7), or a string array (its distinct values gathered here).
    pub fn coded_column(&self, frame: &str, column: &str) -> Result<CodedColumn, InputError> {
        let key = format!("{frame}/{column}");
        self.frame(frame)?;
        let categorical = |categories_key: String, codes_key: String| -> Result<CodedColumn, InputError> {
            let categories = self
                .checked_dataset(&categories_key, true)?
                .0
                .read_string()
                .map_err(|error| self.hdf5_error(&categories_key, error))?;
            let codes = self
                .checked_dataset(&codes_key, true)?
                .0
                .read_i64()
                .map_err(|error| self.hdf5_error(&codes_key, error))?;
            let codes = codes
                .into_iter()
                .map(|code| match code {
                    -1 => Ok(None),
                    code => usize::try_from(code)
                        .ok()
                        .filter(|&code| code < categories.len())
                        .map(Some)
                        .ok_or_else(|| self.error(&codes_key, format!("code {code} has no category"))),
                })
                .collect::<Result<_, _>>()?;
            Ok(CodedColumn { categories, codes })
        };
        if self.file.group(&key).is_ok() {
            return categorical(format!("{key}/categories"), format!("{key}/codes"));
        }
        let dataset = self.file.dataset(&key).map_err(|error| self.lookup_error(&key, error, "no such column"))?;
        let legacy_categories = format!("{frame}/__categories/{column}");
        if self.file.dataset(&legacy_categories).is_ok() {
            return categorical(legacy_categories, key);
        }
        drop(dataset);
        let values =
            self.checked_dataset(&key, true)?.0.read_string().map_err(|_| self.error(&key, "is not a text column"))?;
        let mut categories: Vec<String> = Vec::new();
        let mut position: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        let codes = values
            .into_iter()
            .map(|value| {
                Some(*position.entry(value).or_insert_with_key(|value| {
                    categories.push(value.clone());
                    categories.len() - 1
                }))
            })
            .collect();
        Ok(CodedColumn { categories, codes })
    }

    /// The `obs` or `var` dataframe group.
    fn frame(&self, frame: &str) -> Result<hdf5_pure::Group, InputError> {
        if self.file.dataset(frame).is_ok() {
            return Err(self.error(
                frame,
                "is a table of records, the layout of anndata before 0.7: open the file in Python and write it \
                 again with a current anndata: anndata.read_h5ad(path).write_h5ad(new_path)",
            ));
        }
        self.file
            .group(frame)
            .map_err(|error| self.lookup_error(frame, error, "is missing: this is not an AnnData file"))
    }

    fn matrix_layout(&self, path: &str) -> Result<MatrixLayout, InputError> {
        if let Ok(group) = self.file.group(path) {
            let attributes = group.attrs().map_err(|error| self.hdf5_error(path, error))?;
            // `h5sparse_format` is how anndata before 0.7 said it.
            let format = attributes.get("encoding-type").or_else(|| attributes.get("h5sparse_format"));
            let encoding = match format.and_then(attr_text).as_deref() {
                Some("csr_matrix" | "csr") => MatrixEncoding::Csr,
                Some("csc_matrix" | "csc") => MatrixEncoding::Csc,
                other => {
                    return Err(
                        self.error(path, format!("is a group of encoding {other:?}, not a csr_matrix or csc_matrix"))
                    )
                }
            };
            let shape: Vec<u64> = match attributes.get("shape").or_else(|| attributes.get("h5sparse_shape")) {
                Some(value) => attr_integers(value),
                None => vec![],
            };
            let [n_cells, n_genes] = shape[..] else {
                return Err(self.error(path, "has no `shape` attribute with two numbers"));
            };
            return Ok(MatrixLayout {
                path: path.to_string(),
                encoding,
                n_cells: n_cells as usize,
                n_genes: n_genes as usize,
            });
        }
        let dataset = self
            .file
            .dataset(path)
            .map_err(|error| self.lookup_error(path, error, "is missing: the file has no such matrix"))?;
        let shape = dataset.shape().map_err(|error| self.hdf5_error(path, error))?;
        let [n_cells, n_genes] = shape[..] else {
            return Err(self.error(path, format!("has {} dimensions, not 2", shape.len())));
        };
        Ok(MatrixLayout {
            path: path.to_string(),
            encoding: MatrixEncoding::Dense,
            n_cells: n_cells as usize,
            n_genes: n_genes as usize,
        })
    }

    /// Whether the first stored values are all non-negative integers.
    fn looks_like_counts(&self, layout: &MatrixLayout) -> Result<bool, InputError> {
        let key = match layout.encoding {
            MatrixEncoding::Dense => layout.path.clone(),
            _ => format!("{}/data", layout.path),
        };
        let (dataset, shape) = self.checked_dataset(&key, false)?;
        let rows = shape.first().copied().unwrap_or(0);
        let width = if layout.encoding == MatrixEncoding::Dense { layout.n_genes.max(1) } else { 1 };
        let sample_rows = ((SCALE_SAMPLE / width).max(1) as u64).min(rows);
        let values = dataset.read_f64_rows(0, sample_rows).map_err(|error| self.hdf5_error(&key, error))?;
        Ok(values.iter().all(|&value| value >= 0.0 && value.fract() == 0.0))
    }

    /// A dataset kept open while it is read window by window (its chunk cache keeps the chunk two windows
    /// share, so it is decompressed once).
    fn stored(&self, key: String) -> Result<Stored<'_>, InputError> {
        let (dataset, shape) = self.checked_dataset(&key, false)?;
        Ok(Stored { h5ad: self, key, dataset, shape })
    }

    /// Opens dataset `key` after checking its shape: a corrupt shape (one whose size overflows) is an error,
    /// and a dataset read `whole` (a column, `indptr`) must fit in [`MAX_WHOLE_ELEMENTS`]. Returns the shape too.
    fn checked_dataset(&self, key: &str, whole: bool) -> Result<(hdf5_pure::Dataset, Vec<u64>), InputError> {
        let dataset = self.file.dataset(key).map_err(|error| self.hdf5_error(key, error))?;
        let shape = dataset.shape().map_err(|error| self.hdf5_error(key, error))?;
        let elements = shape.iter().try_fold(1u64, |product, &dimension| product.checked_mul(dimension));
        match elements {
            Some(elements) if elements.checked_mul(16).is_some() && !(whole && elements > MAX_WHOLE_ELEMENTS) => {
                Ok((dataset, shape))
            }
            Some(elements) if elements.checked_mul(16).is_some() => Err(self.error(
                key,
                format!("has {elements} values, more than this page can read at once: is the file corrupt?"),
            )),
            _ => Err(self.error(key, format!("has an impossible shape {shape:?}: the file is corrupt"))),
        }
    }

    fn read_indptr(&self, layout: &MatrixLayout, length: usize) -> Result<Vec<usize>, InputError> {
        let key = format!("{}/indptr", layout.path);
        let values = self
            .checked_dataset(&key, true)?
            .0
            .read_i64_rows(0, length as u64)
            .map_err(|error| self.hdf5_error(&key, error))?;
        if values.len() != length {
            return Err(self.error(&key, format!("has {} entries, the shape needs {length}", values.len())));
        }
        let mut indptr = Vec::with_capacity(values.len());
        for (position, value) in values.into_iter().enumerate() {
            let value =
                usize::try_from(value).map_err(|_| self.error(&key, format!("entry {position} is negative")))?;
            if indptr.last().is_some_and(|&last| value < last) {
                return Err(self.error(&key, format!("entry {position} decreases: the matrix is corrupt")));
            }
            indptr.push(value);
        }
        Ok(indptr)
    }
}

/// An open dataset of a matrix, read a window of rows at a time.
struct Stored<'a> {
    h5ad: &'a H5ad,
    key: String,
    dataset: hdf5_pure::Dataset,
    /// Its dimensions, read once when it was opened.
    shape: Vec<u64>,
}

impl Stored<'_> {
    fn values(&self, start: usize, count: usize) -> Result<Vec<f64>, InputError> {
        let values = self
            .dataset
            .read_f64_rows(start as u64, count as u64)
            .map_err(|error| self.h5ad.hdf5_error(&self.key, error))?;
        self.whole_window(values, count)
    }

    fn indices(&self, start: usize, count: usize) -> Result<Vec<i64>, InputError> {
        let values = self
            .dataset
            .read_i64_rows(start as u64, count as u64)
            .map_err(|error| self.h5ad.hdf5_error(&self.key, error))?;
        self.whole_window(values, count)
    }

    /// The values of a window of `rows` rows, unless the dataset ended before it did.
    fn whole_window<T>(&self, values: Vec<T>, rows: usize) -> Result<Vec<T>, InputError> {
        let expected =
            self.shape.iter().skip(1).fold(rows as u64, |product, &dimension| product.saturating_mul(dimension));
        if values.len() as u64 != expected {
            return Err(self.h5ad.error(
                &self.key,
                format!("ends after {} of the {expected} values asked for: the matrix is corrupt", values.len()),
            ));
        }
        Ok(values)
    }

    /// Checks that `indptr` points inside this dataset.
    fn holds(&self, indptr: &[usize]) -> Result<(), InputError> {
        let stored = indptr.last().copied().unwrap_or(0);
        // Its first dimension: the values of `data` / `indices`.
        let rows = self.shape.first().copied().unwrap_or(0);
        if stored as u64 > rows {
            return Err(self.h5ad.error(
                &self.key,
                format!("holds {rows} values but indptr points to {stored}: the matrix is corrupt"),
            ));
        }
        Ok(())
    }
}

struct MatrixLayout {
    path: String,
    encoding: MatrixEncoding,
    n_cells: usize,
    n_genes: usize,
}

fn open_error(name: &str, error: hdf5_pure::Error) -> InputError {
    InputError::new(
        name,
        Location::File,
        ErrorKind::H5ad,
        format!("this is not a readable HDF5 / h5ad file ({error}); is it complete, or was the download cut short?"),
    )
}

fn group_members(group: &hdf5_pure::Group) -> Vec<String> {
    let mut names = group.datasets().unwrap_or_default();
    names.extend(group.groups().unwrap_or_default());
    names.sort();
    names
}

/// The name of a dataframe group's index dataset (its `_index` attribute, `_index` by default).
fn index_name(group: &hdf5_pure::Group) -> String {
    group.attrs().ok().and_then(|attributes| attributes.get("_index").and_then(attr_text)).unwrap_or("_index".into())
}

fn attr_text(value: &AttrValue) -> Option<String> {
    match value {
        AttrValue::String(text) | AttrValue::AsciiString(text) | AttrValue::VarLenString(text) => Some(text.clone()),
        AttrValue::StringSized { value, .. } | AttrValue::AsciiStringSized { value, .. } => Some(value.clone()),
        AttrValue::StringArray(texts)
        | AttrValue::AsciiStringArray(texts)
        | AttrValue::VarLenStringArray(texts)
        | AttrValue::VarLenAsciiCharArray(texts) => texts.first().cloned(),
        _ => None,
    }
}

fn attr_integers(value: &AttrValue) -> Vec<u64> {
    match value {
        AttrValue::I64Array(values) => values.iter().map(|&v| v.max(0) as u64).collect(),
        AttrValue::I32Array(values) => values.iter().map(|&v| v.max(0) as u64).collect(),
        AttrValue::U64Array(values) => values.clone(),
        AttrValue::U32Array(values) => values.iter().map(|&v| u64::from(v)).collect(),
        AttrValue::I64(value) => vec![(*value).max(0) as u64],
        AttrValue::U64(value) => vec![*value],
        AttrValue::F64Array(values) => values.iter().map(|&v| v.max(0.0) as u64).collect(),
        _ => vec![],
    }
}

/// Each cell's group (a position in the pseudobulk's conditions) or `None` when it is left out.
struct CellGroups {
    group_of_cell: Vec<Option<usize>>,
    conditions: Vec<Condition>,
    excluded: Vec<(String, usize)>,
}

fn cell_groups(h5ad: &H5ad, options: &PseudobulkOptions, rules: &ConditionRules) -> Result<CellGroups, InputError> {
    if options.condition_column.is_empty() {
        return Err(h5ad.error("obs", "no column holds conditions: choose one"));
    }
    let labels = h5ad.coded_column("obs", &options.condition_column)?;
    let n_cells = labels.codes.len();
    let keep: Option<Vec<bool>> = match &options.cell_type {
        Some((column, value)) => {
            let types = h5ad.coded_column("obs", column)?;
            if types.codes.len() != n_cells {
                return Err(h5ad
                    .error(&format!("obs/{column}"), format!("has {} values for {n_cells} cells", types.codes.len())));
            }
            let wanted = types
                .categories
                .iter()
                .position(|category| category == value)
                .ok_or_else(|| h5ad.error(&format!("obs/{column}"), format!("no cell has the value '{value}'")))?;
            Some(types.codes.iter().map(|code| *code == Some(wanted)).collect())
        }
        None => None,
    };
    // Each label's group, decided when the label is first met (so conditions keep the order of the cells).
    let mut group_of_label: Vec<Option<Option<usize>>> = vec![None; labels.categories.len()];
    let mut conditions: Vec<Condition> = Vec::new();
    let mut excluded: Vec<(String, usize)> = Vec::new();
    let mut note_excluded = |label: &str| match excluded.iter_mut().find(|(name, _)| name == label) {
        Some((_, n)) => *n += 1,
        None => excluded.push((label.to_string(), 1)),
    };
    let mut group_of_cell = Vec::with_capacity(n_cells);
    for (cell, code) in labels.codes.iter().enumerate() {
        if keep.as_ref().is_some_and(|keep| !keep[cell]) {
            group_of_cell.push(None);
            continue;
        }
        let Some(code) = *code else {
            note_excluded("(missing)");
            group_of_cell.push(None);
            continue;
        };
        let label = &labels.categories[code];
        let group = *group_of_label[code].get_or_insert_with(|| match canonicalize(label, rules) {
            Canonical::Condition(condition) => {
                Some(conditions.iter().position(|c| c.same_as(&condition)).unwrap_or_else(|| {
                    conditions.push(condition);
                    conditions.len() - 1
                }))
            }
            Canonical::NotAPerturbation | Canonical::TooManyGenes(_) => None,
        });
        if group.is_none() {
            note_excluded(label);
        }
        group_of_cell.push(group);
    }
    Ok(CellGroups { group_of_cell, conditions, excluded })
}

/// Makes the pseudobulk: per condition, the mean over its cells of the chosen matrix on the chosen scale.
/// `rules` say which labels are the control, which are left out and how genes are separated (the user's, as
/// for every other file). `on_progress(done, total)` is called between windows (cells, or genes for CSC);
/// `false` cancels.
pub fn pseudobulk(
    h5ad: &H5ad,
    options: &PseudobulkOptions,
    rules: &ConditionRules,
    on_progress: &mut dyn FnMut(usize, usize) -> bool,
) -> Result<Pseudobulk, InputError> {
    let layout = h5ad.matrix_layout(&options.matrix)?;
    let genes = h5ad.gene_names(&options.gene_column)?;
    if genes.len() != layout.n_genes {
        return Err(h5ad.error(
            &format!("var/{}", options.gene_column),
            format!("has {} names for {} genes", genes.len(), layout.n_genes),
        ));
    }
    let groups = cell_groups(h5ad, options, rules)?;
    if groups.group_of_cell.len() != layout.n_cells {
        return Err(h5ad.error(
            &format!("obs/{}", options.condition_column),
            format!("has {} values for {} cells", groups.group_of_cell.len(), layout.n_cells),
        ));
    }
    let n_genes = layout.n_genes;
    // The pseudobulk must fit beside the browser's other memory: refused before it is allocated.
    check_pseudobulk_size(groups.conditions.len(), n_genes)
        .map_err(|message| h5ad.error(&format!("obs/{}", options.condition_column), message))?;
    // Per condition and gene the sum over its cells, conditions × genes like the matrix that results; each
    // sum adds its cells in file order (kept: the pseudobulks are compared with numpy's to the last digits).
    let mut sums = Array2::<f64>::zeros((groups.conditions.len(), n_genes));
    let normalize = options.scale == Scale::NormalizeCounts;
    let cancelled = || InputError::new(&h5ad.name, Location::File, ErrorKind::H5ad, "cancelled");
    match layout.encoding {
        MatrixEncoding::Dense => {
            let rows_per_window = (WINDOW_VALUES / n_genes.max(1)).max(1);
            let stored = h5ad.stored(layout.path.clone())?;
            let mut start = 0;
            while start < layout.n_cells {
                if !on_progress(start, layout.n_cells) {
                    return Err(cancelled());
                }
                let count = rows_per_window.min(layout.n_cells - start);
                let values = stored.values(start, count)?;
                for (offset, row) in values.chunks(n_genes.max(1)).enumerate() {
                    let Some(group) = groups.group_of_cell[start + offset] else { continue };
                    let mut target = sums.row_mut(group);
                    let mut scale = CellScale::new(if normalize { row.iter().sum() } else { 1.0 }, normalize);
                    for (sum, &value) in target.iter_mut().zip(row) {
                        *sum += scale.apply(value);
                    }
                }
                start += count;
            }
        }
        MatrixEncoding::Csr => {
            let indptr = h5ad.read_indptr(&layout, layout.n_cells + 1)?;
            let data_set = h5ad.stored(format!("{}/data", layout.path))?;
            let indices_set = h5ad.stored(format!("{}/indices", layout.path))?;
            data_set.holds(&indptr)?;
            indices_set.holds(&indptr)?;
            let mut cell = 0;
            while cell < layout.n_cells {
                if !on_progress(cell, layout.n_cells) {
                    return Err(cancelled());
                }
                let end = window_end(&indptr, cell);
                let (first, last) = (indptr[cell], indptr[end]);
                let data = data_set.values(first, last - first)?;
                let indices = indices_set.indices(first, last - first)?;
                for row in cell..end {
                    let Some(group) = groups.group_of_cell[row] else { continue };
                    let range = indptr[row] - first..indptr[row + 1] - first;
                    let mut target = sums.row_mut(group);
                    let mut scale =
                        CellScale::new(if normalize { data[range.clone()].iter().sum() } else { 1.0 }, normalize);
                    for (&gene, &value) in indices[range.clone()].iter().zip(&data[range]) {
                        let sum =
                            usize::try_from(gene).ok().and_then(|gene| target.get_mut(gene)).ok_or_else(|| {
                                h5ad.error(&indices_set.key, format!("gene index {gene} is out of range"))
                            })?;
                        *sum += scale.apply(value);
                    }
                }
                cell = end;
            }
        }
        MatrixEncoding::Csc => {
            let indptr = h5ad.read_indptr(&layout, n_genes + 1)?;
            let data_set = h5ad.stored(format!("{}/data", layout.path))?;
            let indices_set = h5ad.stored(format!("{}/indices", layout.path))?;
            data_set.holds(&indptr)?;
            indices_set.holds(&indptr)?;
            // Counts are normalised by each cell's total over all genes: one pass for the totals first.
            let passes = if normalize { 2 } else { 1 };
            let mut totals = vec![0f64; if normalize { layout.n_cells } else { 0 }];
            for pass in 0..passes {
                let summing_totals = normalize && pass == 0;
                let mut gene = 0;
                while gene < n_genes {
                    if !on_progress(pass * n_genes + gene, passes * n_genes) {
                        return Err(cancelled());
                    }
                    let end = window_end(&indptr, gene);
                    let (first, last) = (indptr[gene], indptr[end]);
                    let data = data_set.values(first, last - first)?;
                    let indices = indices_set.indices(first, last - first)?;
                    for column in gene..end {
                        let range = indptr[column] - first..indptr[column + 1] - first;
                        for (&cell, &value) in indices[range.clone()].iter().zip(&data[range]) {
                            let cell =
                                usize::try_from(cell).ok().filter(|&cell| cell < layout.n_cells).ok_or_else(|| {
                                    h5ad.error(&indices_set.key, format!("cell index {cell} is out of range"))
                                })?;
                            if summing_totals {
                                totals[cell] += value;
                            } else if let Some(group) = groups.group_of_cell[cell] {
                                let total = if normalize { totals[cell] } else { 1.0 };
                                sums[[group, column]] += transform(value, total, normalize);
                            }
                        }
                    }
                    gene = end;
                }
            }
        }
    }
    on_progress(layout.n_cells, layout.n_cells);

    let mut n_cells = vec![0usize; groups.conditions.len()];
    for group in groups.group_of_cell.iter().flatten() {
        n_cells[*group] += 1;
    }
    for (mut condition_sums, &n) in sums.rows_mut().into_iter().zip(&n_cells) {
        condition_sums.mapv_inplace(|sum| sum / n.max(1) as f64);
    }
    let mut notices = Vec::new();
    if !groups.excluded.is_empty() {
        let listed: Vec<String> = groups.excluded.iter().map(|(label, n)| format!("{label} ({n} cells)")).collect();
        notices.push(Notice::info(Some(&h5ad.name), format!("excluded (not perturbations): {}", listed.join(", "))));
    }
    // No control among the cells is not an error here: the card offers the labels to pick it from, and a run
    // on data without one says which labels were looked for (`expression::require_control`).
    Ok(Pseudobulk {
        matrix: ExpressionMatrix::from_conditions_by_genes(genes, groups.conditions, sums),
        n_cells,
        excluded: groups.excluded,
        notices,
    })
}

/// Whether a pseudobulk of `conditions` × `genes` (f64) fits in [`MAX_PSEUDOBULK_BYTES`]; if not, why.
fn check_pseudobulk_size(conditions: usize, genes: usize) -> Result<(), String> {
    let bytes = conditions as f64 * genes as f64 * 8.0;
    if bytes > MAX_PSEUDOBULK_BYTES as f64 {
        return Err(format!(
            "{conditions} conditions × {genes} genes would need {:.1} GB for the pseudobulk, more than the {} GB \
             the browser can give it; choose a column with fewer conditions, or pseudobulk a subset of the cells",
            bytes / 1e9,
            MAX_PSEUDOBULK_BYTES >> 30
        ));
    }
    Ok(())
}

/// The end of the window of compressed rows (cells for CSR, genes for CSC) starting at `start`: as many as
/// fit in [`WINDOW_VALUES`] stored values, at least one.
fn window_end(indptr: &[usize], start: usize) -> usize {
    let rows = indptr.len() - 1;
    let mut end = start + 1;
    while end < rows && indptr[end + 1] - indptr[start] <= WINDOW_VALUES {
        end += 1;
    }
    end
}

/// Integer counts below this have their logarithm kept per cell.
const SMALL_COUNTS: usize = 64;

/// One cell's values on the pseudobulk's scale. Counts become `ln(1 + 1e4·count/total)`; most of a cell's
/// counts are small integers, so each of those logarithms is computed once per cell (the same expression,
/// so the same number).
struct CellScale {
    total: f64,
    normalize: bool,
    /// `ln(1 + 1e4·k/total)` for count `k`, NaN until needed.
    small: [f64; SMALL_COUNTS],
}

impl CellScale {
    fn new(total: f64, normalize: bool) -> CellScale {
        CellScale { total, normalize, small: [f64::NAN; SMALL_COUNTS] }
    }

    #[inline]
    fn apply(&mut self, value: f64) -> f64 {
        if !self.normalize {
            return value;
        }
        // `as` saturates (and maps NaN to 0), so only whole numbers in range pass the comparison.
        let count = value as usize;
        if count < SMALL_COUNTS && count as f64 == value {
            let slot = &mut self.small[count];
            if slot.is_nan() {
                *slot = transform(value, self.total, true);
            }
            *slot
        } else {
            transform(value, self.total, true)
        }
    }
}

/// A stored value on the pseudobulk's scale.
fn transform(value: f64, total: f64, normalize: bool) -> f64 {
    if normalize {
        if total > 0.0 {
            (1e4 * value / total).ln_1p()
        } else {
            0.0
        }
    } else {
        value
    }
}

/// `pseudobulk.csv`: first column `gene`, one row per gene, one column per condition.
pub fn pseudobulk_csv(pseudobulk: &Pseudobulk) -> String {
    let matrix = &pseudobulk.matrix;
    let mut header = vec!["gene".to_string()];
    header.extend(matrix.condition_names());
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    crate::results_table::write_csv(
        &header,
        matrix.genes().iter().enumerate().map(|(gene, name)| {
            std::iter::once(name.clone())
                .chain((0..matrix.n_conditions()).map(|c| matrix.column(c)[gene].to_string()))
                .collect()
        }),
    )
}

/// `n_cells.csv`: `condition,n_cells`.
pub fn n_cells_csv(pseudobulk: &Pseudobulk) -> String {
    crate::results_table::write_csv(
        &["condition", "n_cells"],
        pseudobulk.matrix.conditions().iter().zip(&pseudobulk.n_cells).map(|(c, n)| vec![c.name(), n.to_string()]),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pseudobulk_too_large_to_hold_is_refused_before_allocation() {
        assert!(check_pseudobulk_size(2_000, 20_000).is_ok());
        let message = check_pseudobulk_size(400_000, 5_000).unwrap_err();
        assert!(message.starts_with("400000 conditions × 5000 genes would need 16.0 GB"), "{message}");
    }

    #[test]
    fn only_the_minimum_of_cells_keeps_the_same_pseudobulk() {
        let options = PseudobulkOptions {
            matrix: "X".into(),
            scale: Scale::AsIs,
            condition_column: "condition".into(),
            gene_column: "index".into(),
            cell_type: None,
            min_cells: 10,
        };
        assert!(options.same_pseudobulk(&PseudobulkOptions { min_cells: 50, ..options.clone() }));
        assert!(!options.same_pseudobulk(&PseudobulkOptions { scale: Scale::NormalizeCounts, ..options.clone() }));
        let within = PseudobulkOptions { cell_type: Some(("cell_line".into(), "K562".into())), ..options.clone() };
        assert!(!options.same_pseudobulk(&within));
    }

    #[test]
    fn small_counts_use_the_same_logarithm_as_any_other() {
        let mut scale = CellScale::new(1234.0, true);
        for value in [0.0, 1.0, 3.0, 63.0, 64.0, 1000.0, 2.5, -1.0] {
            assert_eq!(scale.apply(value).to_bits(), transform(value, 1234.0, true).to_bits(), "{value}");
            assert_eq!(scale.apply(value).to_bits(), transform(value, 1234.0, true).to_bits(), "{value} again");
        }
        assert_eq!(CellScale::new(0.0, false).apply(7.5), 7.5);
    }
}
