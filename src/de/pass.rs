//! The DE pass: every condition's cells against the control cells, per gene, by the Mann–Whitney U test of
//! [`super`], streamed from an h5ad file in bounded memory.
//!
//! The pseudobulk pass already counted each condition's non-zero cells per gene, so the pass knows, before it
//! reads a value, where each one goes: the non-zero values of a batch of conditions are written straight into
//! one buffer, condition by condition and gene by gene (a counting sort), then each gene's few values are
//! sorted. The control's values are gathered with the first batch and kept sorted for every later one.
//! Conditions are packed into batches whose values fit [`DE_BUDGET_BYTES`] (4 bytes each, the float32 the
//! tools rank); each batch reads the file once more. Zeros never enter the buffer: they are one tied block.

use super::{benjamini_hochberg, mann_whitney_sorted, MannWhitney, SortedSlice};
use crate::conditions::{Condition, ConditionRules};
use crate::error::InputError;
use crate::expression::ExpressionMatrix;
use crate::pseudobulk::{cell_groups, Pseudobulk, PseudobulkOptions, ScaledCells};
use crate::readers::h5ad::H5ad;

/// The memory the pass gives the values of one batch of conditions (and the control's).
pub const DE_BUDGET_BYTES: usize = 256 << 20;

/// One condition's test against the control cells, per gene in the pseudobulk's order.
#[derive(Clone, Debug, PartialEq)]
pub struct DeCondition {
    /// U of the condition's cells (scipy's `statistic`).
    pub statistic: Vec<f64>,
    pub p_value: Vec<f64>,
    /// Benjamini–Hochberg over the condition's genes.
    pub fdr: Vec<f64>,
}

/// A file's DE: per condition of its pseudobulk (same order), the test against its control cells; `None` for
/// the control itself.
#[derive(Clone, Debug, PartialEq)]
pub struct DeTable {
    pub conditions: Vec<Option<DeCondition>>,
    /// How many times the file was read (one per batch).
    pub batches: usize,
    /// The control cells' values: what cell-eval's baseline, whose control cells are the data's, is tested
    /// against.
    pub control: SortedControl,
}

/// The control cells' sorted non-zero values, gene after gene (`offsets[g]..offsets[g + 1]`), and their number.
#[derive(Clone, Debug, PartialEq)]
pub struct SortedControl {
    values: Vec<f32>,
    offsets: Vec<usize>,
    cells: usize,
}

impl SortedControl {
    /// The control's values of `gene`.
    fn slice(&self, gene: usize) -> SortedSlice<'_> {
        let values = &self.values[self.offsets[gene]..self.offsets[gene + 1]];
        SortedSlice { nonzero: values, zeros: self.cells - values.len() }
    }
}

/// A condition's tests, gene after gene, with their BH over the genes.
fn collect_tests(tests: impl Iterator<Item = Option<MannWhitney>>) -> DeCondition {
    let (statistic, p_value): (Vec<f64>, Vec<f64>) =
        tests.map(|test| test.map_or((f64::NAN, f64::NAN), |test| (test.statistic, test.p_value))).unzip();
    let fdr = benjamini_hochberg(&p_value);
    DeCondition { statistic, p_value, fdr }
}

/// The largest DE table kept (U, p and fdr in f64 per condition and gene): 512 MiB.
const MAX_TABLE_BYTES: f64 = (512u64 << 20) as f64;

/// Why a DE table of `conditions` × `genes` is not made, if it would not fit.
fn too_large(conditions: usize, genes: usize) -> Option<String> {
    let bytes = conditions as f64 * genes as f64 * 24.0;
    (bytes > MAX_TABLE_BYTES).then(|| {
        format!(
            "{conditions} conditions × {genes} genes would need {:.1} GB for the differential expression, more than \
             the {} MB it may use: the DE metrics are left out (pseudobulk a subset of the cells for them)",
            bytes / 1e9,
            (MAX_TABLE_BYTES as u64) >> 20
        )
    })
}

/// Which conditions each batch holds, in order, so that each batch's non-zero values (with the control's,
/// in the first) fit `budget_values`; a condition larger than the budget has a batch of its own.
fn batches_of(values_per_condition: &[usize], control: usize, budget_values: usize) -> Vec<Vec<usize>> {
    let mut batches: Vec<Vec<usize>> = Vec::new();
    let mut used = values_per_condition[control];
    let mut current: Vec<usize> = Vec::new();
    for (condition, &values) in values_per_condition.iter().enumerate() {
        if condition == control {
            continue;
        }
        if !current.is_empty() && used + values > budget_values {
            batches.push(std::mem::take(&mut current));
            used = 0;
        }
        current.push(condition);
        used += values;
    }
    if !current.is_empty() || batches.is_empty() {
        batches.push(current);
    }
    batches
}

