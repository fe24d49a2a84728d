//! What a dropped file is: its role (expression data, predictions, gene names of a paper-format prediction,
//! split, gene or perturbation embedding), shape, naming convention and control label, before any run. The
//! file is read by [`crate::load`]; this describes what was read.
//!
//! ```
//! use perturb_check::conditions::ConditionRules;
//! use perturb_check::inspect::{inspect, FileRole};
//! use perturb_check::load::load_file;
//! let rules = ConditionRules::default();
//! let loaded = load_file("data.csv", b"gene,ctrl,KLF1+ctrl\nKLF1,1,2\n", &rules).unwrap();
//! let summary = inspect("data.csv", &loaded, &rules);
//! assert_eq!(summary.role, FileRole::Data);
//! assert_eq!(summary.control_label.as_deref(), Some("ctrl"));
//! ```

use crate::conditions::{canonicalize, Canonical, Condition, ConditionRules};
use crate::error::Notice;
use crate::expression::{detect_orientation, no_control, Orientation};
use crate::load::{CellData, JsonFile, LoadedFile};
use crate::pseudobulk::PseudobulkOptions;
use crate::readers::h5ad::H5adContents;
use crate::readers::table::RawTable;
use crate::truth::PlantedKind;
use serde::{Deserialize, Serialize};

/// What a file is used as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileRole {
    Data,
    Predictions,
    GeneNames,
    Split,
    GeneEmbedding,
    PerturbationEmbedding,
    /// A second screen of the same kind in another context, for `linear_reference` (never guessed).
    Reference,
    /// Each double's planted kind (`truth.json`), shown beside the interactions found.
    Truth,
}

impl FileRole {
    pub const ALL: [FileRole; 8] = [
        FileRole::Data,
        FileRole::Predictions,
        FileRole::GeneNames,
        FileRole::Split,
        FileRole::GeneEmbedding,
        FileRole::PerturbationEmbedding,
        FileRole::Reference,
        FileRole::Truth,
    ];

    /// The value used in the page's role selector (`data`, `predictions`, `gene-names`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            FileRole::Data => "data",
            FileRole::Predictions => "predictions",
            FileRole::GeneNames => "gene-names",
            FileRole::Split => "split",
            FileRole::GeneEmbedding => "gene-embedding",
            FileRole::PerturbationEmbedding => "perturbation-embedding",
            FileRole::Reference => "reference",
            FileRole::Truth => "truth",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            FileRole::Data => "Expression data",
            FileRole::Predictions => "Predictions",
            FileRole::GeneNames => "Gene names (paper format)",
            FileRole::Split => "Split",
            FileRole::GeneEmbedding => "Gene embedding",
            FileRole::PerturbationEmbedding => "Perturbation embedding",
            FileRole::Reference => "Reference dataset (linear_reference)",
            FileRole::Truth => "Truth (planted interactions)",
        }
    }

    pub fn from_value(value: &str) -> Option<FileRole> {
        FileRole::ALL.into_iter().find(|role| role.as_str() == value)
    }
}

/// A file's role as the user sees it: the role [`inspect`] guessed from its content (`None` until it is read)
/// and the one the user chose, if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RoleChoice {
    pub guessed: Option<FileRole>,
    pub chosen: Option<FileRole>,
}

/// The roles of files in the order they were added. A chosen role is kept. A guessed one too, except that one
/// file is the data: a file guessed as data while another is the data (chosen anywhere, or guessed before it)
/// is read as predictions. The page and a native run both take their roles from here.
///
/// ```
/// use perturb_check::inspect::{resolve_roles, FileRole::*, RoleChoice};
/// let guessed = |role| RoleChoice { guessed: Some(role), chosen: None };
/// assert_eq!(resolve_roles(&[guessed(Data), guessed(Data)]), [Some(Data), Some(Predictions)]);
/// let chosen_second = [guessed(Data), RoleChoice { guessed: Some(Predictions), chosen: Some(Data) }];
/// assert_eq!(resolve_roles(&chosen_second), [Some(Predictions), Some(Data)]);
/// ```
pub fn resolve_roles(files: &[RoleChoice]) -> Vec<Option<FileRole>> {
    let chosen_data = files.iter().any(|file| file.chosen == Some(FileRole::Data));
    let mut data_taken = chosen_data;
    files
        .iter()
        .map(|file| match (file.chosen, file.guessed) {
            (Some(role), _) => Some(role),
            (None, Some(FileRole::Data)) if data_taken => Some(FileRole::Predictions),
            (None, Some(FileRole::Data)) => {
                data_taken = true;
                Some(FileRole::Data)
            }
            (None, guessed) => guessed,
        })
        .collect()
}

