//! The pseudobulk expression matrix, genes × conditions, on the log-normalised scale (METHODS §1), and how a
//! table of numbers becomes one: which axis holds conditions, canonical condition names, duplicates.
//!
//! Values are stored as f64, column-major: each condition's values over all genes are contiguous. (f32 would
//! halve the memory, but the interaction thresholds are discontinuous in the values: on the simulated demo,
//! f32 rounding moved the locfdr thresholds by 6e-5 and changed class counts against R's.)
//!
//! ```
//! use perturb_check::conditions::ConditionRules;
//! use perturb_check::expression::{read_expression_data, Orientation};
//! let csv = b"gene,ctrl,KLF1+ctrl,ctrl+GATA1\nKLF1,2.0,0.5,2.1\nHBG1,5,6,7\n";
//! let loaded = read_expression_data("data.csv", csv, &ConditionRules::default(), Orientation::Detect).unwrap();
//! let data = loaded.matrix;
//! assert_eq!(data.condition_names(), ["ctrl", "KLF1+ctrl", "GATA1+ctrl"]);
//! assert_eq!(data.control(), Some(&[2.0f64, 5.0][..]));
//! ```

use crate::conditions::{canonicalize, Canonical, Condition, ConditionKey, ConditionRules};
use crate::error::{ErrorKind, InputError, Location, Notice};
use crate::readers::table::{read_table, RawTable, TableOptions};
use ndarray::{Array2, ArrayView2};
use std::collections::hash_map::Entry;
use std::collections::HashMap;

/// A genes × conditions matrix with canonical condition names. Used for the data and for predictions.
///
/// Stored as an ndarray of conditions × genes in standard (row-major) layout, so that each condition's
/// pseudobulk over all genes is one contiguous row: [`column`](Self::column) is a slice, and
/// [`by_condition`](Self::by_condition) the whole matrix as a view.
#[derive(Clone, Debug, PartialEq)]
pub struct ExpressionMatrix {
    genes: Vec<String>,
    conditions: Vec<Condition>,
    /// conditions × genes.
    by_condition: Array2<f64>,
    gene_positions: HashMap<String, usize>,
    condition_positions: HashMap<ConditionKey, usize>,
    /// Each condition's label as the file writes it (the obs value or column name before canonicalisation),
    /// when it came from a file; cell-eval matches these, not the canonical names, against gene names.
    labels: Option<Vec<String>>,
}

impl ExpressionMatrix {
    /// Builds a matrix from genes × conditions values in column-major order (each condition's genes
    /// contiguous). Gene names and condition keys must be unique (the table reader removes duplicates first).
    ///
    /// # Panics
    /// When `values.len() != genes.len() * conditions.len()`: a programming error, not an input error.
    pub fn new(genes: Vec<String>, conditions: Vec<Condition>, values: Vec<f64>) -> Self {
        assert_eq!(values.len(), genes.len() * conditions.len(), "values must be genes × conditions");
        let by_condition = Array2::from_shape_vec((conditions.len(), genes.len()), values)
            .expect("the length was checked against the shape");
        Self::from_conditions_by_genes(genes, conditions, by_condition)
    }

    /// Builds a matrix from a conditions × genes array (row `c` is condition `c` over all genes).
    ///
    /// # Panics
    /// When the array's shape is not conditions × genes: a programming error, not an input error.
    pub fn from_conditions_by_genes(genes: Vec<String>, conditions: Vec<Condition>, by_condition: Array2<f64>) -> Self {
        assert_eq!(by_condition.dim(), (conditions.len(), genes.len()), "the array must be conditions × genes");
        // Standard layout keeps every condition's row a contiguous slice.
        let by_condition = if by_condition.is_standard_layout() {
            by_condition
        } else {
            by_condition.as_standard_layout().into_owned()
        };
        let gene_positions = genes.iter().enumerate().map(|(index, gene)| (gene.clone(), index)).rev().collect();
        let condition_positions =
            conditions.iter().enumerate().map(|(index, condition)| (condition.key(), index)).rev().collect();
        ExpressionMatrix { genes, conditions, by_condition, gene_positions, condition_positions, labels: None }
    }

