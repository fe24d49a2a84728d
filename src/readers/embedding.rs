//! Embedding tables for the linear model's variants (METHODS §3): TSV with a header of gene or condition
//! names and one row per dimension (an optional first column may label the dimensions).
//!
//! ```
//! use perturb_check::readers::embedding::read_embedding;
//! let embedding = read_embedding("genes.tsv", b"GATA1\tKLF1\n0.5\t1\n-1\t2\n").unwrap();
//! assert_eq!(embedding.names, ["GATA1", "KLF1"]);
//! assert_eq!(embedding.vector(1), [1.0, 2.0]);
//! ```

use super::table::{read_table, RawTable, RowNames, TableOptions};
use crate::error::{ErrorKind, InputError, Location, Notice};

/// One vector per name; `values` is names × dimensions, row-major.
#[derive(Clone, Debug, PartialEq)]
pub struct Embedding {
    pub names: Vec<String>,
    pub dimensions: usize,
    values: Vec<f64>,
    pub notices: Vec<Notice>,
}

impl Embedding {
    /// An embedding made here (not read from a file): `values` row by row, `dimensions` per name.
    pub fn new(names: Vec<String>, dimensions: usize, values: Vec<f64>) -> Embedding {
        debug_assert_eq!(names.len() * dimensions, values.len());
        Embedding { names, dimensions, values, notices: Vec::new() }
    }

    /// The embedding of the `index`-th name.
    pub fn vector(&self, index: usize) -> &[f64] {
        &self.values[index * self.dimensions..(index + 1) * self.dimensions]
    }

    pub fn position(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|candidate| candidate == name)
    }

    /// An embedding from a table with one column per name and one row per dimension.
    pub fn from_table(file: &str, table: &RawTable) -> Result<Embedding, InputError> {
        let (names, dimensions) = (table.column_names.clone(), table.n_rows());
        if names.is_empty() || dimensions == 0 {
            return Err(InputError::new(file, Location::File, ErrorKind::NoDataRows, "the embedding has no values"));
        }
        // The file is dimensions × names; keep names × dimensions so that each vector is contiguous.
        let mut values = vec![0.0; table.values.len()];
        for dimension in 0..dimensions {
            for (name_index, &value) in table.row(dimension).iter().enumerate() {
                values[name_index * dimensions + dimension] = value;
            }
        }
        Ok(Embedding { names, dimensions, values, notices: table.notices.clone() })
    }
}

pub fn read_embedding(file: &str, bytes: &[u8]) -> Result<Embedding, InputError> {
    let options = TableOptions { row_names: RowNames::Detect, ..TableOptions::default() };
    let table = read_table(file, bytes, &options)?;
    Embedding::from_table(file, &table)
}