/// What the file card shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FileSummary {
    pub role: FileRole,
    /// E.g. `1000 genes × 2 conditions (genes as rows)`.
    pub shape: String,
    pub n_genes: Option<usize>,
    pub n_conditions: Option<usize>,
    /// The naming convention of condition names, e.g. `GEARS (A+ctrl, A+B)`.
    pub convention: Option<String>,
    /// The control label found, as written in the file.
    pub control_label: Option<String>,
    pub notices: Vec<Notice>,
    /// For cells (h5ad), pseudobulked when read: what the file holds and how the pseudobulk was made.
    #[serde(default)]
    pub cells: Option<CellsSummary>,
    /// When a table or h5ad file has conditions but no recognised control among them.
    #[serde(default)]
    pub missing_control: Option<MissingControl>,
}

/// A table or h5ad file whose conditions include no recognised control: what a run on it as data would say,
/// and its condition labels as the file writes them (the first [`CONTROL_CANDIDATES`]), to pick the control from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MissingControl {
    pub message: String,
    pub candidates: Vec<String>,
}

/// How many condition labels a file card offers as the control when none was recognised.
pub const CONTROL_CANDIDATES: usize = 100;

fn missing_control(
    name: &str,
    labels: &[String],
    control: Option<&String>,
    rules: &ConditionRules,
) -> Option<MissingControl> {
    let candidates: Vec<String> =
        labels.iter().filter(|label| !label.is_empty()).take(CONTROL_CANDIDATES).cloned().collect();
    (control.is_none() && !candidates.is_empty())
        .then(|| MissingControl { message: no_control(name, labels, rules).to_string(), candidates })
}

/// The h5ad part of a file card: the file's matrices and columns to choose from, the choices made, and the
/// conditions found with their cells.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CellsSummary {
    pub file: H5adContents,
    pub options: PseudobulkOptions,
    /// Canonical condition names with their cells, in the pseudobulk's order.
    pub conditions: Vec<(String, usize)>,
    /// Labels left out (not perturbations, three genes or more) with their cells.
    pub excluded: Vec<(String, usize)>,
}

impl CellsSummary {
    /// The conditions with fewer than `min_cells` cells (their means are noisy).
    pub fn few_cells(&self, min_cells: usize) -> Vec<&(String, usize)> {
        self.conditions.iter().filter(|(_, n)| *n < min_cells).collect()
    }
}

fn is_dimension_label(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let stem = lower.trim_end_matches(|c: char| c.is_ascii_digit());
    stem.len() < lower.len()
        && ["", "pc", "pc_", "dim", "dim_", "v", "x", "comp", "component", "component_"].contains(&stem)
}

/// Names the naming convention of a list of condition names.
fn naming_convention(names: &[String], rules: &ConditionRules) -> (Option<String>, Option<String>) {
    let control = names
        .iter()
        .find(|name| matches!(canonicalize(name, rules), Canonical::Condition(Condition::Control)))
        .cloned();
    let gears = names.iter().any(|name| name.contains("+ctrl") || name.contains("ctrl+"));
    let exchange = names.iter().any(|name| name.contains('_')) && !names.iter().any(|name| name.contains('+'));
    let convention = match (gears, exchange, control.as_deref()) {
        (true, _, _) => "GEARS (A+ctrl, A+B)",
        (_, true, _) => "exchange keys (A, A_B)",
        (_, _, Some(label)) if label.eq_ignore_ascii_case("non-targeting") => "cell-eval (non-targeting)",
        (_, _, Some(label)) if label.eq_ignore_ascii_case("control") => "scPerturb (control)",
        _ if names.iter().any(|name| name.contains('+')) => "GEARS (A+B)",
        _ => "gene names (A)",
    };
    (Some(convention.to_string()), control)
}