    /// The same matrix with each condition's label as the file wrote it.
    ///
    /// # Panics
    /// When there is not one label per condition: a programming error, not an input error.
    pub fn with_labels(mut self, labels: Vec<String>) -> Self {
        assert_eq!(labels.len(), self.conditions.len(), "one label per condition");
        self.labels = Some(labels);
        self
    }

    /// The `index`-th condition's label as the file wrote it (its canonical name when no file named it).
    pub fn label(&self, index: usize) -> String {
        match &self.labels {
            Some(labels) => labels[index].clone(),
            None => self.conditions[index].name(),
        }
    }

    /// The whole matrix, conditions × genes.
    pub fn by_condition(&self) -> ArrayView2<'_, f64> {
        self.by_condition.view()
    }

    pub fn n_genes(&self) -> usize {
        self.genes.len()
    }

    pub fn n_conditions(&self) -> usize {
        self.conditions.len()
    }

    pub fn genes(&self) -> &[String] {
        &self.genes
    }

    pub fn conditions(&self) -> &[Condition] {
        &self.conditions
    }

    pub fn condition_names(&self) -> Vec<String> {
        self.conditions.iter().map(Condition::name).collect()
    }

    /// The values of the `index`-th condition over all genes.
    pub fn column(&self, index: usize) -> &[f64] {
        self.by_condition.row(index).to_slice().expect("rows of a standard-layout array are contiguous")
    }

    /// The largest finite value (0 for an empty matrix).
    pub fn largest_value(&self) -> f64 {
        self.by_condition.iter().copied().filter(|v| v.is_finite()).fold(0.0, f64::max)
    }

    /// All values, genes × conditions column-major (conditions × genes row-major).
    pub fn values(&self) -> &[f64] {
        self.by_condition.as_slice().expect("the array is kept in standard layout")
    }

    /// The column of a condition, matched order-insensitively (`B+A` finds `A+B`).
    pub fn column_of(&self, condition: &Condition) -> Option<&[f64]> {
        self.condition_position(condition).map(|index| self.column(index))
    }

    pub fn condition_position(&self, condition: &Condition) -> Option<usize> {
        self.condition_positions.get(&condition.key()).copied()
    }

    pub fn gene_position(&self, gene: &str) -> Option<usize> {
        self.gene_positions.get(gene).copied()
    }

    /// The pseudobulk of `ctrl`, if the matrix has one.
    pub fn control(&self) -> Option<&[f64]> {
        self.column_of(&Condition::Control)
    }
}

/// Which axis of a table holds the conditions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Orientation {
    /// Decide from the names (see [`detect_orientation`]).
    #[default]
    Detect,
    /// One row per gene, one column per condition (the layout the paper's files use).
    GenesAsRows,
    /// One row per condition, one column per gene (AnnData's cells × genes layout).
    ConditionsAsRows,
}

fn looks_like_conditions(names: &[String], rules: &ConditionRules) -> (usize, usize) {
    let controls = names
        .iter()
        .filter(|name| matches!(canonicalize(name, rules), Canonical::Condition(Condition::Control)))
        .count();
    let with_separator = names.iter().filter(|name| name.contains('+')).count();
    (controls, with_separator)
}

/// Decides which axis holds conditions. With `known_genes` (the data's genes, when reading predictions) the
/// axis that shares more names with them holds genes. Otherwise the axis with a control label holds
/// conditions; then the one with more `+` names; else genes are rows, the paper's layout.
pub fn detect_orientation(
    row_names: &[String],
    column_names: &[String],
    rules: &ConditionRules,
    known_genes: Option<&ExpressionMatrix>,
) -> Orientation {
    if let Some(data) = known_genes {
        let overlap = |names: &[String]| names.iter().filter(|name| data.gene_position(name).is_some()).count();
        let (rows, columns) = (overlap(row_names), overlap(column_names));
        if rows != columns {
            return if rows > columns { Orientation::GenesAsRows } else { Orientation::ConditionsAsRows };
        }
    }
    let (row_controls, row_plus) = looks_like_conditions(row_names, rules);
    let (column_controls, column_plus) = looks_like_conditions(column_names, rules);
    if (row_controls > 0) != (column_controls > 0) {
        return if column_controls > 0 { Orientation::GenesAsRows } else { Orientation::ConditionsAsRows };
    }
    // Compare shares, not counts: a few gene symbols contain '+' in some annotations.
    let share = |count: usize, total: usize| count as f64 / total.max(1) as f64;
    if share(row_plus, row_names.len()) > share(column_plus, column_names.len()) {
        Orientation::ConditionsAsRows
    } else {
        Orientation::GenesAsRows
    }
}

