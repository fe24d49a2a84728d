//! Pseudobulk: cells of an `.h5ad` made into one profile per condition, the mean over its cells of the
//! chosen matrix on the chosen scale. The file and its windows are [`crate::readers::h5ad`]'s; which cells
//! form which condition is decided here, by the user's condition rules as for every other file.

use crate::conditions::{canonicalize, Canonical, Condition, ConditionRules};
use crate::de::Moments;
use crate::error::{InputError, Notice};
use crate::expression::ExpressionMatrix;
use crate::readers::h5ad::{CellMatrix, H5ad, H5adContents, MatrixEncoding, Stripe};
use ndarray::Array2;
use serde::{Deserialize, Serialize};

/// The largest pseudobulk (conditions × genes of f64) made: 1 GiB, beside the file's windows and the page.
const MAX_PSEUDOBULK_BYTES: u64 = 1 << 30;

/// The scale a matrix is pseudobulked on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scale {
    /// The values are already log-normalised: averaged as they are.
    AsIs,
    /// Raw counts: each cell becomes `ln(1 + 1e4 · counts / total)` (total over all genes) before averaging.
    NormalizeCounts,
    /// Raw counts normalised to the median total per cell, `ln(1 + m · counts / total)` with `m` the median of
    /// the non-zero cell totals of the file: scanpy's `normalize_total()` default, which cell-eval applies to
    /// counts.
    NormalizeCountsMedian,
}

impl Scale {
    /// What the scale does, in words.
    pub fn describe(self) -> &'static str {
        match self {
            Scale::AsIs => "averaged as stored (log-normalised)",
            Scale::NormalizeCounts => "counts made ln(1 + 1e4 · counts / total) per cell, then averaged",
            Scale::NormalizeCountsMedian => {
                "counts made ln(1 + m · counts / total) per cell (m the median total), then averaged"
            }
        }
    }

    /// Whether the stored values are counts normalised per cell.
    pub fn is_counts(self) -> bool {
        self != Scale::AsIs
    }
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

    /// Chooses matrix `path` of `contents` with its own detected scale (counts are normalised, anything else is
    /// averaged as stored): how a new matrix comes, in the page and on the command line.
    pub fn choose_matrix(&mut self, contents: &H5adContents, path: &str) {
        let counts = contents.matrices.iter().any(|m| m.path == path && m.looks_like_counts);
        self.matrix = path.to_string();
        self.scale = if counts { Scale::NormalizeCounts } else { Scale::AsIs };
    }

    /// The defaults for a file: `X`, its detected scale, the detected condition and gene columns and, when a
    /// cell-type / cell-line column has several values, the cells of its most common value (cells of
    /// different types are not pooled).
    pub fn detected(summary: &H5adContents) -> PseudobulkOptions {
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
    /// Per condition and gene, from the same pass over the cells: the mean of the squared values and the
    /// number of cells whose value is not zero (what Welch's t and the DE metrics need beside the means).
    pub cell_statistics: CellStatistics,
    /// Labels excluded (not perturbations, or three genes and more) with their cells.
    pub excluded: Vec<(String, usize)>,
    pub notices: Vec<Notice>,
}

/// Per condition and gene statistics of the cells beside their mean, conditions × genes like the sums they
/// are accumulated with.
#[derive(Clone, Debug, PartialEq)]
pub struct CellStatistics {
    pub mean_of_squares: Array2<f64>,
    pub nonzero: Array2<u32>,
}

impl Pseudobulk {
    /// A gene's moments in a condition (positions in the matrix's conditions and genes), for Welch's t.
    pub fn moments(&self, condition: usize, gene: usize) -> Moments {
        Moments {
            cells: self.n_cells[condition],
            mean: self.matrix.column(condition)[gene],
            mean_of_squares: self.cell_statistics.mean_of_squares[[condition, gene]],
        }
    }
}

/// Each cell's group (a position in the pseudobulk's conditions) or `None` when it is left out.
pub(crate) struct CellGroups {
    pub(crate) group_of_cell: Vec<Option<usize>>,
    pub(crate) conditions: Vec<Condition>,
    /// Each condition's label as the file writes it (the first met, when several spell one condition).
    labels: Vec<String>,
    excluded: Vec<(String, usize)>,
}