/// Describes a loaded file and guesses its role (the page lets the user change it). Among tables, one with
/// a control condition is data and any other predictions; the page gives the data role to the first.
pub fn inspect(name: &str, loaded: &LoadedFile, rules: &ConditionRules) -> FileSummary {
    match loaded {
        LoadedFile::Json(json) => inspect_json(json),
        LoadedFile::Table(table) => inspect_table(name, table, rules),
        LoadedFile::Cells(cells) => inspect_cells(name, cells, rules),
    }
}

fn inspect_cells(name: &str, cells: &CellData, rules: &ConditionRules) -> FileSummary {
    let CellData { summary, options, pseudobulk, .. } = cells;
    let matrix = &pseudobulk.matrix;
    let labels = cells.condition_labels();
    let (convention, control_label) = naming_convention(&labels, rules);
    let missing = missing_control(name, &labels, control_label.as_ref(), rules);
    let conditions = matrix.conditions().iter().map(|c| c.name()).zip(pseudobulk.n_cells.iter().copied()).collect();
    FileSummary {
        role: FileRole::Data,
        shape: format!(
            "{} cells × {} genes → {} conditions (h5ad)",
            summary.n_cells,
            summary.n_genes,
            matrix.n_conditions()
        ),
        n_genes: Some(matrix.n_genes()),
        n_conditions: Some(matrix.n_conditions()),
        convention,
        control_label,
        notices: pseudobulk.notices.clone(),
        missing_control: missing,
        cells: Some(CellsSummary {
            file: summary.clone(),
            options: options.clone(),
            conditions,
            excluded: pseudobulk.excluded.clone(),
        }),
    }
}

/// What inspecting a JSON file needs of it, read without building its values (a prediction file holds
/// hundreds of thousands of numbers): a list's length, a string, or an object's keys in file order (a repeated
/// key keeps its first place and its last value) with each member's shape.
enum JsonShape {
    List(usize),
    Text(String),
    Object(Vec<(String, JsonShape)>),
    Other,
}

impl JsonShape {
    /// An object of `members` in file order: a repeated key keeps its first place and its last value.
    fn object(members: impl IntoIterator<Item = (String, JsonShape)>) -> JsonShape {
        JsonShape::Object(crate::readers::json_object_entries(members))
    }
}

impl<'de> Deserialize<'de> for JsonShape {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ShapeVisitor;
        impl<'de> serde::de::Visitor<'de> for ShapeVisitor {
            type Value = JsonShape;
            fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
                formatter.write_str("any JSON value")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<JsonShape, A::Error> {
                let mut count = 0;
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {
                    count += 1;
                }
                Ok(JsonShape::List(count))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<JsonShape, A::Error> {
                let mut members = Vec::new();
                while let Some(member) = map.next_entry::<String, JsonShape>()? {
                    members.push(member);
                }
                Ok(JsonShape::object(members))
            }
            fn visit_str<E>(self, text: &str) -> Result<JsonShape, E> {
                Ok(JsonShape::Text(text.to_string()))
            }
            fn visit_bool<E>(self, _: bool) -> Result<JsonShape, E> {
                Ok(JsonShape::Other)
            }
            fn visit_i64<E>(self, _: i64) -> Result<JsonShape, E> {
                Ok(JsonShape::Other)
            }
            fn visit_u64<E>(self, _: u64) -> Result<JsonShape, E> {
                Ok(JsonShape::Other)
            }
            fn visit_f64<E>(self, _: f64) -> Result<JsonShape, E> {
                Ok(JsonShape::Other)
            }
            fn visit_unit<E>(self) -> Result<JsonShape, E> {
                Ok(JsonShape::Other)
            }
        }
        deserializer.deserialize_any(ShapeVisitor)
    }
}