/// A matrix read from a file, with what was detected and repaired on the way.
#[derive(Clone, Debug)]
pub struct LoadedMatrix {
    pub matrix: ExpressionMatrix,
    pub orientation: Orientation,
    /// Names that are not perturbations (`unassigned`, ...), excluded.
    pub excluded: Vec<String>,
    /// Names with three or more genes, skipped.
    pub unsupported: Vec<String>,
    pub notices: Vec<Notice>,
}

/// Turns a table into a matrix: canonical condition names, excluded labels dropped, duplicates (genes or
/// conditions) resolved by keeping the first occurrence and reporting it.
pub fn matrix_from_table(
    file: &str,
    table: &RawTable,
    rules: &ConditionRules,
    orientation: Orientation,
    known_genes: Option<&ExpressionMatrix>,
) -> Result<LoadedMatrix, InputError> {
    if table.row_names.is_empty() {
        // A table read with row-name detection takes a numeric first column for values.
        return Err(InputError::new(
            file,
            Location::File,
            ErrorKind::NoDataRows,
            "the first column holds numbers, not gene or condition names; a table needs names in its first column \
             and first row",
        ));
    }
    let orientation = match orientation {
        Orientation::Detect => detect_orientation(&table.row_names, &table.column_names, rules, known_genes),
        fixed => fixed,
    };
    let mut notices = table.notices.clone();
    let (gene_names, condition_names, conditions_are_rows) = match orientation {
        Orientation::ConditionsAsRows => (&table.column_names, &table.row_names, true),
        _ => (&table.row_names, &table.column_names, false),
    };
    // Conditions: canonical, excluded labels and duplicates dropped.
    let mut conditions = Vec::new();
    let mut labels = Vec::new();
    let mut kept_conditions = Vec::new();
    let (mut excluded, mut unsupported, mut duplicate_conditions) = (Vec::new(), Vec::new(), Vec::new());
    let mut seen_conditions = HashMap::new();
    for (index, name) in condition_names.iter().enumerate() {
        match canonicalize(name, rules) {
            Canonical::Condition(condition) => match seen_conditions.entry(condition.key()) {
                Entry::Occupied(first) => duplicate_conditions.push(format!("'{name}' (same as '{}')", first.get())),
                Entry::Vacant(slot) => {
                    slot.insert(name.clone());
                    conditions.push(condition);
                    labels.push(name.clone());
                    kept_conditions.push(index);
                }
            },
            Canonical::NotAPerturbation => excluded.push(name.clone()),
            Canonical::TooManyGenes(_) => unsupported.push(name.clone()),
        }
    }
    if conditions.is_empty() {
        return Err(InputError::new(
            file,
            Location::File,
            ErrorKind::NoDataRows,
            "no condition could be read from the file's names",
        ));
    }
    // Genes: the first occurrence wins (METHODS §1).
    let mut seen_genes = HashMap::new();
    let mut kept_genes = Vec::new();
    let mut duplicate_genes = Vec::new();
    for (index, gene) in gene_names.iter().enumerate() {
        if seen_genes.insert(gene.as_str(), index).is_some() {
            duplicate_genes.push(gene.clone());
        } else {
            kept_genes.push(index);
        }
    }
    let n_columns = table.column_names.len();
    let n_genes = kept_genes.len();
    let mut values = vec![0f64; n_genes * conditions.len()];
    for (out_column, &condition_index) in kept_conditions.iter().enumerate() {
        let column = &mut values[out_column * n_genes..(out_column + 1) * n_genes];
        if conditions_are_rows {
            let row = table.row(condition_index);
            for (slot, &gene_index) in column.iter_mut().zip(&kept_genes) {
                *slot = row[gene_index];
            }
        } else {
            for (slot, &gene_index) in column.iter_mut().zip(&kept_genes) {
                *slot = table.values[gene_index * n_columns + condition_index];
            }
        }
    }
    let genes = kept_genes.iter().map(|&index| gene_names[index].clone()).collect();
    if !duplicate_genes.is_empty() {
        notices.push(Notice::warning(
            Some(file),
            format!(
                "{} duplicated gene name(s); the first occurrence of each was kept: {}",
                duplicate_genes.len(),
                preview(&duplicate_genes)
            ),
        ));
    }
    if !duplicate_conditions.is_empty() {
        notices.push(Notice::warning(
            Some(file),
            format!(
                "{} duplicated condition(s); the first occurrence of each was kept: {}",
                duplicate_conditions.len(),
                preview(&duplicate_conditions)
            ),
        ));
    }
    if !excluded.is_empty() {
        notices.push(Notice::info(
            Some(file),
            format!("excluded {} label(s) that are not perturbations: {}", excluded.len(), preview(&excluded)),
        ));
    }
    if !unsupported.is_empty() {
        notices.push(Notice::warning(
            Some(file),
            format!(
                "skipped {} condition(s) with three or more genes (not supported): {}",
                unsupported.len(),
                preview(&unsupported)
            ),
        ));
    }
    Ok(LoadedMatrix {
        matrix: ExpressionMatrix::new(genes, conditions, values).with_labels(labels),
        orientation,
        excluded,
        unsupported,
        notices,
    })
}

