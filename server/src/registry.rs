//! The model registry: every trained model with its id, version, dataset, hyper-parameters and metrics; the
//! `champion` and `challenger` aliases; and a log of every promotion, rejection and rollback with its reason.

use crate::db::{timestamp, Db};
use crate::error::ApiError;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use serde_json::Value;

pub const CHAMPION: &str = "champion";
pub const CHALLENGER: &str = "challenger";

pub(crate) fn create_tables(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS models (
            id TEXT PRIMARY KEY, version INTEGER NOT NULL UNIQUE, created_at TEXT NOT NULL, dataset_id TEXT NOT NULL,
            base_encoder TEXT NOT NULL, params TEXT NOT NULL, metrics TEXT NOT NULL, path TEXT NOT NULL);
         CREATE TABLE IF NOT EXISTS aliases (alias TEXT PRIMARY KEY, model_id TEXT NOT NULL, updated_at TEXT NOT NULL);
         CREATE TABLE IF NOT EXISTS decisions (
            seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, kind TEXT NOT NULL, model_id TEXT NOT NULL,
            previous_champion TEXT, reason TEXT NOT NULL);",
    )
}

/// A registered model.
#[derive(Debug, Clone, Serialize)]
pub struct ModelRow {
    pub id: String,
    pub version: i64,
    pub created_at: String,
    pub dataset_id: String,
    pub base_encoder: String,
    pub params: Value,
    /// The evaluation report on its dataset's test split (model and rule baseline).
    pub metrics: Value,
    pub path: String,
}

/// One promotion, rejection, manual promotion or rollback.
#[derive(Debug, Clone, Serialize)]
pub struct Decision {
    pub seq: i64,
    pub at: String,
    /// `promoted`, `rejected`, `manual`, `rollback`.
    pub kind: String,
    pub model_id: String,
    pub previous_champion: Option<String>,
    pub reason: String,
}

fn row_to_model(r: &rusqlite::Row<'_>) -> rusqlite::Result<ModelRow> {
    let json = |s: String| serde_json::from_str(&s).unwrap_or(Value::Null);
    Ok(ModelRow {
        id: r.get(0)?,
        version: r.get(1)?,
        created_at: r.get(2)?,
        dataset_id: r.get(3)?,
        base_encoder: r.get(4)?,
        params: json(r.get(5)?),
        metrics: json(r.get(6)?),
        path: r.get(7)?,
    })
}

const MODEL_COLS: &str = "id, version, created_at, dataset_id, base_encoder, params, metrics, path";

impl Db {
    /// Registers a model; the version is the next integer. Returns the stored row.
    pub fn insert_model(
        &self,
        id: &str,
        dataset_id: &str,
        base_encoder: &str,
        params: &Value,
        metrics: &Value,
        path: &str,
    ) -> Result<ModelRow, rusqlite::Error> {
        let conn = self.conn();
        let version: i64 = conn.query_row("SELECT COALESCE(MAX(version), 0) + 1 FROM models", [], |r| r.get(0))?;
        let created = timestamp();
        conn.execute(
            "INSERT INTO models (id, version, created_at, dataset_id, base_encoder, params, metrics, path)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![id, version, created, dataset_id, base_encoder, params.to_string(), metrics.to_string(), path],
        )?;
        Ok(ModelRow {
            id: id.into(),
            version,
            created_at: created,
            dataset_id: dataset_id.into(),
            base_encoder: base_encoder.into(),
            params: params.clone(),
            metrics: metrics.clone(),
            path: path.into(),
        })
    }

    /// Sets one key of a model's stored metrics (e.g. `dev_set`), keeping the rest.
    pub fn set_model_metric(&self, id: &str, key: &str, value: &Value) -> Result<(), ApiError> {
        let mut row = self.model(id)?.ok_or_else(|| ApiError::NotFound(format!("no model `{id}`")))?;
        if !row.metrics.is_object() {
            row.metrics = Value::Object(Default::default());
        }
        row.metrics[key] = value.clone();
        self.conn().execute("UPDATE models SET metrics = ?1 WHERE id = ?2", params![row.metrics.to_string(), id])?;
        Ok(())
    }

    pub fn model(&self, id: &str) -> Result<Option<ModelRow>, ApiError> {
        Ok(self
            .conn()
            .query_row(&format!("SELECT {MODEL_COLS} FROM models WHERE id = ?1"), params![id], row_to_model)
            .optional()?)
    }

    pub fn models(&self) -> Result<Vec<ModelRow>, ApiError> {
        let conn = self.conn();
        let mut st = conn.prepare(&format!("SELECT {MODEL_COLS} FROM models ORDER BY version DESC"))?;
        let rows = st.query_map([], row_to_model)?.collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Ids of every registered model (for cleaning up folders without a row).
    pub fn model_ids(&self) -> Result<Vec<String>, rusqlite::Error> {
        let conn = self.conn();
        let mut st = conn.prepare("SELECT id FROM models")?;
        let ids = st.query_map([], |r| r.get(0))?.collect::<Result<Vec<String>, _>>()?;
        Ok(ids)
    }

    pub fn alias(&self, alias: &str) -> Result<Option<String>, rusqlite::Error> {
        self.conn()
            .query_row("SELECT model_id FROM aliases WHERE alias = ?1", params![alias], |r| r.get(0))
            .optional()
    }

    /// Points `alias` at `model_id` and records the decision, in one transaction.
    pub fn set_alias_with_decision(
        &self,
        alias: &str,
        model_id: &str,
        kind: &str,
        previous: Option<&str>,
        reason: &str,
    ) -> Result<(), rusqlite::Error> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let now = timestamp();
        tx.execute(
            "INSERT INTO aliases (alias, model_id, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT(alias) DO UPDATE SET model_id = excluded.model_id, updated_at = excluded.updated_at",
            params![alias, model_id, now],
        )?;
        if !kind.is_empty() {
            tx.execute(
                "INSERT INTO decisions (at, kind, model_id, previous_champion, reason) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![now, kind, model_id, previous, reason],
            )?;
        }
        tx.commit()
    }

    /// Records a decision that moves no alias (a rejected challenger).
    pub fn record_decision(&self, kind: &str, model_id: &str, previous: Option<&str>, reason: &str) -> Result<(), rusqlite::Error> {
        self.conn().execute(
            "INSERT INTO decisions (at, kind, model_id, previous_champion, reason) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![timestamp(), kind, model_id, previous, reason],
        )?;
        Ok(())
    }

    /// Decisions, newest first.
    pub fn decisions(&self) -> Result<Vec<Decision>, ApiError> {
        let conn = self.conn();
        let mut st = conn.prepare(
            "SELECT seq, at, kind, model_id, previous_champion, reason FROM decisions ORDER BY seq DESC LIMIT 500",
        )?;
        let rows = st
            .query_map([], |r| {
                Ok(Decision {
                    seq: r.get(0)?,
                    at: r.get(1)?,
                    kind: r.get(2)?,
                    model_id: r.get(3)?,
                    previous_champion: r.get(4)?,
                    reason: r.get(5)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }
}
