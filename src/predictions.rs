//! A model's predictions: read from a table (same layouts as the data) or from the paper's exchange format,
//! named after the file, aligned to the data by gene name.
//!
//! ```
//! use perturb_check::predictions::{method_name_from_file, MethodName};
//! assert_eq!(method_name_from_file("gears_seed3.csv.gz", None, &[]),
//!            MethodName { method: "gears".into(), seed: Some(3) });
//! assert_eq!(method_name_from_file("runs/scgpt_all_predictions.json", None, &[]).method, "scgpt");
//! assert_eq!(method_name_from_file("all_predictions.json", Some("cpa"), &[]).method, "cpa");
//! assert_eq!(method_name_from_file("additive.csv", None, &[]).method, "additive_uploaded");
//! ```

use crate::conditions::ConditionRules;
use crate::error::{ErrorKind, InputError, Location, Notice};
use crate::expression::{matrix_from_table, preview, ExpressionMatrix, LoadedMatrix, Orientation, LOG_SCALE_MAX};
use crate::load::JsonFile;
use crate::readers::prediction_json::read_gene_names;
use crate::readers::table::{read_table, RawTable, TableOptions};
use crate::readers::{base_name, folder_of};

/// The built-in baselines' method names; an uploaded file with one of these names gets `_uploaded`.
pub const BUILT_IN_METHODS: [&str; 4] = ["no_change", "additive", "mean", "linear"];

/// An uploaded model's predictions.
#[derive(Clone, Debug)]
pub struct Prediction {
    pub method: String,
    /// The split seed the file belongs to; `None` scores it under every seed.
    pub seed: Option<u32>,
    /// The file it was read from (for the paper format, the `all_predictions.json`).
    pub file: String,
    /// genes × conditions, in the prediction's own gene order.
    pub matrix: ExpressionMatrix,
    /// Where each of the data's genes is in `matrix`, found once when the prediction is read.
    pub genes: GeneMap,
    pub notices: Vec<Notice>,
}

impl Prediction {
    /// A prediction of `data` (its genes mapped to the data's once, here).
    pub fn new(
        method: String,
        seed: Option<u32>,
        file: String,
        matrix: ExpressionMatrix,
        data: &ExpressionMatrix,
    ) -> Self {
        let genes = GeneMap::new(&matrix, data);
        Prediction { method, seed, file, matrix, genes, notices: vec![] }
    }

    /// Whether this prediction is scored under the split with `seed`: a file without a seed under every
    /// split, a seeded one under its seed's, and any file under a split without a seed (`all`, uploaded).
    pub fn scored_under(&self, seed: Option<u32>) -> bool {
        self.seed.is_none() || seed.is_none() || self.seed == seed
    }
}

/// A method name and seed derived from a file name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MethodName {
    pub method: String,
    pub seed: Option<u32>,
}

/// Names a prediction after its file (see the crate README): extensions dropped, `X_all_predictions` → `X`,
/// a bare `all_predictions` → its folder or `predictions`; a trailing `_seed<N>` sets the seed. `taken` holds
/// the names already given: a clash on the same seed (or where either has no seed) gets `_2`, `_3`, …
pub fn method_name_from_file(file: &str, folder: Option<&str>, taken: &[MethodName]) -> MethodName {
    let mut name = base_name(file).to_string();
    if let Some(stripped) = name.strip_suffix("_all_predictions") {
        name = stripped.to_string();
    } else if name == "all_predictions" {
        name = folder.filter(|folder| !folder.is_empty()).unwrap_or("predictions").to_string();
    }
    let mut seed = None;
    if let Some(position) = name.rfind("_seed") {
        let digits = &name[position + "_seed".len()..];
        if !digits.is_empty() && digits.bytes().all(|byte| byte.is_ascii_digit()) {
            if let Ok(parsed) = digits.parse::<u32>() {
                seed = Some(parsed);
                name.truncate(position);
            }
        }
    }
    if BUILT_IN_METHODS.contains(&name.as_str()) {
        name.push_str("_uploaded");
    }
    let clashes = |candidate: &str| {
        taken
            .iter()
            .any(|other| other.method == candidate && (other.seed == seed || other.seed.is_none() || seed.is_none()))
    };
    let mut method = name.clone();
    let mut counter = 2;
    while clashes(&method) {
        method = format!("{name}_{counter}");
        counter += 1;
    }
    MethodName { method, seed }
}