/// The first few items of a list, for messages.
pub(crate) fn preview(items: &[String]) -> String {
    const SHOWN: usize = 5;
    let mut text = items.iter().take(SHOWN).cloned().collect::<Vec<_>>().join(", ");
    if items.len() > SHOWN {
        text.push_str(&format!(" and {} more", items.len() - SHOWN));
    }
    text
}

/// Reads the expression data (a pseudobulk table) and checks that it has a control condition.
pub fn read_expression_data(
    file: &str,
    bytes: &[u8],
    rules: &ConditionRules,
    orientation: Orientation,
) -> Result<LoadedMatrix, InputError> {
    data_from_table(file, &read_table(file, bytes, &TableOptions::default())?, rules, orientation)
}

/// The expression data from an already read table: a matrix with a control condition.
/// Log-normalised values stay below this (`ln(1 + 1e4·x)` below 10; even `log2(CPM + 1)` below 20); larger
/// values mean counts or a linear scale.
pub const LOG_SCALE_MAX: f64 = 30.0;

pub fn data_from_table(
    file: &str,
    table: &RawTable,
    rules: &ConditionRules,
    orientation: Orientation,
) -> Result<LoadedMatrix, InputError> {
    let mut loaded = matrix_from_table(file, table, rules, orientation, None)?;
    let largest = loaded.matrix.largest_value();
    if largest > LOG_SCALE_MAX {
        loaded.notices.push(Notice::warning(
            Some(file),
            format!(
                "values reach {largest}, beyond any log-normalised value (ln(1 + 1e4·x) stays under 10): these look \
                 like counts or a linear scale, and the paper's metrics assume log-normalised data; normalise the \
                 cells (ln(1 + 1e4·counts/total)) before averaging, or drop the cells as .h5ad"
            ),
        ));
    }
    require_control(file, &loaded.matrix, &loaded.matrix.condition_names(), rules)?;
    Ok(loaded)
}

/// Expression data need a control condition. When none was recognised, the error names the control labels in
/// force and the condition labels found (`found`, as the file writes them), and says where to add the right one.
pub fn require_control(
    file: &str,
    data: &ExpressionMatrix,
    found: &[String],
    rules: &ConditionRules,
) -> Result<(), InputError> {
    match data.control() {
        Some(_) => Ok(()),
        None => Err(no_control(file, found, rules)),
    }
}

