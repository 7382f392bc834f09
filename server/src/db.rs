//! The embedded database (SQLite, WAL): jobs and datasets. One connection behind a mutex; every statement is
//! short and none is held across an await.

use crate::error::ApiError;
use chrono::Utc;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use serde_json::Value;
use std::path::Path;
use std::sync::Mutex;

/// A job's lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Succeeded => "succeeded",
            JobState::Failed => "failed",
            JobState::Cancelled => "cancelled",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "queued" => JobState::Queued,
            "running" => JobState::Running,
            "succeeded" => JobState::Succeeded,
            "cancelled" => JobState::Cancelled,
            _ => JobState::Failed,
        }
    }

    pub fn is_final(self) -> bool {
        matches!(self, JobState::Succeeded | JobState::Failed | JobState::Cancelled)
    }
}

/// A job as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Job {
    pub id: String,
    pub kind: String,
    pub state: JobState,
    pub progress: f64,
    pub message: String,
    pub params: Value,
    pub result: Option<Value>,
    pub created_at: String,
    pub updated_at: String,
}

/// A stored dataset's metadata (the records themselves are JSONL files in its folder).
#[derive(Debug, Clone, Serialize)]
pub struct DatasetRow {
    pub id: String,
    pub job_id: Option<String>,
    pub created_at: String,
    pub size: i64,
    pub seed: i64,
    pub model_id: String,
    pub path: String,
    pub report: Value,
}

pub struct Db {
    pub(crate) conn: Mutex<Connection>,
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl Db {
    pub fn open(path: &Path) -> Result<Self, rusqlite::Error> {
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS jobs (
                id TEXT PRIMARY KEY, kind TEXT NOT NULL, state TEXT NOT NULL, progress REAL NOT NULL DEFAULT 0,
                message TEXT NOT NULL DEFAULT '', params TEXT NOT NULL DEFAULT '{}', result TEXT,
                created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS datasets (
                id TEXT PRIMARY KEY, job_id TEXT, created_at TEXT NOT NULL, size INTEGER NOT NULL,
                seed INTEGER NOT NULL, model_id TEXT NOT NULL, path TEXT NOT NULL, report TEXT NOT NULL);",
        )?;
        crate::registry::create_tables(&conn)?;
        Ok(Self { conn: Mutex::new(conn) })
    }

    pub(crate) fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite inconsistent (each statement is atomic).
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Marks jobs that were queued or running when the process died as failed. Returns how many.
    pub fn fail_interrupted_jobs(&self) -> Result<usize, rusqlite::Error> {
        self.conn().execute(
            "UPDATE jobs SET state = 'failed', message = 'interrupted: the server stopped while this job was '
               || state || ' (at: ' || message || '); start it again', updated_at = ?1
             WHERE state IN ('queued', 'running')",
            params![now()],
        )
    }

    pub fn insert_job(&self, id: &str, kind: &str, params: &Value) -> Result<(), rusqlite::Error> {
        let t = now();
        self.conn().execute(
            "INSERT INTO jobs (id, kind, state, progress, message, params, created_at, updated_at)
             VALUES (?1, ?2, 'queued', 0, 'queued', ?3, ?4, ?4)",
            params![id, kind, params.to_string(), t],
        )?;
        Ok(())
    }

    pub fn update_job(
        &self,
        id: &str,
        state: JobState,
        progress: f64,
        message: &str,
        result: Option<&Value>,
    ) -> Result<(), rusqlite::Error> {
        self.conn().execute(
            "UPDATE jobs SET state = ?2, progress = ?3, message = ?4, result = COALESCE(?5, result), updated_at = ?6
             WHERE id = ?1",
            params![id, state.as_str(), progress, message, result.map(|r| r.to_string()), now()],
        )?;
        Ok(())
    }

    pub fn job(&self, id: &str) -> Result<Option<Job>, ApiError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT id, kind, state, progress, message, params, result, created_at, updated_at FROM jobs WHERE id = ?1",
                params![id],
                row_to_job,
            )
            .optional()?)
    }

    /// Jobs per state, for metrics.
    pub fn job_counts(&self) -> Result<Vec<(String, i64)>, ApiError> {
        let conn = self.conn();
        let mut st = conn.prepare("SELECT state, COUNT(*) FROM jobs GROUP BY state")?;
        let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn jobs(&self, limit: usize) -> Result<Vec<Job>, ApiError> {
        let conn = self.conn();
        let mut st = conn.prepare(
            "SELECT id, kind, state, progress, message, params, result, created_at, updated_at FROM jobs
             ORDER BY created_at DESC LIMIT ?1",
        )?;
        let rows = st.query_map(params![limit as i64], row_to_job)?.collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    pub fn insert_dataset(&self, d: &DatasetRow) -> Result<(), rusqlite::Error> {
        self.conn().execute(
            "INSERT INTO datasets (id, job_id, created_at, size, seed, model_id, path, report)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![d.id, d.job_id, d.created_at, d.size, d.seed, d.model_id, d.path, d.report.to_string()],
        )?;
        Ok(())
    }

    pub fn dataset(&self, id: &str) -> Result<Option<DatasetRow>, ApiError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT id, job_id, created_at, size, seed, model_id, path, report FROM datasets WHERE id = ?1",
                params![id],
                row_to_dataset,
            )
            .optional()?)
    }

    pub fn datasets(&self) -> Result<Vec<DatasetRow>, ApiError> {
        let conn = self.conn();
        let mut st = conn.prepare(
            "SELECT id, job_id, created_at, size, seed, model_id, path, report FROM datasets ORDER BY created_at DESC",
        )?;
        let rows = st.query_map([], row_to_dataset)?.collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Ids of every registered dataset (used to clean up folders without a row after a crash).
    pub fn dataset_ids(&self) -> Result<Vec<String>, rusqlite::Error> {
        let conn = self.conn();
        let mut st = conn.prepare("SELECT id FROM datasets")?;
        let ids = st.query_map([], |r| r.get(0))?.collect::<Result<Vec<String>, _>>()?;
        Ok(ids)
    }
}