/// Each of the matrix's `n_cells` cells' group, from the condition column (which must have one value per cell).
pub(crate) fn cell_groups(
    h5ad: &H5ad,
    options: &PseudobulkOptions,
    rules: &ConditionRules,
    n_cells: usize,
) -> Result<CellGroups, InputError> {
    if options.condition_column.is_empty() {
        return Err(h5ad.error("obs", "no column holds conditions: choose one"));
    }
    let labels = h5ad.coded_column("obs", &options.condition_column)?;
    if labels.codes.len() != n_cells {
        return Err(h5ad.error(
            &format!("obs/{}", options.condition_column),
            format!("has {} values for {n_cells} cells", labels.codes.len()),
        ));
    }
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
    let mut condition_labels: Vec<String> = Vec::new();
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
                    condition_labels.push(label.clone());
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
    Ok(CellGroups { group_of_cell, conditions, labels: condition_labels, excluded })
}

/// Makes the pseudobulk: per condition, the mean over its cells of the chosen matrix on the chosen scale.
/// `rules` say which labels are the control, which are left out and how genes are separated (the user's, as
/// for every other file). `on_progress(done, total)` is called between windows (cells, or genes for CSC).
pub fn pseudobulk(
    h5ad: &H5ad,
    options: &PseudobulkOptions,
    rules: &ConditionRules,
    on_progress: &mut dyn FnMut(usize, usize),
) -> Result<Pseudobulk, InputError> {
    make_pseudobulk(h5ad, options, rules, true, on_progress)
}

/// [`pseudobulk`] without the cell statistics (left empty, 0 × 0), which only the DE pass needs: the same
/// means and cell counts with two fifths of the memory traffic, for writing `pseudobulk.csv` alone.
pub fn pseudobulk_means(
    h5ad: &H5ad,
    options: &PseudobulkOptions,
    rules: &ConditionRules,
    on_progress: &mut dyn FnMut(usize, usize),
) -> Result<Pseudobulk, InputError> {
    make_pseudobulk(h5ad, options, rules, false, on_progress)
}

fn make_pseudobulk(
    h5ad: &H5ad,
    options: &PseudobulkOptions,
    rules: &ConditionRules,
    statistics: bool,
    on_progress: &mut dyn FnMut(usize, usize),
) -> Result<Pseudobulk, InputError> {
    let matrix = h5ad.cell_matrix(&options.matrix)?;
    let (n_cells_in_file, n_genes) = (matrix.n_cells(), matrix.n_genes());
    let genes = h5ad.gene_names(&options.gene_column)?;
    if genes.len() != n_genes {
        return Err(h5ad
            .error(&format!("var/{}", options.gene_column), format!("has {} names for {n_genes} genes", genes.len())));
    }
    let groups = cell_groups(h5ad, options, rules, n_cells_in_file)?;
    // The pseudobulk must fit beside the browser's other memory: refused before it is allocated.
    if let Some(message) = too_large(groups.conditions.len(), n_genes) {
        return Err(h5ad.error(&format!("obs/{}", options.condition_column), message));
    }

    // Per condition and gene the sum over its cells, conditions × genes like the matrix that results; each
    // sum adds its cells in file order (kept: the pseudobulks are compared with numpy's to the last digits).
    let size = groups.conditions.len() * n_genes;
    let statistics_size = if statistics { size } else { 0 };
    let (mut sums, mut squares, mut nonzero) =
        (vec![0f64; size], vec![0f64; statistics_size], vec![0u32; statistics_size]);
    // Counts stored by gene, or normalised to the median total, take a pass for the cells' totals first:
    // progress runs over both.
    let passes = if ScaledCells::needs_totals_pass(&matrix, options.scale) { 2 } else { 1 };
    let scaled = ScaledCells::new(&matrix, options.scale, &groups.group_of_cell, &mut |done, total| {
        on_progress(done, passes * total)
    })?;
    let mut raw = StoredValues::default();
    let mut progress = |done: usize, total: usize| on_progress((passes - 1) * total + done, passes * total);
    if statistics {
        scaled.visit(&mut progress, |group, gene, value, stored| {
            let at = group * n_genes + gene;
            add_cell(&mut sums[at], &mut squares[at], &mut nonzero[at], value);
            raw.observe(stored);
        })?;
    } else {
        scaled.visit(&mut progress, |group, gene, value, stored| {
            sums[group * n_genes + gene] += value;
            raw.observe(stored);
        })?;
    }
    let shape = (groups.conditions.len(), n_genes);
    let statistics_shape = if statistics { shape } else { (0, 0) };
    let mut sums = Array2::from_shape_vec(shape, sums).expect("conditions × genes");
    let mut squares = Array2::from_shape_vec(statistics_shape, squares).expect("conditions × genes, or none");
    let nonzero = Array2::from_shape_vec(statistics_shape, nonzero).expect("conditions × genes, or none");
    on_progress(n_cells_in_file, n_cells_in_file);

    let mut n_cells = vec![0usize; groups.conditions.len()];
    for group in groups.group_of_cell.iter().flatten() {
        n_cells[*group] += 1;
    }
    for totals in [&mut sums, &mut squares] {
        for (mut condition_totals, &n) in totals.rows_mut().into_iter().zip(&n_cells) {
            condition_totals.mapv_inplace(|total| total / n.max(1) as f64);
        }
    }
    let mut notices = Vec::new();
    if !groups.excluded.is_empty() {
        let listed: Vec<String> = groups.excluded.iter().map(|(label, n)| format!("{label} ({n} cells)")).collect();
        notices.push(Notice::info(Some(h5ad.name()), format!("excluded (not perturbations): {}", listed.join(", "))));
    }
    if let Some(message) = raw.celleval_disagreement(options) {
        notices.push(Notice::info(Some(h5ad.name()), message));
    }
    // No control among the cells is not an error here: the card offers the labels to pick it from, and a run
    // on data without one says which labels were looked for (`expression::require_control`).
    Ok(Pseudobulk {
        matrix: ExpressionMatrix::from_conditions_by_genes(genes, groups.conditions, sums).with_labels(groups.labels),
        n_cells,
        cell_statistics: CellStatistics { mean_of_squares: squares, nonzero },
        excluded: groups.excluded,
        notices,
    })
}