/// The error for expression data with no recognised control (see [`require_control`]).
pub fn no_control(file: &str, found: &[String], rules: &ConditionRules) -> InputError {
    InputError::new(
        file,
        Location::File,
        ErrorKind::NoControl,
        format!(
            "no control condition: expected one named {} (found {}); if your control has another label, add it to \
             the control labels in Settings or pick it on the file's card",
            rules.control_labels.join(", "),
            preview(found)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<LoadedMatrix, InputError> {
        read_expression_data("d.csv", text.as_bytes(), &ConditionRules::default(), Orientation::Detect)
    }

    #[test]
    fn transposed_tables_are_detected() {
        let loaded = load("condition,G1,G2\nctrl,1,2\nA+ctrl,3,4\n").unwrap();
        assert_eq!(loaded.orientation, Orientation::ConditionsAsRows);
        assert_eq!(loaded.matrix.genes(), ["G1", "G2"]);
        assert_eq!(loaded.matrix.column(1), [3.0, 4.0]);
        let loaded = load("gene,ctrl,A+ctrl\nG1,1,3\nG2,2,4\n").unwrap();
        assert_eq!(loaded.orientation, Orientation::GenesAsRows);
        assert_eq!(loaded.matrix.column(1), [3.0, 4.0]);
    }

    #[test]
    fn orientation_can_be_forced() {
        let loaded =
            read_expression_data("d.csv", b"x,ctrl,A\nG1,1,3\n", &ConditionRules::default(), Orientation::GenesAsRows)
                .unwrap();
        assert_eq!(loaded.matrix.condition_names(), ["ctrl", "A+ctrl"]);
    }

    #[test]
    fn duplicates_keep_the_first_and_are_reported() {
        let loaded = load("gene,ctrl,A+ctrl,ctrl+A\nG1,1,2,9\nG1,5,5,5\nG2,3,4,9\n").unwrap();
        assert_eq!(loaded.matrix.genes(), ["G1", "G2"]);
        assert_eq!(loaded.matrix.column(1), [2.0, 4.0]);
        assert_eq!(loaded.notices.len(), 2, "{:?}", loaded.notices);
    }

    #[test]
    fn non_perturbation_labels_are_excluded_and_listed() {
        let loaded = load("gene,ctrl,unassigned,A+ctrl,A+B+C\nG1,1,2,3,4\n").unwrap();
        assert_eq!(loaded.matrix.condition_names(), ["ctrl", "A+ctrl"]);
        assert_eq!(loaded.excluded, ["unassigned"]);
        assert_eq!(loaded.unsupported, ["A+B+C"]);
    }

    #[test]
    fn missing_control_is_an_error_that_names_the_labels() {
        let error = load("gene,A+ctrl,B+ctrl\nG1,1,2\n").unwrap_err();
        assert_eq!(error.kind, ErrorKind::NoControl);
        assert!(error.to_string().contains("expected one named ctrl, control, non-targeting"), "{error}");
    }

    #[test]
    fn tables_without_row_names_are_refused() {
        use crate::readers::table::RowNames;
        let options = TableOptions { row_names: RowNames::Detect, ..TableOptions::default() };
        let table = read_table("e.tsv", b"G1\tG2\n0.5\t1\n", &options).unwrap();
        let error =
            matrix_from_table("e.tsv", &table, &ConditionRules::default(), Orientation::Detect, None).unwrap_err();
        assert_eq!(error.kind, ErrorKind::NoDataRows);
        assert!(error.to_string().starts_with("e.tsv: the first column holds numbers"), "{error}");
    }

    #[test]
    fn other_control_labels_are_found() {
        let rules = ConditionRules { control_labels: vec!["NT".into()], ..ConditionRules::default() };
        let loaded = read_expression_data("d.csv", b"gene,NT,A\nG1,1,2\n", &rules, Orientation::Detect).unwrap();
        assert_eq!(loaded.matrix.control(), Some(&[1.0f64][..]));
    }
}
