//! AnnData `.h5ad` files (HDF5, read with the pure-Rust `hdf5-pure`): the file, its `obs` / `var` columns
//! and its matrices read a window at a time. What the cells are made into is [`crate::pseudobulk`]'s.
//!
//! What is read: `X` or a layer (dense, or sparse CSR / CSC groups with `data` / `indices` / `indptr` and an
//! `encoding-type` attribute), any numeric storage type, any filter hdf5-pure decodes (gzip, lzf, shuffle);
//! `obs` columns stored as categoricals (`codes` + `categories`) or string arrays; `var` names from its index
//! or a `gene_name` / `gene_symbols` / `feature_name` column.
//!
//! [`CellMatrix::visit`] streams a matrix a window of cells at a time (a window of genes for CSC), about 8 MB
//! of values, so whatever the file's size memory holds one window. The file is reached through an
//! [`hdf5_pure::Source`]: bytes in memory for tests, `Blob.slice` reads in the worker, positional reads of a
//! file on disk on the command line ([`FileSource`]).
//!
//! ```no_run
//! use perturb_check::conditions::ConditionRules;
//! use perturb_check::pseudobulk::{pseudobulk, PseudobulkOptions};
//! use perturb_check::readers::h5ad::H5ad;
//! let h5ad = H5ad::from_bytes("cells.h5ad", std::fs::read("cells.h5ad").unwrap()).unwrap();
//! let summary = h5ad.contents().unwrap();
//! let options = PseudobulkOptions::detected(&summary);
//! let result = pseudobulk(&h5ad, &options, &ConditionRules::default(), &mut |_, _| {}).unwrap();
//! println!("{} genes × {} conditions", result.matrix.n_genes(), result.matrix.n_conditions());
//! ```

use crate::error::{ErrorKind, InputError, Location};
use hdf5_pure::{AttrValue, File, Source};
use serde::{Deserialize, Serialize};

