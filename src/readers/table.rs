//! Delimited numeric tables (CSV, TSV, semicolon-separated), as spreadsheets and R/pandas write them.
//!
//! The first row holds column names and, unless told otherwise, the first column holds row names. The
//! delimiter is detected from the first line; quotes, a UTF-8 byte-order mark, CRLF line ends and gzip
//! (detected by magic bytes) are accepted. A header one field shorter than the rows (as R's `write.table` writes
//! by default) gets an empty corner cell.
//!
//! ```
//! use perturb_check::readers::table::{read_table, TableOptions};
//! let table = read_table("data.tsv", b"gene\tctrl\tKLF1+ctrl\r\nGATA1\t1.5\t2\r\n", &TableOptions::default()).unwrap();
//! assert_eq!(table.column_names, ["ctrl", "KLF1+ctrl"]);
//! assert_eq!(table.row_names, ["GATA1"]);
//! assert_eq!(table.row(0), [1.5, 2.0]);
//! ```

use super::{decode_name, decompress, strip_bom};
use crate::error::{ErrorKind, InputError, Location, Notice};

/// Whether the first column holds names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum RowNames {
    /// Always (expression matrices, predictions).
    #[default]
    FirstColumn,
    /// Only when the first cell of the first data row is not a number (embedding tables).
    Detect,
}

#[derive(Clone, Debug, Default)]
pub struct TableOptions {
    pub row_names: RowNames,
    /// Forces a delimiter instead of detecting it.
    pub delimiter: Option<u8>,
}

/// A numeric table with its names; values row-major (`row_names.len() × column_names.len()`), as f64.
#[derive(Clone, Debug, PartialEq)]
pub struct RawTable {
    /// The header cell above the row names (often `gene`), empty when there is none.
    pub corner: String,
    pub column_names: Vec<String>,
    /// Empty when the table has no row-name column.
    pub row_names: Vec<String>,
    /// Row-major values: row `i` is `values[i * n_columns .. (i + 1) * n_columns]`.
    pub values: Vec<f64>,
    /// The delimiter that was used.
    pub delimiter: u8,
    /// Repairs made while reading (Latin-1 names, decimal commas), each said once.
    pub notices: Vec<Notice>,
}

impl RawTable {
    pub fn n_rows(&self) -> usize {
        self.values.len().checked_div(self.column_names.len()).unwrap_or(0)
    }

    pub fn n_columns(&self) -> usize {
        self.column_names.len()
    }

    pub fn row(&self, index: usize) -> &[f64] {
        let width = self.column_names.len();
        &self.values[index * width..(index + 1) * width]
    }
}

/// Spellings of a missing value that R, pandas and spreadsheets write.
const MISSING_VALUE_SPELLINGS: [&str; 9] = ["", "NA", "NaN", "nan", "NAN", "na", "N/A", "null", "NULL"];

/// Picks the delimiter of the first line: a tab if there is one, else whichever of `,` and `;` occurs more
/// often outside quotes.
fn detect_delimiter(text: &[u8]) -> u8 {
    let first_line = text.split(|&byte| byte == b'\n').next().unwrap_or(&[]);
    let (mut tabs, mut commas, mut semicolons, mut quoted) = (0usize, 0usize, 0usize, false);
    for &byte in first_line {
        match byte {
            b'"' => quoted = !quoted,
            b'\t' if !quoted => tabs += 1,
            b',' if !quoted => commas += 1,
            b';' if !quoted => semicolons += 1,
            _ => {}
        }
    }
    if tabs > 0 {
        b'\t'
    } else if semicolons > commas {
        b';'
    } else {
        b','
    }
}

/// Whether a header's first cell names a column of row names (so that numeric gene IDs stay names).
fn names_rows(corner: &str) -> bool {
    const CORNERS: [&str; 12] = [
        "gene",
        "genes",
        "gene_id",
        "gene_name",
        "gene_symbol",
        "symbol",
        "feature",
        "id",
        "condition",
        "perturbation",
        "index",
        "unnamed: 0",
    ];
    CORNERS.contains(&corner.to_ascii_lowercase().as_str())
}