/// A prediction file to be named: its name (with its folder path), and the method name and seed the user
/// gave it, if any.
#[derive(Clone, Copy, Debug)]
pub struct NameRequest<'a> {
    pub file: &'a str,
    pub method: Option<&'a str>,
    pub seed: Option<u32>,
}

/// The method names of prediction files, in their order: a method name the user gave is kept as written (its
/// seed too); any other is derived from the file name ([`method_name_from_file`], the folder for a bare
/// `all_predictions.json`) so as not to clash with the names before it. The page shows these names and a run
/// uses the same ones.
///
/// ```
/// use perturb_check::predictions::{method_names, NameRequest};
/// let names = method_names(&[
///     NameRequest { file: "gears/all_predictions.json", method: None, seed: None },
///     NameRequest { file: "gears.csv", method: None, seed: Some(2) },
///     NameRequest { file: "x.csv", method: Some(" mine "), seed: None },
/// ]);
/// let methods: Vec<&str> = names.iter().map(|name| name.method.as_str()).collect();
/// assert_eq!(methods, ["gears", "gears_2", "mine"]);
/// assert_eq!(names[1].seed, Some(2));
/// ```
pub fn method_names(files: &[NameRequest<'_>]) -> Vec<MethodName> {
    let mut taken: Vec<MethodName> = Vec::with_capacity(files.len());
    for file in files {
        let name = match file.method.map(str::trim).filter(|method| !method.is_empty()) {
            Some(method) => MethodName { method: method.to_string(), seed: file.seed },
            None => {
                let mut name = method_name_from_file(file.file, folder_of(file.file), &taken);
                name.seed = file.seed.or(name.seed);
                name
            }
        };
        taken.push(name);
    }
    taken
}

/// How a prediction's genes meet the data's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GeneAlignment {
    /// Data genes the prediction has.
    pub matched: usize,
    /// Data genes the prediction lacks.
    pub missing: usize,
    /// Prediction genes the data lack (ignored).
    pub extra: usize,
}

/// A prediction's genes aligned to the data's by name: for each data gene, the prediction's row holding it.
/// Made once per prediction; every step that pairs predicted with observed values (metrics, detail, audits,
/// the overlap check) reads it.
#[derive(Clone, Debug, PartialEq)]
pub struct GeneMap {
    /// Per data gene, the prediction's row (`None`: the prediction lacks the gene).
    rows: Vec<Option<usize>>,
    pub counts: GeneAlignment,
}

impl GeneMap {
    pub fn new(prediction: &ExpressionMatrix, data: &ExpressionMatrix) -> GeneMap {
        let rows: Vec<Option<usize>> = data.genes().iter().map(|gene| prediction.gene_position(gene)).collect();
        let matched = rows.iter().filter(|row| row.is_some()).count();
        let counts =
            GeneAlignment { matched, missing: data.n_genes() - matched, extra: prediction.n_genes() - matched };
        GeneMap { rows, counts }
    }

    /// The prediction's row of the data's gene `gene` (an index into the data's genes).
    pub fn row(&self, gene: usize) -> Option<usize> {
        self.rows[gene]
    }
}