/// The shape of a JSON file: from its prediction vectors when they are known, else scanned.
fn json_shape(json: &JsonFile) -> JsonShape {
    match json.known_vectors() {
        Some(vectors) => {
            JsonShape::object(vectors.iter().map(|(key, vector)| (key.clone(), JsonShape::List(vector.len()))))
        }
        None => serde_json::from_slice(&json.text).unwrap_or(JsonShape::Other),
    }
}

fn inspect_json(json: &JsonFile) -> FileSummary {
    let shape = json_shape(json);
    let (role, shape_text, n_genes, n_conditions) = match &shape {
        JsonShape::List(length) => (FileRole::GeneNames, format!("{length} gene names"), Some(*length), None),
        JsonShape::Object(members)
            if members.iter().any(|(key, _)| ["train", "test", "val"].contains(&key.as_str())) =>
        {
            let count = |wanted: &str| {
                members.iter().find(|(key, _)| key == wanted).map_or(0, |(_, member)| match member {
                    JsonShape::List(length) => *length,
                    _ => 0,
                })
            };
            (
                FileRole::Split,
                format!("split: {} train, {} test, {} val", count("train"), count("test"), count("val")),
                None,
                Some(count("train") + count("test") + count("val")),
            )
        }
        JsonShape::Object(members)
            if !members.is_empty()
                && members.iter().all(
                    |(_, member)| matches!(member, JsonShape::Text(kind) if PlantedKind::from_name(kind).is_some()),
                ) =>
        {
            (FileRole::Truth, format!("truth: {} doubles' planted kinds", members.len()), None, Some(members.len()))
        }
        JsonShape::Object(members) => {
            let length = match members.first() {
                Some((_, JsonShape::List(length))) => *length,
                _ => 0,
            };
            (
                FileRole::Predictions,
                format!("{} conditions × {length} genes (paper format)", members.len()),
                Some(length),
                Some(members.len()),
            )
        }
        JsonShape::Text(_) | JsonShape::Other => (FileRole::Predictions, "not valid JSON".to_string(), None, None),
    };
    let keys: Vec<String> = match shape {
        JsonShape::Object(members) if role == FileRole::Predictions => {
            members.into_iter().map(|(key, _)| key).collect()
        }
        _ => vec![],
    };
    let shape = shape_text;
    let (convention, control_label) = if keys.is_empty() {
        (None, None)
    } else {
        let (convention, control) = naming_convention(&keys, &ConditionRules::default());
        (convention, control.map(|label| if label.is_empty() { "\"\" (empty key)".into() } else { label }))
    };
    FileSummary {
        role,
        shape,
        n_genes,
        n_conditions,
        convention,
        control_label,
        notices: vec![],
        cells: None,
        missing_control: None,
    }
}

