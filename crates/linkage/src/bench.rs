//! `gugus bench linkage`: runs the engine on a CSV file and scores it against the truth.

use std::path::{Path, PathBuf};

#[derive(Debug)]
pub struct BenchError(pub String);

impl std::fmt::Display for BenchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BenchError {}

/// Runs the benchmark on `inputs` (one file to deduplicate, or two FEBRL4 files to link)
/// and returns the report as text; writes it as JSON to `json` when given.
pub fn run(inputs: &[PathBuf], json: Option<&Path>) -> Result<String, BenchError> {
    let _ = (inputs, json);
    Err(BenchError("not built yet".into()))
}
