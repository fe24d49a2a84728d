//! `perturb-check pseudobulk`: an h5ad file of cells made into the page's `pseudobulk.csv` and `n_cells.csv`.

use crate::args::{PseudobulkArgs, ScaleArg};
use crate::files::{given_files, open_h5ad};
use crate::log::Log;
use crate::Failure;
use perturb_check::conditions::ConditionRules;
use perturb_check::pseudobulk::{n_cells_csv, pseudobulk_csv, pseudobulk_means, PseudobulkOptions, Scale};

pub fn pseudobulk(arguments: &PseudobulkArgs, log: &Log) -> Result<(), Failure> {
    let files = given_files(std::slice::from_ref(&arguments.cells))?;
    let [file] = files.as_slice() else {
        return Err(Failure::Input(format!("{}: give one h5ad file, not a folder", arguments.cells.display())));
    };
    let h5ad =
        open_h5ad(file)?.ok_or_else(|| Failure::Input(format!("{}: this is not an h5ad (HDF5) file", file.name)))?;
    let input = |error: perturb_check::error::InputError| Failure::Input(error.to_string());
    let contents = h5ad.contents().map_err(input)?;
    let mut options = PseudobulkOptions::detected(&contents);
    if let Some(matrix) = &arguments.matrix {
        if !contents.matrices.iter().any(|m| m.path == *matrix) {
            let known: Vec<&str> = contents.matrices.iter().map(|m| m.path.as_str()).collect();
            return Err(Failure::Input(format!(
                "{}: --matrix {matrix}: the file has no such matrix (it has: {})",
                file.name,
                known.join(", ")
            )));
        }
        // A chosen matrix takes its own detected scale unless --scale says otherwise, as in the page.
        options.choose_matrix(&contents, matrix);
    }
    if let Some(scale) = arguments.scale {
        options.scale = match scale {
            ScaleArg::AsIs => Scale::AsIs,
            ScaleArg::Counts => Scale::NormalizeCounts,
            ScaleArg::CountsMedian => Scale::NormalizeCountsMedian,
        };
    }
    if let Some(column) = &arguments.condition_column {
        if !contents.obs_columns.iter().any(|c| c.name == *column) {
            return Err(Failure::Input(format!("{}: --condition-column {column}: obs has no such column", file.name)));
        }
        options.condition_column = column.clone();
    }
    let step = format!("reading {}", file.name);
    // The means alone: the cell statistics beside them are for the DE pass of a run, not written here.
    let pseudobulk = pseudobulk_means(&h5ad, &options, &ConditionRules::default(), &mut |done, total| {
        log.progress(&step, done, total)
    })
    .map_err(input)?;
    for notice in &pseudobulk.notices {
        log.notice(notice);
    }
    let n_cells_path = arguments.n_cells.clone().unwrap_or_else(|| {
        arguments.out.parent().map(|parent| parent.join("n_cells.csv")).unwrap_or_else(|| "n_cells.csv".into())
    });
    for (path, text) in [(&arguments.out, pseudobulk_csv(&pseudobulk)), (&n_cells_path, n_cells_csv(&pseudobulk))] {
        if let Some(parent) = path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|error| {
                Failure::Compute(format!("{}: the folder could not be created ({error})", parent.display()))
            })?;
        }
        std::fs::write(path, text)
            .map_err(|error| Failure::Compute(format!("{}: could not be written ({error})", path.display())))?;
        log.wrote(path);
    }
    Ok(())
}