/// The stored values of the kept cells of a matrix on a pseudobulk's scale, visited in file order: what the
/// pseudobulk averages and the DE pass ranks, from one definition.
pub(crate) struct ScaledCells<'m, 'g> {
    matrix: &'m CellMatrix<'m>,
    /// What each cell's counts are normalised to (`None`: values as stored).
    target: Option<f64>,
    group_of_cell: &'g [Option<usize>],
    /// Each cell's total over all genes, from a pass of its own: for counts stored by gene (CSC), and for the
    /// median total (needed before the first cell is scaled).
    totals: Option<Vec<f64>>,
}

impl<'m, 'g> ScaledCells<'m, 'g> {
    /// Reads the cells' totals first when they are needed before scaling (`on_progress` reports that pass).
    pub(crate) fn new(
        matrix: &'m CellMatrix<'m>,
        scale: Scale,
        group_of_cell: &'g [Option<usize>],
        on_progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Self, InputError> {
        let mut totals = None;
        if Self::needs_totals_pass(matrix, scale) {
            let mut sums = vec![0f64; matrix.n_cells()];
            matrix.visit(on_progress, &mut |stripe| match stripe {
                Stripe::SparseGene { cells, values, .. } => {
                    for (&cell, &value) in cells.iter().zip(values) {
                        sums[cell] += value;
                    }
                }
                Stripe::Cell { cell, values } | Stripe::SparseCell { cell, values, .. } => {
                    sums[cell] = values.iter().sum();
                }
            })?;
            totals = Some(sums);
        }
        let target = match scale {
            Scale::AsIs => None,
            Scale::NormalizeCounts => Some(1e4),
            Scale::NormalizeCountsMedian => Some(median_total(totals.as_deref().unwrap_or_default())),
        };
        Ok(ScaledCells { matrix, target, group_of_cell, totals })
    }

    /// Whether [`Self::new`] reads the file once for the cells' totals.
    pub(crate) fn needs_totals_pass(matrix: &CellMatrix<'_>, scale: Scale) -> bool {
        scale == Scale::NormalizeCountsMedian || (scale.is_counts() && matrix.encoding() == MatrixEncoding::Csc)
    }

    /// Calls `add(group, gene, value, stored)` for each stored value of every kept cell (dense storage: every
    /// value, zeros included), on the scale and as stored, in file order.
    pub(crate) fn visit(
        &self,
        on_progress: &mut dyn FnMut(usize, usize),
        mut add: impl FnMut(usize, usize, f64, f64),
    ) -> Result<(), InputError> {
        let (target, group_of_cell) = (self.target, self.group_of_cell);
        let total_of = |cell: usize, values: &[f64]| match (&self.totals, target) {
            (Some(totals), _) => totals[cell],
            (None, Some(_)) => values.iter().sum(),
            (None, None) => 1.0,
        };
        self.matrix.visit(on_progress, &mut |stripe| match stripe {
            Stripe::Cell { cell, values } => {
                let Some(group) = group_of_cell[cell] else { return };
                let mut scale = CellScale::new(total_of(cell, values), target);
                for (gene, &value) in values.iter().enumerate() {
                    add(group, gene, scale.apply(value), value);
                }
            }
            Stripe::SparseCell { cell, genes, values } => {
                let Some(group) = group_of_cell[cell] else { return };
                let mut scale = CellScale::new(total_of(cell, values), target);
                for (&gene, &value) in genes.iter().zip(values) {
                    add(group, gene, scale.apply(value), value);
                }
            }
            Stripe::SparseGene { gene, cells, values } => {
                for (&cell, &value) in cells.iter().zip(values) {
                    if let Some(group) = group_of_cell[cell] {
                        let total = self.totals.as_ref().map_or(1.0, |totals| totals[cell]);
                        add(group, gene, transform(value, total, target), value);
                    }
                }
            }
        })
    }
}

/// What cell-eval's own reading of a matrix (`guess_is_lognorm`) looks at, over the stored values of the kept
/// cells: whether any has a fractional part above 1e-3 (numpy's `modf`), and the smallest and largest.
#[derive(Clone, Copy, Debug)]
struct StoredValues {
    fractional: bool,
    min: f64,
    max: f64,
}

impl Default for StoredValues {
    fn default() -> Self {
        StoredValues { fractional: false, min: f64::INFINITY, max: f64::NEG_INFINITY }
    }
}

impl StoredValues {
    #[inline]
    fn observe(&mut self, value: f64) {
        // `value.fract() > 1e-3` without a call to `trunc` per value: only positive values below 2^53 can have
        // a fractional part, and for those truncation is the conversion to an integer and back.
        self.fractional |= value > 0.0 && value < 9_007_199_254_740_992.0 && value - (value as i64) as f64 > 1e-3;
        self.min = self.min.min(value);
        self.max = self.max.max(value);
    }