/// Stored values read per window: about 8 MB of f64.
const WINDOW_VALUES: usize = 1 << 20;
/// How many windows may be read ahead of the one being visited (natively, on other threads).
const READ_AHEAD: usize = 4;
/// Distinct values of an `obs` column listed in the summary (a column with more is no cell type).
const MAX_LISTED_VALUES: usize = 200;
/// The most values of a dataset read whole (an `obs` / `var` column, `indptr`): 2^28, 2 GiB of 8-byte values,
/// a size no 32-bit multiplication overflows.
const MAX_WHOLE_ELEMENTS: u64 = 1 << 28;
/// The most bytes one stored byte can become: deflate's largest expansion (about 1032:1), with a margin.
const MAX_EXPANSION: u64 = 1100;
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
    /// The file's length in bytes.
    length: u64,
    /// Stored values of a matrix read at a time ([`WINDOW_VALUES`] unless set).
    window_values: usize,
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
pub struct H5adContents {
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

/// A file on disk read with positional reads, only the parts asked for (the command line's h5ad reader; the
/// operating system's page cache does the buffering the worker does by hand).
#[cfg(not(target_arch = "wasm32"))]
pub struct FileSource {
    file: std::fs::File,
    len: u64,
}

#[cfg(not(target_arch = "wasm32"))]
impl FileSource {
    pub fn open(path: &std::path::Path) -> std::io::Result<FileSource> {
        let file = std::fs::File::open(path)?;
        let len = file.metadata()?.len();
        Ok(FileSource { file, len })
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl Source for FileSource {
    fn len(&self) -> u64 {
        self.len
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), hdf5_pure::FormatError> {
        let end = offset.saturating_add(buf.len() as u64);
        if end > self.len {
            return Err(hdf5_pure::FormatError::Source(format!(
                "read past the end of the file ({end} > {})",
                self.len
            )));
        }
        #[cfg(unix)]
        let result = std::os::unix::fs::FileExt::read_exact_at(&self.file, buf, offset);
        #[cfg(windows)]
        let result = {
            let mut done = 0;
            let mut result = Ok(());
            while done < buf.len() {
                match std::os::windows::fs::FileExt::seek_read(&self.file, &mut buf[done..], offset + done as u64) {
                    Ok(0) => {
                        result = Err(std::io::ErrorKind::UnexpectedEof.into());
                        break;
                    }
                    Ok(n) => done += n,
                    Err(error) => {
                        result = Err(error);
                        break;
                    }
                }
            }
            result
        };
        result.map_err(|error| hdf5_pure::FormatError::Source(error.to_string()))
    }
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

    /// Opens a file on disk, read on demand; `name` is how errors name it.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn open(name: &str, path: &std::path::Path) -> Result<H5ad, InputError> {
        let source = FileSource::open(path).map_err(|error| {
            InputError::new(name, Location::File, ErrorKind::H5ad, format!("the file could not be read ({error})"))
        })?;
        H5ad::from_source(name, source)
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
        Ok(H5ad { name: name.to_string(), file, length, window_values: WINDOW_VALUES })
    }

    /// Reads matrices `values` stored values at a time (at least one row): less memory per window read, more
    /// reads. What is computed from the matrix does not depend on it (nor on the threads reading ahead).
    pub fn set_window_values(&mut self, values: usize) {
        self.window_values = values.max(1);
    }

    /// The file's name, as the user gave it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// An error at `key` of this file (a dataset, a group, `obs/<column>`).
    pub(crate) fn error(&self, key: &str, message: impl Into<String>) -> InputError {
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
    pub fn contents(&self) -> Result<H5adContents, InputError> {
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
        Ok(H5adContents {
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
        let plain_integers = match dataset.datatype() {
            Ok(hdf5_pure::Datatype::FixedPoint {
                size: size @ (4 | 8),
                byte_order: hdf5_pure::DatatypeByteOrder::LittleEndian,
                layout,
            }) if layout.bit_offset == 0
                && u32::from(layout.bit_precision) == size * 8
                && (layout.signed || size == 4) =>
            {
                Some((size as usize, layout.signed))
            }
            _ => None,
        };
        Ok(Stored { h5ad: self, key, dataset, shape, plain_integers })
    }

    /// Opens dataset `key` after checking its shape: a corrupt shape (one whose size overflows, or whose bytes
    /// are more than the file could expand to) is an error, and a dataset read `whole` (a column, `indptr`)
    /// must fit in [`MAX_WHOLE_ELEMENTS`]. Returns the shape too.
    ///
    /// The bytes bound every read of the dataset, a window included: a file can declare a huge extent (or
    /// a huge element size) over chunks it never stored, which a read would fill, so the declared size is
    /// refused before anything is allocated for it.
    fn checked_dataset(&self, key: &str, whole: bool) -> Result<(hdf5_pure::Dataset, Vec<u64>), InputError> {
        let dataset = self.file.dataset(key).map_err(|error| self.hdf5_error(key, error))?;
        let shape = dataset.shape().map_err(|error| self.hdf5_error(key, error))?;
        let element_size = dataset.element_size().map_err(|error| self.hdf5_error(key, error))?;
        let elements = shape.iter().try_fold(1u64, |product, &dimension| product.checked_mul(dimension));
        // (Values become at most 16 bytes each once read: that size must not overflow either.)
        let bytes = elements
            .filter(|elements| elements.checked_mul(16).is_some())
            .and_then(|elements| elements.checked_mul(element_size));
        match (elements, bytes) {
            (Some(elements), Some(bytes)) if bytes > self.length.saturating_mul(MAX_EXPANSION) => Err(self.error(
                key,
                format!(
                    "declares {elements} values of {element_size} bytes, more than a file of {} bytes can hold \
                     even compressed: the file is corrupt",
                    self.length
                ),
            )),
            (Some(elements), Some(_)) if whole && elements > MAX_WHOLE_ELEMENTS => Err(self.error(
                key,
                format!("has {elements} values, more than this page can read at once: is the file corrupt?"),
            )),
            (Some(_), Some(_)) => Ok((dataset, shape)),
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

/// A matrix of the file (`X` or a layer), cells × genes, ready to be read a window at a time.
pub struct CellMatrix<'a> {
    h5ad: &'a H5ad,
    layout: MatrixLayout,
}

/// What [`CellMatrix::visit`] hands over: one compressed row of the stored matrix, in file order.
pub enum Stripe<'w> {
    /// Dense storage: one cell's value for every gene.
    Cell { cell: usize, values: &'w [f64] },
    /// CSR: one cell's stored values and the genes they are of.
    SparseCell { cell: usize, genes: &'w [usize], values: &'w [f64] },
    /// CSC: one gene's stored values and the cells they are of.
    SparseGene { gene: usize, cells: &'w [usize], values: &'w [f64] },
}

impl H5ad {
    /// The matrix at `path` (`X` or `layers/<name>`).
    pub fn cell_matrix(&self, path: &str) -> Result<CellMatrix<'_>, InputError> {
        Ok(CellMatrix { h5ad: self, layout: self.matrix_layout(path)? })
    }
}

impl CellMatrix<'_> {
    pub fn n_cells(&self) -> usize {
        self.layout.n_cells
    }

    pub fn n_genes(&self) -> usize {
        self.layout.n_genes
    }

    pub fn encoding(&self) -> MatrixEncoding {
        self.layout.encoding
    }

    /// Reads the matrix a window at a time and hands each stored row (a cell, or a gene for CSC) to `visit`,
    /// in file order, with every index checked to lie inside the shape. `on_progress(done, total)` is called
    /// before each window (cells, or genes for CSC).
    pub fn visit(
        &self,
        on_progress: &mut dyn FnMut(usize, usize),
        visit: &mut dyn FnMut(Stripe<'_>),
    ) -> Result<(), InputError> {
        let (h5ad, layout) = (self.h5ad, &self.layout);
        let n_genes = layout.n_genes;
        // Windows are read ahead on other threads natively (each read alone, decompression included) and
        // handed to `visit` in file order, so what is computed from them does not depend on the threads.
        if layout.encoding == MatrixEncoding::Dense {
            let rows_per_window = (h5ad.window_values / n_genes.max(1)).max(1);
            let stored = h5ad.stored(layout.path.clone())?;
            let windows = layout.n_cells.div_ceil(rows_per_window);
            let window = |k: usize| (k * rows_per_window, rows_per_window.min(layout.n_cells - k * rows_per_window));
            return crate::parallel::in_order(
                windows,
                READ_AHEAD,
                |k| {
                    let (start, count) = window(k);
                    stored.values(start, count)
                },
                |k, values| {
                    let (start, _) = window(k);
                    on_progress(start, layout.n_cells);
                    for (offset, row) in values?.chunks(n_genes.max(1)).enumerate() {
                        visit(Stripe::Cell { cell: start + offset, values: row });
                    }
                    Ok(())
                },
            );
        }
        // Sparse: rows are cells (CSR) or genes (CSC), indices the other axis.
        let (rows, width, what) = match layout.encoding {
            MatrixEncoding::Csr => (layout.n_cells, n_genes, "gene"),
            _ => (n_genes, layout.n_cells, "cell"),
        };
        let indptr = h5ad.read_indptr(layout, rows + 1)?;
        let data_set = h5ad.stored(format!("{}/data", layout.path))?;
        let indices_set = h5ad.stored(format!("{}/indices", layout.path))?;
        data_set.holds(&indptr)?;
        indices_set.holds(&indptr)?;
        let mut starts = vec![0];
        while let Some(&row) = starts.last().filter(|&&row| row < rows) {
            starts.push(window_end(&indptr, row, h5ad.window_values));
        }
        let read = |k: usize| -> Result<(Vec<f64>, Vec<usize>), InputError> {
            let (first, last) = (indptr[starts[k]], indptr[starts[k + 1]]);
            let data = data_set.values(first, last - first)?;
            let indices = indices_set.positions(first, last - first, width, what)?;
            Ok((data, indices))
        };
        crate::parallel::in_order(starts.len() - 1, READ_AHEAD, read, |k, window| {
            let (row, end) = (starts[k], starts[k + 1]);
            on_progress(row, rows);
            let (data, indices) = window?;
            let first = indptr[row];
            for stored_row in row..end {
                let range = indptr[stored_row] - first..indptr[stored_row + 1] - first;
                let (indices, values) = (&indices[range.clone()], &data[range]);
                visit(match layout.encoding {
                    MatrixEncoding::Csr => Stripe::SparseCell { cell: stored_row, genes: indices, values },
                    _ => Stripe::SparseGene { gene: stored_row, cells: indices, values },
                });
            }
            Ok(())
        })
    }
}

/// The end of the window of compressed rows (cells for CSR, genes for CSC) starting at `start`: as many as
/// fit in `window_values` stored values, at least one.
fn window_end(indptr: &[usize], start: usize, window_values: usize) -> usize {
    let rows = indptr.len() - 1;
    let mut end = start + 1;
    while end < rows && indptr[end + 1] - indptr[start] <= window_values {
        end += 1;
    }
    end
}

/// Stored indices as positions below `width`, or the first index that is not one. Checked in a loop without a
/// branch: as u64 a negative index is past any width, so one comparison per value finds both kinds of index out
/// of range, before any is narrowed to `usize` (32 bits in wasm).
fn positions_below(indices: impl Iterator<Item = i64> + Clone, width: usize) -> Result<Vec<usize>, i64> {
    let limit = width as u64;
    let mut all_inside = true;
    let positions: Vec<usize> = indices
        .clone()
        .map(|index| {
            let index = index as u64;
            all_inside &= index < limit;
            index as usize
        })
        .collect();
    if all_inside {
        return Ok(positions);
    }
    match indices.into_iter().find(|&index| index as u64 >= limit) {
        Some(bad) => Err(bad),
        None => Ok(positions),
    }
}

/// An open dataset of a matrix, read a window of rows at a time.
struct Stored<'a> {
    h5ad: &'a H5ad,
    key: String,
    dataset: hdf5_pure::Dataset,
    /// Its dimensions, read once when it was opened.
    shape: Vec<u64>,
    /// Element size and signedness when it holds plain little-endian 32- or 64-bit integers (what anndata
    /// writes for indices), decoded here in one pass from the stored bytes.
    plain_integers: Option<(usize, bool)>,
}

impl Stored<'_> {
    fn values(&self, start: usize, count: usize) -> Result<Vec<f64>, InputError> {
        let values = self
            .dataset
            .read_f64_rows(start as u64, count as u64)
            .map_err(|error| self.h5ad.hdf5_error(&self.key, error))?;
        self.whole_window(values, count)
    }

    /// The window's indices as positions below `width` (`what` names them in the error for one that is not).
    fn positions(&self, start: usize, count: usize, width: usize, what: &str) -> Result<Vec<usize>, InputError> {
        let out_of_range = |index: i64| self.h5ad.error(&self.key, format!("{what} index {index} is out of range"));
        let Some((size, signed)) = self.plain_integers else {
            return positions_below(self.indices(start, count)?.into_iter(), width).map_err(out_of_range);
        };
        let raw = self
            .dataset
            .read_raw_rows(start as u64, count as u64)
            .map_err(|error| self.h5ad.hdf5_error(&self.key, error))?;
        let decode = |bytes: &[u8]| -> i64 {
            match (size, signed) {
                (4, true) => i64::from(i32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])),
                (4, false) => i64::from(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])),
                _ => {
                    i64::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7]])
                }
            }
        };
        let positions = positions_below(raw.chunks_exact(size).map(decode), width).map_err(out_of_range)?;
        self.whole_window(positions, count)
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