fn inspect_table(name: &str, table: &RawTable, rules: &ConditionRules) -> FileSummary {
    let mut notices = table.notices.clone();
    if table.row_names.is_empty() || table.row_names.iter().all(|row| is_dimension_label(row)) {
        // A header of names and one row per dimension: an embedding.
        let (convention, control) = naming_convention(&table.column_names, rules);
        let conditions_like = control.is_some()
            || table.column_names.iter().filter(|n| n.contains('+')).count() * 2 > table.column_names.len();
        let role = if conditions_like { FileRole::PerturbationEmbedding } else { FileRole::GeneEmbedding };
        let what = if conditions_like { "conditions" } else { "genes" };
        return FileSummary {
            role,
            shape: format!("{} {what} × {} dimensions", table.n_columns(), table.n_rows()),
            n_genes: (!conditions_like).then_some(table.n_columns()),
            n_conditions: conditions_like.then_some(table.n_columns()),
            convention: conditions_like.then_some(convention).flatten(),
            control_label: control,
            notices,
            cells: None,
            missing_control: None,
        };
    }
    let orientation = detect_orientation(&table.row_names, &table.column_names, rules, None);
    let (genes, conditions, layout) = match orientation {
        Orientation::ConditionsAsRows => (&table.column_names, &table.row_names, "conditions as rows"),
        _ => (&table.row_names, &table.column_names, "genes as rows"),
    };
    let (convention, control_label) = naming_convention(conditions, rules);
    if control_label.is_none() {
        notices.push(Notice::info(Some(name), "no control condition: read as predictions"));
    }
    FileSummary {
        role: if control_label.is_some() { FileRole::Data } else { FileRole::Predictions },
        shape: format!("{} genes × {} conditions ({layout})", genes.len(), conditions.len()),
        n_genes: Some(genes.len()),
        n_conditions: Some(conditions.len()),
        convention,
        missing_control: missing_control(name, conditions, control_label.as_ref(), rules),
        control_label,
        notices,
        cells: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::load_file;

    fn summary(name: &str, bytes: &[u8]) -> FileSummary {
        let rules = ConditionRules::default();
        inspect(name, &load_file(name, bytes, &rules).unwrap(), &rules)
    }

    #[test]
    fn roles_are_detected_from_content() {
        assert_eq!(summary("x", br#"{"A": [1, 2], "A_B": [3, 4], "": [0, 0]}"#).role, FileRole::Predictions);
        assert_eq!(summary("x", br#"["G1", "G2"]"#).role, FileRole::GeneNames);
        assert_eq!(summary("x", br#"{"train": ["A"], "test": []}"#).role, FileRole::Split);
        assert_eq!(summary("x", br#"{"A+B": "synergy", "A+C": "additive"}"#).role, FileRole::Truth);
        assert_eq!(summary("x", b"gene,ctrl,A+ctrl\nG1,1,2\n").role, FileRole::Data);
        assert_eq!(summary("x", b"gene,A+B\nG1,1\n").role, FileRole::Predictions);
        assert_eq!(summary("x", b"G1\tG2\n0.1\t0.2\n").role, FileRole::GeneEmbedding);
        assert_eq!(summary("x", b"dim\tG1\tG2\nPC1\t0.1\t0.2\nPC2\t1\t2\n").role, FileRole::GeneEmbedding);
        assert_eq!(summary("x", b"ctrl\tA+ctrl\tB+ctrl\n0\t0.1\t0.2\n").role, FileRole::PerturbationEmbedding);
    }

    #[test]
    fn a_table_without_a_recognised_control_offers_its_labels() {
        let table = summary("x.csv", b"gene,NT,A,B\nG1,1,2,3\n");
        assert_eq!(table.control_label, None);
        let missing = table.missing_control.unwrap();
        assert_eq!(missing.candidates, ["NT", "A", "B"]);
        assert!(
            missing.message.starts_with("x.csv: no control condition: expected one named ctrl, control, non-targeting"),
            "{}",
            missing.message
        );
        assert_eq!(summary("x", b"gene,ctrl,A\nG1,1,2\n").missing_control, None);
    }

    #[test]
    fn conventions_and_control_labels_are_named() {
        let exchange = summary("x", br#"{"A": [1], "A_B": [3], "": [0]}"#);
        assert_eq!(exchange.convention.as_deref(), Some("exchange keys (A, A_B)"));
        assert_eq!(exchange.control_label.as_deref(), Some("\"\" (empty key)"));
        let cell_eval = summary("x", b"gene,non-targeting,TP53\nG1,1,2\n");
        assert_eq!(cell_eval.convention.as_deref(), Some("cell-eval (non-targeting)"));
        let table = summary("x", b"gene,ctrl,A+ctrl,ctrl+B\nG1,1,2,3\nG2,1,2,3\n");
        assert_eq!(table.shape, "2 genes × 3 conditions (genes as rows)");
        assert_eq!(table.convention.as_deref(), Some("GEARS (A+ctrl, A+B)"));
    }
}