    /// Why cell-eval 0.8.2 would read this matrix differently from these choices, if it would: it reads `X`,
    /// normalises integer counts to the median total (then log1p), uses values with decimals as stored and
    /// refuses them outside [0, 15).
    fn celleval_disagreement(&self, options: &PseudobulkOptions) -> Option<String> {
        if options.matrix != "X" {
            // What cell-eval makes of X is for X's card reading; these values it never reads.
            return Some(format!(
                "cell-eval reads X, not {}: its numbers for this file come from X's values.",
                options.matrix
            ));
        }
        if !self.fractional {
            (options.scale != Scale::NormalizeCountsMedian).then(|| {
                "cell-eval reads these values as integer counts and normalises them to the median total per cell \
                 (then log1p): choose the scale 'counts, median total' to score as it does."
                    .to_string()
            })
        } else if self.min < 0.0 || self.max >= 15.0 {
            Some(format!(
                "cell-eval refuses these values: they have decimals, so it expects log1p values in [0, 15), and they \
                 range from {} to {}.",
                self.min, self.max
            ))
        } else {
            options.scale.is_counts().then(|| {
                "cell-eval uses these values as stored (they have decimals: not counts), while this card normalises \
                 them as counts."
                    .to_string()
            })
        }
    }
}

/// scanpy's median total: the median of the cells' totals that are not zero (the mean of the two middle
/// ones for an even number); 0 without any.
fn median_total(totals: &[f64]) -> f64 {
    let mut positive: Vec<f64> = totals.iter().copied().filter(|&total| total > 0.0).collect();
    if positive.is_empty() {
        return 0.0;
    }
    positive.sort_by(f64::total_cmp);
    let middle = positive.len() / 2;
    if positive.len() % 2 == 1 {
        positive[middle]
    } else {
        (positive[middle - 1] + positive[middle]) / 2.0
    }
}

/// One cell's value (on the pseudobulk's scale) added to its condition's sum, sum of squares and non-zero count.
#[inline]
fn add_cell(sum: &mut f64, square: &mut f64, nonzero: &mut u32, value: f64) {
    *sum += value;
    *square += value * value;
    *nonzero += u32::from(value != 0.0);
}

/// Why a pseudobulk of `conditions` × `genes` is refused, if it would not fit in [`MAX_PSEUDOBULK_BYTES`]:
/// per condition and gene the mean and the mean of squares (f64) and the non-zero cells (u32).
fn too_large(conditions: usize, genes: usize) -> Option<String> {
    let bytes = conditions as f64 * genes as f64 * (8.0 + 8.0 + 4.0);
    (bytes > MAX_PSEUDOBULK_BYTES as f64).then(|| {
        format!(
            "{conditions} conditions × {genes} genes would need {:.1} GB for the pseudobulk and its cell statistics, more than the {} GB \
             the browser can give it; choose a column with fewer conditions, or pseudobulk a subset of the cells",
            bytes / 1e9,
            MAX_PSEUDOBULK_BYTES >> 30
        )
    })
}

/// Integer counts below this have their logarithm kept per cell.
const SMALL_COUNTS: usize = 64;

/// One cell's values on the pseudobulk's scale. Counts become `ln(1 + 1e4·count/total)`; most of a cell's
/// counts are small integers, so each of those logarithms is computed once per cell (the same expression,
/// so the same number).
struct CellScale {
    total: f64,
    target: Option<f64>,
    /// `ln(1 + 1e4·k/total)` for count `k`, NaN until needed.
    small: [f64; SMALL_COUNTS],
}

impl CellScale {
    fn new(total: f64, target: Option<f64>) -> CellScale {
        CellScale { total, target, small: [f64::NAN; SMALL_COUNTS] }
    }

