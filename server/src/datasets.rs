//! Dataset builds as the server and the CLI run them: load posts, build, write atomically, register.

use crate::db::{DatasetRow, Db};
use blogbot_generator::corpus::SourcePost;
use blogbot_generator::dataset::{build, BuildSpec, DatasetReport};
use blogbot_generator::{GeneratorError, Llm};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

/// `<data_dir>/datasets`.
pub fn datasets_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("datasets")
}

/// Removes what a killed build left behind: temporary folders, and dataset folders no database row points to
/// (the process died between the rename and the insert). Returns the removed paths.
pub fn clean_up(data_dir: &Path, db: &Db) -> Vec<PathBuf> {
    let known = db.dataset_ids().unwrap_or_default();
    remove_entries(&datasets_dir(data_dir), |name| !name.starts_with(".tmp-") && known.iter().any(|k| k == name))
}

/// Removes what a killed training left behind: `models/.tmp-*` folders, model folders no database row points to,
/// and the epoch checkpoints of runs that never finished (nothing resumes them under a new model id).
pub fn clean_up_models(data_dir: &Path, db: &Db) -> Vec<PathBuf> {
    let known = db.model_ids().unwrap_or_default();
    let mut removed = remove_entries(&data_dir.join("models"), |name| known.iter().any(|k| k == name));
    removed.extend(remove_entries(&data_dir.join("checkpoints"), |_| false));
    removed
}

/// Removes every entry of `dir` whose name `keep` rejects; returns the removed paths. A missing `dir` is empty.
fn remove_entries(dir: &Path, keep: impl Fn(&str) -> bool) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    entries
        .flatten()
        .filter(|e| !keep(&e.file_name().to_string_lossy()))
        .filter(|e| std::fs::remove_dir_all(e.path()).is_ok())
        .map(|e| e.path())
        .collect()
}

/// Builds a dataset and writes it to `out` (atomically). Shared by the `POST /datasets` job and the CLI.
pub async fn build_to_dir(
    llm: Option<&Llm>,
    posts: &[SourcePost],
    spec: &BuildSpec,
    out: &Path,
    cancel: &AtomicBool,
    progress: impl FnMut(usize, usize),
) -> Result<DatasetReport, GeneratorError> {
    if out.exists() {
        return Err(GeneratorError::InvalidInput(format!("{} already exists", out.display())));
    }
    let ds = build(llm, posts, spec, cancel, progress).await?;
    ds.write_atomic(out)?;
    Ok(ds.report)
}

/// Registers a written dataset.
pub fn register(db: &Db, id: &str, job_id: Option<&str>, dir: &Path, report: &DatasetReport) -> Result<DatasetRow, rusqlite::Error> {
    let row = DatasetRow {
        id: id.to_string(),
        job_id: job_id.map(String::from),
        created_at: crate::db::timestamp(),
        size: report.size as i64,
        seed: report.seed as i64,
        model_id: report.model_id.clone(),
        path: dir.display().to_string(),
        report: serde_json::to_value(report).unwrap_or_default(),
    };
    db.insert_dataset(&row)?;
    Ok(row)
}