/// The DE of an h5ad file's cells against its control cells, as pdex (`mode="ref"`) computes it for
/// cell-eval, on the values `pseudobulk` was made from (same matrix, scale and condition rules).
/// `on_progress(done, total)` runs over every batch's reading.
pub fn differential_expression(
    h5ad: &H5ad,
    options: &PseudobulkOptions,
    rules: &ConditionRules,
    pseudobulk: &Pseudobulk,
    budget_bytes: usize,
    on_progress: &mut dyn FnMut(usize, usize),
) -> Result<DeTable, InputError> {
    let matrix = h5ad.cell_matrix(&options.matrix)?;
    let n_genes = matrix.n_genes();
    let groups = cell_groups(h5ad, options, rules, matrix.n_cells())?;
    let conditions = pseudobulk.matrix.conditions();
    if groups.conditions != conditions || n_genes != pseudobulk.matrix.n_genes() {
        return Err(h5ad.error("X", "the file changed since it was read: remove it and add it again"));
    }
    if pseudobulk.cell_statistics.nonzero.dim() != (conditions.len(), n_genes) {
        return Err(h5ad.error("X", "its pseudobulk was made without the cells' statistics: read the file again"));
    }
    let control_position = conditions
        .iter()
        .position(|condition| *condition == Condition::Control)
        .ok_or_else(|| h5ad.error(&format!("obs/{}", options.condition_column), "no control cells to test against"))?;
    if let Some(message) = too_large(conditions.len(), n_genes) {
        return Err(h5ad.error(&format!("obs/{}", options.condition_column), message));
    }
    let nonzero = &pseudobulk.cell_statistics.nonzero;
    let values_per_condition: Vec<usize> =
        nonzero.rows().into_iter().map(|row| row.iter().map(|&n| n as usize).sum()).collect();
    let batches = batches_of(&values_per_condition, control_position, (budget_bytes / 4).max(1));
    let n_batches = batches.len();
    let mut results: Vec<Option<DeCondition>> = vec![None; conditions.len()];
    // Filled by the first batch, which holds the control.
    let mut control = SortedControl {
        values: Vec::new(),
        offsets: vec![0; n_genes + 1],
        cells: pseudobulk.n_cells[control_position],
    };
    let scaled = ScaledCells::new(&matrix, options.scale, &groups.group_of_cell, &mut |_, _| {})?;
    for (batch_index, batch) in batches.iter().enumerate() {
        let first = batch_index == 0;
        let mut members: Vec<usize> = batch.clone();
        if first {
            members.insert(0, control_position);
        }
        let mut slot_of: Vec<Option<usize>> = vec![None; conditions.len()];
        for (slot, &condition) in members.iter().enumerate() {
            slot_of[condition] = Some(slot);
        }
        // Slot-major, gene-minor: each condition's values are one contiguous region.
        let mut offsets = Vec::with_capacity(members.len() * n_genes + 1);
        offsets.push(0usize);
        for &condition in &members {
            for gene in 0..n_genes {
                offsets.push(offsets.last().expect("pushed") + nonzero[[condition, gene]] as usize);
            }
        }
        let mut buffer = vec![0f32; *offsets.last().expect("pushed")];
        let mut cursor: Vec<usize> = offsets[..offsets.len() - 1].to_vec();
        let mut overflow = false;
        scaled.visit(
            &mut |done, total| on_progress(batch_index * total + done, n_batches * total),
            |group, gene, value, _| {
                if value == 0.0 {
                    return;
                }
                let Some(slot) = slot_of[group] else { return };
                let at = slot * n_genes + gene;
                if cursor[at] < offsets[at + 1] {
                    buffer[cursor[at]] = value as f32;
                    cursor[at] += 1;
                } else {
                    overflow = true;
                }
            },
        )?;
        if overflow || cursor.iter().zip(&offsets[1..]).any(|(filled, end)| filled != end) {
            return Err(h5ad.error("X", "the file changed since it was read: remove it and add it again"));
        }
        for (slot, _) in members.iter().enumerate() {
            for gene in 0..n_genes {
                let at = slot * n_genes + gene;
                buffer[offsets[at]..offsets[at + 1]].sort_unstable_by(f32::total_cmp);
            }
        }
        if first {
            control.offsets = offsets[..=n_genes].to_vec();
            control.values = buffer[..offsets[n_genes]].to_vec();
        }
        let skip = usize::from(first);
        let tested: Vec<(usize, usize)> = members.iter().copied().enumerate().skip(skip).collect();
        let condition_results = crate::parallel::map(&tested, |&(slot, condition)| {
            let cells = pseudobulk.n_cells[condition];
            collect_tests((0..n_genes).map(|gene| {
                let at = slot * n_genes + gene;
                let values = &buffer[offsets[at]..offsets[at + 1]];
                mann_whitney_sorted(SortedSlice { nonzero: values, zeros: cells - values.len() }, control.slice(gene))
            }))
        });
        for (&(_, condition), result) in tested.iter().zip(condition_results) {
            results[condition] = Some(result);
        }
    }
    on_progress(1, 1);
    Ok(DeTable { conditions: results, batches: n_batches, control })
}