pub fn timestamp() -> String {
    now()
}

fn json_col(s: Option<String>) -> Option<Value> {
    s.and_then(|s| serde_json::from_str(&s).ok())
}

fn row_to_job(r: &rusqlite::Row<'_>) -> rusqlite::Result<Job> {
    Ok(Job {
        id: r.get(0)?,
        kind: r.get(1)?,
        state: JobState::parse(&r.get::<_, String>(2)?),
        progress: r.get(3)?,
        message: r.get(4)?,
        params: json_col(r.get(5)?).unwrap_or(Value::Null),
        result: json_col(r.get(6)?),
        created_at: r.get(7)?,
        updated_at: r.get(8)?,
    })
}

fn row_to_dataset(r: &rusqlite::Row<'_>) -> rusqlite::Result<DatasetRow> {
    Ok(DatasetRow {
        id: r.get(0)?,
        job_id: r.get(1)?,
        created_at: r.get(2)?,
        size: r.get(3)?,
        seed: r.get(4)?,
        model_id: r.get(5)?,
        path: r.get(6)?,
        report: json_col(r.get(7)?).unwrap_or(Value::Null),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interrupted_jobs_become_failed_on_reopen() {
        let dir = std::env::temp_dir().join(format!("blogbot-db-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("db.sqlite");
        {
            let db = Db::open(&path).unwrap();
            db.insert_job("a", "dataset", &serde_json::json!({"size": 3})).unwrap();
            db.insert_job("b", "dataset", &serde_json::json!({})).unwrap();
            db.update_job("b", JobState::Succeeded, 1.0, "done", Some(&serde_json::json!({"x": 1}))).unwrap();
        }
        let db = Db::open(&path).unwrap();
        assert_eq!(db.fail_interrupted_jobs().unwrap(), 1);
        let a = db.job("a").unwrap().unwrap();
        assert_eq!(a.state, JobState::Failed);
        assert!(a.message.contains("interrupted"));
        assert_eq!(db.job("b").unwrap().unwrap().result, Some(serde_json::json!({"x": 1})));
        assert!(db.job("zzz").unwrap().is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