    #[inline]
    fn apply(&mut self, value: f64) -> f64 {
        if self.target.is_none() {
            return value;
        }
        // `as` saturates (and maps NaN to 0), so only whole numbers in range pass the comparison.
        let count = value as usize;
        if count < SMALL_COUNTS && count as f64 == value {
            let slot = &mut self.small[count];
            if slot.is_nan() {
                *slot = transform(value, self.total, self.target);
            }
            *slot
        } else {
            transform(value, self.total, self.target)
        }
    }
}

/// A stored value on the pseudobulk's scale: counts normalised to `target` per cell, `ln(1 + target · count /
/// total)`, or as stored.
fn transform(value: f64, total: f64, target: Option<f64>) -> f64 {
    match target {
        Some(target) if total > 0.0 => libm::log1p(target * value / total),
        Some(_) => 0.0,
        None => value,
    }
}

/// `pseudobulk.csv`: first column `gene`, one row per gene, one column per condition.
pub fn pseudobulk_csv(pseudobulk: &Pseudobulk) -> String {
    matrix_csv(&pseudobulk.matrix)
}

/// A genes × conditions matrix as `pseudobulk.csv` writes it: first column `gene`, conditions by canonical
/// name, numbers as the shortest text that reads back to the same f64.
pub fn matrix_csv(matrix: &ExpressionMatrix) -> String {
    // Field by field into one writer (not a string per value), each number as `{}` writes it
    // (`number_text`).
    let mut writer = csv::Writer::from_writer(Vec::with_capacity(matrix.n_genes() * matrix.n_conditions() * 9));
    let mut number = Vec::new();
    let columns: Vec<&[f64]> = (0..matrix.n_conditions()).map(|c| matrix.column(c)).collect();
    // Writing to a Vec cannot fail.
    let _ = writer.write_field("gene");
    for name in matrix.condition_names() {
        let _ = writer.write_field(name);
    }
    let _ = writer.write_record(None::<&[u8]>);
    for (gene, name) in matrix.genes().iter().enumerate() {
        let _ = writer.write_field(name);
        for column in &columns {
            number.clear();
            crate::number_text::write_display(&mut number, column[gene]);
            let _ = writer.write_field(&number);
        }
        let _ = writer.write_record(None::<&[u8]>);
    }
    String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
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

    fn stored(values: &[f64]) -> StoredValues {
        let mut stored = StoredValues::default();
        values.iter().for_each(|&value| stored.observe(value));
        stored
    }

    #[test]
    fn a_fractional_part_is_found_as_fract_finds_it() {
        let edges = [
            0.0,
            -0.0,
            1.0,
            1.0005,
            1.002,
            -1.5,
            0.0011,
            0.0009,
            2.5e15 + 0.5,
            9_007_199_254_740_991.0,
            1e300,
            f64::MAX,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            f64::MIN_POSITIVE,
            4.999_999,
            1e-3,
            1.0 + 1e-3,
        ];
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let random = (0..10_000).map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            f64::from_bits(state)
        });
        for value in edges.into_iter().chain(random) {
            assert_eq!(stored(&[value]).fractional, value.fract() > 1e-3, "{value:e}");
        }
    }

    #[test]
    fn the_card_says_when_cell_eval_would_read_the_matrix_otherwise() {
        let options = |matrix: &str, scale| PseudobulkOptions {
            matrix: matrix.into(),
            scale,
            condition_column: "condition".into(),
            gene_column: "index".into(),
            cell_type: None,
            min_cells: 10,
        };
        let counts = stored(&[0.0, 3.0, 12.0, 40.0]);
        // Counts: cell-eval normalises them to the median total; only that scale agrees.
        let message = counts.celleval_disagreement(&options("X", Scale::NormalizeCounts)).unwrap();
        assert!(message.contains("median total"), "{message}");
        assert_eq!(counts.celleval_disagreement(&options("X", Scale::NormalizeCountsMedian)), None);
        // Decimals in [0, 15) are used as stored: the app's as-is agrees, its counts scale does not.
        let logs = stored(&[0.0, 0.5, 2.25, 14.5]);
        assert_eq!(logs.celleval_disagreement(&options("X", Scale::AsIs)), None);
        assert!(logs.celleval_disagreement(&options("X", Scale::NormalizeCounts)).unwrap().contains("as stored"));
        // Decimals outside [0, 15): refused by cell-eval. A 1e-3 fraction is still an integer to it.
        assert!(stored(&[0.5, 15.0]).celleval_disagreement(&options("X", Scale::AsIs)).unwrap().contains("refuses"));
        assert!(stored(&[-0.5, 1.5]).celleval_disagreement(&options("X", Scale::AsIs)).unwrap().contains("refuses"));
        // numpy's modf keeps the sign, so a negative fraction alone does not count as a decimal (cell-eval's
        // rule, reproduced).
        assert!(stored(&[-0.5, 1.0]).celleval_disagreement(&options("X", Scale::AsIs)).unwrap().contains("integer"));
        assert!(stored(&[2.0005])
            .celleval_disagreement(&options("X", Scale::AsIs))
            .unwrap()
            .contains("integer counts"));
        // A layer: cell-eval reads X.
        let layer = logs.celleval_disagreement(&options("layers/logs", Scale::AsIs)).unwrap();
        assert_eq!(layer, "cell-eval reads X, not layers/logs: its numbers for this file come from X's values.");
    }

    #[test]
    fn a_pseudobulk_too_large_to_hold_is_refused_before_allocation() {
        assert!(too_large(2_000, 20_000).is_none());
        let message = too_large(400_000, 5_000).unwrap();
        assert!(message.starts_with("400000 conditions × 5000 genes would need 40.0 GB"), "{message}");
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
        let mut scale = CellScale::new(1234.0, Some(1e4));
        for value in [0.0, 1.0, 3.0, 63.0, 64.0, 1000.0, 2.5, -1.0] {
            assert_eq!(scale.apply(value).to_bits(), transform(value, 1234.0, Some(1e4)).to_bits(), "{value}");
            assert_eq!(scale.apply(value).to_bits(), transform(value, 1234.0, Some(1e4)).to_bits(), "{value} again");
        }
        assert_eq!(CellScale::new(0.0, None).apply(7.5), 7.5);
    }
}