/// Checks that a prediction shares genes and conditions with the data, and says how much.
fn check_overlap(
    file: &str,
    loaded: &LoadedMatrix,
    alignment: GeneAlignment,
    data: &ExpressionMatrix,
) -> Result<Vec<Notice>, InputError> {
    let prediction = &loaded.matrix;
    if alignment.matched == 0 {
        return Err(InputError::new(
            file,
            Location::File,
            ErrorKind::NoOverlap,
            format!(
                "none of the prediction's {} genes is a gene of the data (prediction: {}; data: {}); are both named \
                 the same way (symbols or Ensembl IDs)?",
                prediction.n_genes(),
                preview(&prediction.genes()[..prediction.n_genes().min(3)]),
                preview(&data.genes()[..data.n_genes().min(3)])
            ),
        ));
    }
    let unknown: Vec<String> = prediction
        .conditions()
        .iter()
        .filter(|condition| data.condition_position(condition).is_none())
        .map(|condition| condition.name())
        .collect();
    if unknown.len() == prediction.n_conditions() {
        return Err(InputError::new(
            file,
            Location::File,
            ErrorKind::NoOverlap,
            format!(
                "none of the prediction's {} conditions is in the data (e.g. {}); is it a prediction for another \
                 experiment?",
                unknown.len(),
                preview(&unknown)
            ),
        ));
    }
    let mut notices = Vec::new();
    let (predicted, observed) = (prediction.largest_value(), data.largest_value());
    if predicted > LOG_SCALE_MAX && observed <= LOG_SCALE_MAX {
        notices.push(Notice::warning(
            Some(file),
            format!(
                "values reach {predicted} while the data's stay under {}: the prediction looks like counts and the \
                 data are log-normalised, so its metrics are meaningless; transform it as the data were \
                 (ln(1 + 1e4·counts/total) per cell, then averaged) and drop it again",
                observed.ceil()
            ),
        ));
    }
    if alignment.missing > 0 || alignment.extra > 0 {
        notices.push(Notice::warning(
            Some(file),
            format!(
                "{} of the data's {} genes matched; {} missing from the prediction, {} extra ignored",
                alignment.matched,
                data.n_genes(),
                alignment.missing,
                alignment.extra
            ),
        ));
    }
    if !unknown.is_empty() {
        notices.push(Notice::info(
            Some(file),
            format!(
                "{} predicted condition(s) are not in the data and were ignored: {}",
                unknown.len(),
                preview(&unknown)
            ),
        ));
    }
    Ok(notices)
}

fn finish(
    file: &str,
    name: MethodName,
    loaded: LoadedMatrix,
    data: &ExpressionMatrix,
) -> Result<Prediction, InputError> {
    let genes = GeneMap::new(&loaded.matrix, data);
    let mut notices = loaded.notices.clone();
    notices.extend(check_overlap(file, &loaded, genes.counts, data)?);
    Ok(Prediction {
        method: name.method,
        seed: name.seed,
        file: file.to_string(),
        matrix: loaded.matrix,
        genes,
        notices,
    })
}

/// Reads a prediction table (genes × conditions or the transpose, detected by overlap with the data's genes).
pub fn read_prediction_table(
    file: &str,
    bytes: &[u8],
    name: MethodName,
    rules: &ConditionRules,
    orientation: Orientation,
    data: &ExpressionMatrix,
) -> Result<Prediction, InputError> {
    let table = read_table(file, bytes, &TableOptions::default())?;
    prediction_from_table(file, &table, name, rules, orientation, data)
}

/// A prediction from an already read table.
pub fn prediction_from_table(
    file: &str,
    table: &RawTable,
    name: MethodName,
    rules: &ConditionRules,
    orientation: Orientation,
    data: &ExpressionMatrix,
) -> Result<Prediction, InputError> {
    let loaded = matrix_from_table(file, table, rules, orientation, Some(data))?;
    finish(file, name, loaded, data)
}

