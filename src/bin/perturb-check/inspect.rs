//! `perturb-check inspect`: what the page's file card shows of each file, as text or JSON (on standard output).
//! Roles are resolved over all the files in their order, as for a drop of them together.

use crate::args::InspectArgs;
use crate::files::{given_files, read};
use crate::log::Log;
use crate::Failure;
use perturb_check::analysis::{roles_and_names, AddedFile};
use perturb_check::conditions::ConditionRules;
use perturb_check::inspect::{inspect as describe, FileSummary};
use serde_json::json;

fn card(name: &str, summary: &FileSummary, role: &str, method: Option<&str>) -> String {
    let mut lines = vec![name.to_string(), format!("  role: {role}"), format!("  shape: {}", summary.shape)];
    if let Some(method) = method {
        lines.push(format!("  method: {method}"));
    }
    if let Some(convention) = &summary.convention {
        lines.push(format!("  naming: {convention}"));
    }
    if let Some(control) = &summary.control_label {
        lines.push(format!("  control: {control}"));
    }
    if let Some(cells) = &summary.cells {
        let options = &cells.options;
        lines.push(format!(
            "  cells: matrix {}, {}, conditions from obs column '{}', genes from '{}'",
            options.matrix,
            options.scale.describe(),
            options.condition_column,
            options.gene_column
        ));
        if let Some((column, value)) = &options.cell_type {
            lines.push(format!("  only the cells with {column} = {value}"));
        }
        let few = cells.few_cells(options.min_cells);
        lines.push(format!(
            "  {} conditions, {} with fewer than {} cells; {} labels left out",
            cells.conditions.len(),
            few.len(),
            options.min_cells,
            cells.excluded.len()
        ));
    }
    if let Some(missing) = &summary.missing_control {
        lines.push(format!("  no control: {}", missing.message));
    }
    for notice in &summary.notices {
        lines.push(format!("  note: {}", notice.message));
    }
    lines.join("\n")
}

pub fn inspect(arguments: &InspectArgs, json: bool) -> Result<(), Failure> {
    let files = given_files(&arguments.files)?;
    let rules = ConditionRules::default();
    let quiet = Log::new(true, false);
    let mut summaries = Vec::with_capacity(files.len());
    for file in &files {
        let loaded = read(file, None, &rules, &quiet)?;
        summaries.push(describe(&file.name, &loaded, &rules));
    }
    let added: Vec<AddedFile> = files
        .iter()
        .zip(&summaries)
        .enumerate()
        .map(|(i, (file, summary))| AddedFile {
            id: i as u32 + 1,
            name: file.name.clone(),
            guessed: Some(summary.role),
            chosen_role: None,
            chosen_method: None,
            chosen_seed: None,
            pseudobulk: None,
            read: true,
        })
        .collect();
    let (roles, names) = roles_and_names(&added);
    let method_of = |i: usize| names.iter().find(|(position, _)| *position == i).map(|(_, name)| name.method.as_str());
    if json {
        let cards: Vec<_> = files
            .iter()
            .zip(&summaries)
            .enumerate()
            .map(|(i, (file, summary))| {
                json!({
                    "file": file.name,
                    "path": file.path.display().to_string(),
                    "role": roles[i].map(|role| role.as_str()),
                    "method": method_of(i),
                    "summary": summary,
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&cards).unwrap_or_default());
    } else {
        for (i, (file, summary)) in files.iter().zip(&summaries).enumerate() {
            let role = roles[i].map_or("none".to_string(), |role| format!("{} ({})", role.label(), role.as_str()));
            println!("{}", card(&file.name, summary, &role, method_of(i)));
        }
    }
    Ok(())
}
