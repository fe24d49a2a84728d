//! Errors and notices about user input, as values that say which file, where in it, and what to do.
//!
//! Every reader returns [`InputError`] instead of panicking. Its `Display` is the message the page shows:
//!
//! ```
//! use perturb_check::error::{InputError, ErrorKind, Location};
//! let error = InputError::new("data.csv", Location::Cell { line: 3, column: 5 }, ErrorKind::NotANumber,
//!     "'abc' is not a number");
//! assert_eq!(error.to_string(), "data.csv, line 3, column 5: 'abc' is not a number");
//! ```

use std::fmt;

/// Where in a file a problem is. Lines and columns count from 1, as a spreadsheet shows them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// The file as a whole.
    File,
    Line(usize),
    Cell {
        line: usize,
        column: usize,
    },
    /// A key of a JSON object, or a named entry such as a condition or gene.
    Key(String),
    /// A line and column inside a JSON document, as the JSON parser reports them.
    JsonPosition {
        line: usize,
        column: usize,
    },
}

/// What kind of problem it is, so that callers and tests can tell them apart without parsing text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    Empty,
    NoDataRows,
    RaggedRow,
    NotANumber,
    MissingValue,
    NotFinite,
    Encoding,
    Compression,
    Json,
    WrongLength,
    DuplicateName,
    NoControl,
    NoOverlap,
    UnknownCondition,
    TooLarge,
    Unsupported,
    /// An h5ad file lacks what it needs or holds something inconsistent.
    H5ad,
}

/// A problem with one input file, fit to show to the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputError {
    /// The file's name as the user gave it.
    pub file: String,
    pub location: Location,
    pub kind: ErrorKind,
    /// What is wrong and, where it helps, what to do about it.
    pub message: String,
}

impl InputError {
    pub fn new(file: &str, location: Location, kind: ErrorKind, message: impl Into<String>) -> Self {
        InputError { file: file.to_string(), location, kind, message: message.into() }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::File => Ok(()),
            Location::Line(line) => write!(f, "line {line}"),
            Location::Cell { line, column } => write!(f, "line {line}, column {column}"),
            Location::Key(key) => write!(f, "key '{key}'"),
            Location::JsonPosition { line, column } => write!(f, "line {line}, column {column}"),
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.location {
            Location::File => write!(f, "{}: {}", self.file, self.message),
            _ => write!(f, "{}, {}: {}", self.file, self.location, self.message),
        }
    }
}

impl std::error::Error for InputError {}

/// How much a notice matters. Neither stops a run; errors are [`InputError`]s.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub enum Severity {
    /// Something the user should know (a condition skipped, a file's layout detected).
    Info,
    /// Something that may make a number differ from what the user expects (genes missing, values repaired).
    Warning,
}

/// A message about input that was accepted, possibly after a safe repair that the message reports.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Notice {
    pub severity: Severity,
    /// The file it concerns, when it concerns one.
    pub file: Option<String>,
    pub message: String,
}

impl Notice {
    pub fn info(file: Option<&str>, message: impl Into<String>) -> Self {
        Notice { severity: Severity::Info, file: file.map(str::to_string), message: message.into() }
    }

    pub fn warning(file: Option<&str>, message: impl Into<String>) -> Self {
        Notice { severity: Severity::Warning, file: file.map(str::to_string), message: message.into() }
    }
}

impl fmt::Display for Notice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.file {
            Some(file) => write!(f, "{file}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// Why a run, or a follow-up on a kept run, could not be made. Every step of the engine returns this (or an
/// [`InputError`], which converts into it); its `Display` is the message the page shows.
#[derive(Clone, Debug, PartialEq)]
pub enum RunError {
    /// A file is wrong; the error says which and where.
    Input(InputError),
    /// No file has the role of expression data.
    NoData,
    /// Several files have the role of expression data (their names).
    SeveralDataFiles(Vec<String>),
    SeveralSplitFiles,
    SeveralReferenceFiles,
    /// The uploaded split was chosen but no split file was given.
    NoUploadedSplit,
    NoSeeds,
    NothingToEvaluate,
    NoControl,
    LinearModel(LinearModelError),
    /// A follow-up asked for a split the run does not have.
    NoSplitWithSeed(Option<u32>),
    /// A follow-up named something that is not a condition name.
    NotAConditionName(String),
    /// A follow-up named a condition the data do not have (its canonical name).
    NotInData(String),
}

/// Why no interaction thresholds could be chosen (the report then says so in place of its classes).
#[derive(Clone, Debug, PartialEq)]
pub enum ThresholdError {
    /// locfdr's fit failed and no thresholds were set by hand.
    NoFit(crate::locfdr::LocfdrError),
    /// The scores lie all on one side of zero, so one threshold has no value to take.
    OneSided,
}

impl fmt::Display for ThresholdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ThresholdError::NoFit(error) => error.fmt(f),
            ThresholdError::OneSided => {
                f.write_str("the scores are all on one side of zero, so one threshold has no value to take")
            }
        }
    }
}

/// Why the linear model cannot be fitted at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinearModelError {
    NoControl,
    NoGeneEmbedding,
    GeneEmbeddingSharesNoGene,
    NoPerturbationEmbedding,
    /// `linear_reference` without a reference file.
    NoReference,
}

impl fmt::Display for LinearModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LinearModelError::NoControl => "the data have no control",
            LinearModelError::NoGeneEmbedding => "no gene embedding was uploaded",
            LinearModelError::GeneEmbeddingSharesNoGene => "the gene embedding shares no gene with the data",
            LinearModelError::NoPerturbationEmbedding => "no perturbation embedding was uploaded",
            LinearModelError::NoReference => {
                "linear_reference needs a reference dataset (a file with the role reference)"
            }
        })
    }
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Input(error) => error.fmt(f),
            RunError::NoData => f.write_str(
                "no expression data: add a pseudobulk table (genes × conditions, with a control condition) or choose \
                 the role 'Expression data' for one of the files",
            ),
            RunError::SeveralDataFiles(names) => {
                write!(f, "{} files have the role 'Expression data' ({}); keep one", names.len(), names.join(", "))
            }
            RunError::SeveralReferenceFiles => f.write_str("more than one file has the role reference: keep one"),
            RunError::SeveralSplitFiles => f.write_str("more than one split file: keep one"),
            RunError::NoUploadedSplit => f.write_str("the uploaded split was chosen but no split file was given"),
            RunError::NoSeeds => f.write_str("choose at least one seed"),
            RunError::NothingToEvaluate => f.write_str("the split leaves no condition to evaluate"),
            RunError::NoControl => f.write_str("the data have no control condition"),
            RunError::LinearModel(reason) => write!(f, "the linear model cannot be fitted: {reason}"),
            RunError::NoSplitWithSeed(seed) => write!(f, "the run has no split with seed {seed:?}"),
            RunError::NotAConditionName(name) => write!(f, "'{name}' is not a condition name"),
            RunError::NotInData(name) => write!(f, "{name} is not a condition of the data"),
        }
    }
}

impl std::error::Error for RunError {}

impl From<InputError> for RunError {
    fn from(error: InputError) -> Self {
        RunError::Input(error)
    }
}

impl From<LinearModelError> for RunError {
    fn from(error: LinearModelError) -> Self {
        RunError::LinearModel(error)
    }
}