/// Reads the paper's exchange format: `all_predictions.json` (its vectors read once and kept with the file)
/// and its `gene_names.json`.
pub fn read_paper_prediction(
    predictions_file: &str,
    predictions: &JsonFile,
    gene_names_file: &str,
    gene_names_bytes: &[u8],
    name: MethodName,
    rules: &ConditionRules,
    data: &ExpressionMatrix,
) -> Result<Prediction, InputError> {
    let vectors = predictions.prediction_vectors(predictions_file)?;
    let genes = read_gene_names(gene_names_file, gene_names_bytes)?;
    let mut values = Vec::with_capacity(vectors.len() * genes.len());
    let mut keys = Vec::with_capacity(vectors.len());
    for (key, vector) in vectors {
        if vector.len() != genes.len() {
            return Err(InputError::new(
                predictions_file,
                Location::Key(key.clone()),
                ErrorKind::WrongLength,
                format!(
                    "this vector has {} values but {gene_names_file} lists {} genes; are the two files from the same run?",
                    vector.len(),
                    genes.len()
                ),
            ));
        }
        values.extend_from_slice(vector);
        keys.push(key.clone());
    }
    let table = RawTable {
        corner: String::new(),
        column_names: genes,
        row_names: keys,
        values,
        delimiter: b',',
        notices: vec![],
    };
    let loaded = matrix_from_table(predictions_file, &table, rules, Orientation::ConditionsAsRows, None)?;
    finish(predictions_file, name, loaded, data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conditions::Condition;

    fn data() -> ExpressionMatrix {
        ExpressionMatrix::new(
            vec!["G1".into(), "G2".into(), "G3".into()],
            vec![Condition::Control, Condition::Double("A".into(), "B".into())],
            vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        )
    }

    fn name(method: &str, seed: Option<u32>) -> MethodName {
        MethodName { method: method.into(), seed }
    }

    #[test]
    fn names_follow_files_and_never_clash() {
        assert_eq!(method_name_from_file("all_predictions.json", None, &[]), name("predictions", None));
        let taken = [name("predictions", None)];
        assert_eq!(method_name_from_file("all_predictions.json", None, &taken), name("predictions_2", None));
        let seeds = [name("gears", Some(1))];
        assert_eq!(method_name_from_file("gears_seed2.tsv", None, &seeds), name("gears", Some(2)));
        assert_eq!(method_name_from_file("gears_seed1.tsv", None, &seeds), name("gears_2", Some(1)));
        assert_eq!(method_name_from_file("linear_seed2.csv", None, &[]), name("linear_uploaded", Some(2)));
        assert_eq!(method_name_from_file("model_seedless.csv", None, &[]), name("model_seedless", None));
    }

    #[test]
    fn paper_format_keys_are_canonical_and_matched_in_any_order() {
        let prediction = read_paper_prediction(
            "m_all_predictions.json",
            &JsonFile::new(br#"{"B_A": [1, 2, 3], "": [0, 0, 0]}"#.to_vec()),
            "m_gene_names.json",
            br#"["G3", "G2", "G1"]"#,
            name("m", None),
            &ConditionRules::default(),
            &data(),
        )
        .unwrap();
        let column = prediction.matrix.column_of(&Condition::Double("A".into(), "B".into())).unwrap();
        assert_eq!(column, [1.0, 2.0, 3.0]);
        assert_eq!(prediction.matrix.gene_position("G1"), Some(2));
        assert_eq!(prediction.matrix.control(), Some(&[0.0f64, 0.0, 0.0][..]));
    }

    #[test]
    fn wrong_vector_length_names_the_key() {
        let error = read_paper_prediction(
            "p.json",
            &JsonFile::new(br#"{"A_B": [1, 2]}"#.to_vec()),
            "g.json",
            br#"["G1", "G2", "G3"]"#,
            name("m", None),
            &ConditionRules::default(),
            &data(),
        )
        .unwrap_err();
        assert_eq!(error.to_string(), "p.json, key 'A_B': this vector has 2 values but g.json lists 3 genes; are the two files from the same run?");
    }

    #[test]
    fn predictions_without_shared_genes_or_conditions_are_refused() {
        let rules = ConditionRules::default();
        let error =
            read_prediction_table("p.csv", b"gene,A+B\nX1,1\n", name("m", None), &rules, Orientation::Detect, &data())
                .unwrap_err();
        assert_eq!(error.kind, ErrorKind::NoOverlap);
        let error =
            read_prediction_table("p.csv", b"gene,C+D\nG1,1\n", name("m", None), &rules, Orientation::Detect, &data())
                .unwrap_err();
        assert!(error.to_string().contains("none of the prediction's 1 conditions is in the data"), "{error}");
    }

    #[test]
    fn partial_gene_overlap_is_reported() {
        let prediction = read_prediction_table(
            "p.csv",
            b"gene,A+B\nG1,1\nG2,2\nX,3\n",
            name("m", None),
            &ConditionRules::default(),
            Orientation::Detect,
            &data(),
        )
        .unwrap();
        assert_eq!(prediction.genes.counts, GeneAlignment { matched: 2, missing: 1, extra: 1 });
        assert_eq!((prediction.genes.row(0), prediction.genes.row(2)), (Some(0), None));
        assert!(prediction.notices.iter().any(|notice| notice.message.starts_with("2 of the data's 3 genes matched")));
    }
}