/// Parses one numeric cell. `decimal_comma` allows `1,5` (only when the delimiter is not a comma).
fn parse_cell(bytes: &[u8], decimal_comma: bool) -> Result<f64, CellProblem> {
    // Fast path: a plain number, parsed from bytes (correctly rounded, like `str::parse`).
    let value = match fast_float2::parse::<f64, _>(bytes.trim_ascii()) {
        Ok(value) => value,
        Err(_) => parse_unusual_cell(bytes, decimal_comma)?,
    };
    if value.is_nan() {
        Err(CellProblem::Missing)
    } else if value.is_infinite() {
        Err(CellProblem::NotFinite)
    } else {
        Ok(value)
    }
}

/// Cells the fast path refuses: decimal commas, spellings of missing values, text.
fn parse_unusual_cell(bytes: &[u8], decimal_comma: bool) -> Result<f64, CellProblem> {
    let text = std::str::from_utf8(bytes).map_err(|_| CellProblem::NotANumber)?.trim();
    match text.parse::<f64>() {
        Ok(value) => Ok(value),
        // The caller reports the repair once per file.
        Err(_) if decimal_comma && text.contains(',') => {
            text.replacen(',', ".", 1).parse::<f64>().map_err(|_| CellProblem::NotANumber)
        }
        Err(_) if MISSING_VALUE_SPELLINGS.contains(&text) => Err(CellProblem::Missing),
        Err(_) => Err(CellProblem::NotANumber),
    }
}

#[derive(Debug)]
enum CellProblem {
    NotANumber,
    Missing,
    NotFinite,
}

/// The most columns a table may have: genes as columns (a transposed pseudobulk) stay well below it.
pub const MAX_COLUMNS: usize = 100_000;