impl DeTable {
    /// The table of cells that are all equal to `values` (over the genes; as float32) in every condition that
    /// this table tests, with `cells[condition]` cells each, against this table's control cells: the DE of
    /// `cell-eval baseline`'s file, whose perturbation cells are copies of one profile and whose control cells
    /// are the data's.
    pub fn of_constant_cells(&self, values: &[f64], cells: &[usize]) -> DeTable {
        let conditions = self
            .conditions
            .iter()
            .enumerate()
            .map(|(condition, tested)| {
                tested.as_ref()?;
                let n = cells[condition];
                Some(collect_tests(values.iter().enumerate().map(|(gene, &value)| {
                    let value = value as f32;
                    // `n` equal values (none stored when they are zero).
                    let block = if value == 0.0 { Vec::new() } else { vec![value; n] };
                    mann_whitney_sorted(
                        SortedSlice { nonzero: &block, zeros: n - block.len() },
                        self.control.slice(gene),
                    )
                })))
            })
            .collect();
        DeTable { conditions, batches: 0, control: self.control.clone() }
    }
}

/// One row of a DE table as pdex writes it: means in count space (`expm1` of the mean of the stored
/// log1p values, pdex's geometric mean with `is_log1p=True`), the fold change of those, the test.
#[derive(Clone, Debug, PartialEq)]
pub struct DeRow {
    pub target_mean: f64,
    pub ref_mean: f64,
    pub log2_fold_change: f64,
    pub p_value: f64,
    pub statistic: f64,
    pub fdr: f64,
}

/// The header of `de_data.csv` and `de_<method>.csv`: pdex's columns as cell-eval reads them.
pub const DE_HEADER: [&str; 8] =
    ["target", "feature", "target_mean", "ref_mean", "log2_fold_change", "p_value", "statistic", "fdr"];

impl DeTable {
    /// The row of a condition (a position in `means`, the file's pseudobulk) and gene; `None` for the control.
    pub fn row(&self, means: &ExpressionMatrix, condition: usize, gene: usize) -> Option<DeRow> {
        let tested = self.conditions.get(condition)?.as_ref()?;
        let control = means.condition_position(&Condition::Control)?;
        let (mean, ref_mean) = (means.column(condition)[gene], means.column(control)[gene]);
        Some(DeRow {
            target_mean: libm::expm1(mean),
            ref_mean: libm::expm1(ref_mean),
            log2_fold_change: super::log2_fold_change(mean, ref_mean),
            p_value: tested.p_value[gene],
            statistic: tested.statistic[gene],
            fdr: tested.fdr[gene],
        })
    }

    /// The table as pdex writes it: conditions by their label in the file, sorted as pdex sorts its groups,
    /// genes in the file's order.
    pub fn csv(&self, pseudobulk: &Pseudobulk) -> String {
        let matrix = &pseudobulk.matrix;
        let mut tested: Vec<(String, usize)> = (0..matrix.n_conditions())
            .filter(|&condition| self.conditions.get(condition).is_some_and(Option::is_some))
            .map(|condition| (matrix.label(condition), condition))
            .collect();
        tested.sort();
        let genes = matrix.genes();
        crate::results_table::write_csv(
            &DE_HEADER,
            tested.iter().flat_map(|(label, condition)| {
                (0..genes.len()).filter_map(move |gene| {
                    let row = self.row(matrix, *condition, gene)?;
                    Some(vec![
                        label.clone(),
                        genes[gene].clone(),
                        row.target_mean.to_string(),
                        row.ref_mean.to_string(),
                        row.log2_fold_change.to_string(),
                        row.p_value.to_string(),
                        row.statistic.to_string(),
                        row.fdr.to_string(),
                    ])
                })
            }),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_fit_the_budget_and_a_large_condition_is_alone() {
        // Control 3 values; conditions 1..4 with 2, 5, 1, 9 values; budget 8.
        let values = [3, 2, 5, 1, 9];
        assert_eq!(batches_of(&values, 0, 8), vec![vec![1], vec![2, 3], vec![4]]);
        assert_eq!(batches_of(&values, 0, 100), vec![vec![1, 2, 3, 4]]);
        assert_eq!(batches_of(&[4], 0, 8), vec![Vec::<usize>::new()]);
    }
}