/// Reads a delimited numeric table. See the module documentation for what is accepted.
pub fn read_table(file: &str, bytes: &[u8], options: &TableOptions) -> Result<RawTable, InputError> {
    let decompressed = decompress(file, bytes)?;
    let text = strip_bom(&decompressed);
    if text.iter().all(u8::is_ascii_whitespace) {
        return Err(InputError::new(file, Location::File, ErrorKind::Empty, "the file is empty"));
    }
    if text.starts_with(b"\x89HDF\r\n\x1a\n") {
        return Err(InputError::new(
            file,
            Location::File,
            ErrorKind::Unsupported,
            "this is an HDF5 file (e.g. AnnData .h5ad), not a text table",
        ));
    }
    // Text tables have no NUL bytes; a binary file (Excel, zip, image) would otherwise fail later, less clearly.
    if text.iter().take(64 * 1024).any(|&byte| byte == 0) {
        return Err(InputError::new(
            file,
            Location::File,
            ErrorKind::Encoding,
            "this is a binary file, not a text table: save it as CSV or TSV (or gzip-compressed CSV/TSV)",
        ));
    }
    let delimiter = options.delimiter.unwrap_or_else(|| detect_delimiter(text));
    let decimal_comma = delimiter != b',';
    let mut reader = csv::ReaderBuilder::new().delimiter(delimiter).has_headers(false).flexible(true).from_reader(text);
    let mut notices = Vec::new();
    // The first name read as Latin-1: its line and how it reads.
    let mut latin1_name: Option<(usize, String)> = None;
    let mut used_decimal_comma = false;

    let mut record = csv::ByteRecord::new();
    let read_error = |error: csv::Error, line: usize| {
        InputError::new(file, Location::Line(line), ErrorKind::Encoding, format!("the row cannot be read: {error}"))
    };
    // The header: the first row that is not blank.
    let header: Vec<String> = loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => return Err(InputError::new(file, Location::File, ErrorKind::Empty, "the file is empty")),
            Ok(true) if record.iter().all(|field| field.iter().all(u8::is_ascii_whitespace)) => continue,
            Ok(true) => {
                break record
                    .iter()
                    .map(|field| {
                        let (name, was_latin1) = decode_name(field);
                        if was_latin1 && latin1_name.is_none() {
                            latin1_name = Some((record.position().map_or(1, |p| p.line() as usize), name.clone()));
                        }
                        name
                    })
                    .collect()
            }
            Err(error) => return Err(read_error(error, 1)),
        }
    };
    let header_line = record.position().map_or(1, |position| position.line() as usize);
    if header.len() > MAX_COLUMNS {
        return Err(InputError::new(
            file,
            Location::Line(header_line),
            ErrorKind::TooLarge,
            format!(
                "the header has {} columns, more than the {MAX_COLUMNS} a pseudobulk can have (one per condition, or \
                 one per gene when transposed): is this a matrix of cells? Drop the cells as .h5ad or pseudobulk them \
                 first",
                header.len()
            ),
        ));
    }

    let mut row_names = Vec::new();
    let mut values = Vec::new();
    let mut first_column_is_name: Option<bool> = match options.row_names {
        RowNames::FirstColumn => Some(true),
        RowNames::Detect => None,
    };
    let mut width: Option<usize> = None;
    loop {
        let line = match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => record.position().map_or(0, |position| position.line() as usize),
            Err(error) => {
                let line = error.position().map_or(0, |position| position.line() as usize);
                return Err(read_error(error, line));
            }
        };
        if record.len() <= 1 && record.iter().all(|field| field.iter().all(u8::is_ascii_whitespace)) {
            continue; // blank line
        }
        let has_name = *first_column_is_name.get_or_insert_with(|| {
            names_rows(header.first().map(String::as_str).unwrap_or_default())
                || parse_cell(record.get(0).unwrap_or_default(), decimal_comma).is_err()
        });
        let expected = *width.get_or_insert_with(|| record.len());
        if record.len() != expected {
            return Err(InputError::new(
                file,
                Location::Line(line),
                ErrorKind::RaggedRow,
                format!(
                    "this row has {} fields but the first data row has {expected}; every row needs the same number of \
                     fields (is a delimiter inside an unquoted name?)",
                    record.len()
                ),
            ));
        }
        let first_value = usize::from(has_name);
        if has_name {
            let (name, was_latin1) = decode_name(record.get(0).unwrap_or_default());
            if was_latin1 && latin1_name.is_none() {
                latin1_name = Some((line, name.clone()));
            }
            row_names.push(name);
        }
        for (index, field) in record.iter().enumerate().skip(first_value) {
            match parse_cell(field, decimal_comma) {
                Ok(value) => {
                    if decimal_comma && !used_decimal_comma && field.contains(&b',') {
                        used_decimal_comma = true;
                    }
                    values.push(value)
                }
                Err(problem) => {
                    let shown = String::from_utf8_lossy(field).trim().to_string();
                    let location = Location::Cell { line, column: index + 1 };
                    let (kind, message) = match problem {
                        CellProblem::Missing => (
                            ErrorKind::MissingValue,
                            format!(
                                "missing value ('{shown}'); every gene needs a value in every condition: remove the \
                                 gene or fill the value"
                            ),
                        ),
                        CellProblem::NotFinite => (ErrorKind::NotFinite, format!("'{shown}' is not a finite number")),
                        CellProblem::NotANumber => (ErrorKind::NotANumber, format!("'{shown}' is not a number")),
                    };
                    return Err(InputError::new(file, location, kind, message));
                }
            }
        }
    }
    let Some(width) = width else {
        return Err(InputError::new(
            file,
            Location::Line(header_line),
            ErrorKind::NoDataRows,
            "the file has a header but no data rows",
        ));
    };
    let has_name = first_column_is_name.unwrap_or(true);
    // The header either names every column (with a corner cell above the row names) or every value column.
    let n_values = width - usize::from(has_name);
    let (corner, column_names) = if header.len() == width {
        if has_name {
            (header[0].clone(), header[1..].to_vec())
        } else {
            (String::new(), header)
        }
    } else if has_name && header.len() == n_values {
        (String::new(), header)
    } else {
        return Err(InputError::new(
            file,
            Location::Line(header_line),
            ErrorKind::RaggedRow,
            format!("the header has {} fields but the data rows have {width}", header.len()),
        ));
    };
    if let Some((line, name)) = latin1_name {
        notices.push(Notice::warning(
            Some(file),
            format!(
                "some names are not UTF-8 and were read as Latin-1 (the first on line {line}: '{name}'); check that \
                 gene and condition names look right, or save the file as UTF-8"
            ),
        ));
    }
    if used_decimal_comma {
        notices.push(Notice::warning(Some(file), "decimal commas were read as decimal points (e.g. 1,5 as 1.5)"));
    }
    Ok(RawTable { corner, column_names, row_names, values, delimiter, notices })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<RawTable, InputError> {
        read_table("t.csv", text.as_bytes(), &TableOptions::default())
    }

    #[test]
    fn quotes_bom_and_crlf_are_accepted() {
        let table = read("\u{feff}\"gene\",\"ctrl\",\"A+ctrl\"\r\n\"G1\",1,2\r\n\"G,2\",3,4\r\n").unwrap();
        assert_eq!(table.corner, "gene");
        assert_eq!(table.row_names, ["G1", "G,2"]);
        assert_eq!(table.values, [1.0, 2.0, 3.0, 4.0]);
    }

    #[test]
    fn header_without_corner_cell_is_accepted() {
        let table = read("ctrl,A+ctrl\nG1,1,2\n").unwrap();
        assert_eq!(table.column_names, ["ctrl", "A+ctrl"]);
        assert_eq!(table.corner, "");
    }

    #[test]
    fn semicolons_with_decimal_commas_are_read_and_reported() {
        let table = read("gene;ctrl;A+ctrl\nG1;1,5;2\n").unwrap();
        assert_eq!(table.values, [1.5, 2.0]);
        assert_eq!(table.delimiter, b';');
        assert_eq!(table.notices.len(), 1);
    }

    #[test]
    fn scientific_notation_and_signs_parse() {
        let table = read("gene,a,b,c\nG,1e-3,-2.5E2,+.5\n").unwrap();
        assert_eq!(table.values, [1e-3, -250.0, 0.5]);
    }

    #[test]
    fn blank_lines_are_skipped() {
        let table = read("\n\ngene,ctrl\n\nG1,1\n\n").unwrap();
        assert_eq!(table.row_names, ["G1"]);
    }

    #[test]
    fn embedding_rows_without_labels_are_detected() {
        let options = TableOptions { row_names: RowNames::Detect, ..TableOptions::default() };
        let table = read_table("e.tsv", b"G1\tG2\n0.5\t1\n2\t3\n", &options).unwrap();
        assert!(table.row_names.is_empty());
        assert_eq!(table.column_names, ["G1", "G2"]);
        assert_eq!(table.n_rows(), 2);
        let numeric_ids = read_table("d.tsv", b"gene\tctrl\n7157\t0.5\n", &options).unwrap();
        assert_eq!(numeric_ids.row_names, ["7157"], "a 'gene' corner keeps numeric IDs as names");
        let labelled = read_table("e.tsv", b"dim\tG1\tG2\nPC1\t0.5\t1\n", &options).unwrap();
        assert_eq!(labelled.row_names, ["PC1"]);
        assert_eq!(labelled.row(0), [0.5, 1.0]);
    }

    #[test]
    fn malformed_tables_say_where() {
        let cases = [
            ("", ErrorKind::Empty, "t.csv: the file is empty"),
            ("  \n\n", ErrorKind::Empty, "t.csv: the file is empty"),
            ("gene,ctrl\n", ErrorKind::NoDataRows, "t.csv, line 1: the file has a header but no data rows"),
            ("gene,ctrl,A\nG1,1,2\nG2,1\n", ErrorKind::RaggedRow, "t.csv, line 3: this row has 2 fields"),
            ("gene,ctrl\nG1,abc\n", ErrorKind::NotANumber, "t.csv, line 2, column 2: 'abc' is not a number"),
            ("gene,ctrl\nG1,NA\n", ErrorKind::MissingValue, "t.csv, line 2, column 2: missing value ('NA')"),
            ("gene,ctrl\nG1,\n", ErrorKind::MissingValue, "t.csv, line 2, column 2: missing value ('')"),
            ("gene,ctrl\nG1,NaN\n", ErrorKind::MissingValue, "t.csv, line 2, column 2: missing value"),
            ("gene,ctrl\nG1,Inf\n", ErrorKind::NotFinite, "t.csv, line 2, column 2: 'Inf' is not a finite number"),
            ("gene,ctrl\nG1,1e400\n", ErrorKind::NotFinite, "t.csv, line 2, column 2"),
            ("a,b,c,d\nG1,1,2\n", ErrorKind::RaggedRow, "t.csv, line 1: the header has 4 fields"),
        ];
        for (text, kind, start) in cases {
            let error = read(text).unwrap_err();
            assert_eq!(error.kind, kind, "{text:?}: {error}");
            assert!(error.to_string().starts_with(start), "{text:?}: {error}");
        }
    }

    #[test]
    fn latin1_names_are_repaired_and_reported() {
        let table = read_table("t.csv", b"gene,ctrl\nG\xe9,1\n", &TableOptions::default()).unwrap();
        assert_eq!(table.row_names, ["G\u{e9}"]);
        assert_eq!(table.notices.len(), 1);
        assert!(table.notices[0].message.contains("(the first on line 2: 'G\u{e9}')"), "{:?}", table.notices);
    }
}
