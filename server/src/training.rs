//! Training, evaluation and promotion as the server and the CLI run them: train a challenger on a dataset,
//! evaluate it (and the rule baseline) on the dataset's test split, score it on the fixed promotion set, register
//! it, and promote it only if it beats the champion there (`promotion.rs`).

use crate::db::Db;
use crate::promotion::{self, PromotionSet, SetScores};
use crate::registry::{ModelRow, CHALLENGER, CHAMPION};
use crate::serving::{ClassifierService, ModelMeta, Served};
use blogbot_classifier::{evaluate, train, Classifier, EvalReport, TrainConfig, TrainInput, TrainProgress};
use blogbot_common::Record;
use blogbot_generator::dataset::read_split;
use candle_core::Device;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// The decision recorded for a data dir's first model.
const FIRST_MODEL: &str = "first model: no champion yet";

/// What training needs from the server.
#[derive(Clone)]
pub struct Trainer {
    pub db: Arc<Db>,
    pub data_dir: PathBuf,
    pub encoder_dir: PathBuf,
    pub device: Device,
    pub service: ClassifierService,
    /// Largest per-type F1 drop a challenger may have against the champion and still be promoted.
    pub type_f1_tolerance: f64,
    /// Post-process every model with the rule detector for the structured types (`--rules-union`); applied to
    /// evaluation and serving alike, so the metrics stored with a model are those of what is served.
    pub rules_union: bool,
    /// Label every mention of a found name (`--propagate-names`), in evaluation and serving alike.
    pub propagate_names: bool,
    /// Serve and evaluate with int8 dense layers (`--int8`).
    pub int8: bool,
    /// The fixed held-out records every promotion decision is taken on (`promotion.rs`).
    pub promotion: Arc<PromotionSet>,
}

/// The splits of a registered dataset.
pub struct Splits {
    pub train: Vec<Record>,
    pub validation: Vec<Record>,
    pub test: Vec<Record>,
}

pub fn load_splits(dir: &Path) -> Result<Splits, String> {
    let read = |s: &str| read_split(dir, s).map_err(|e| e.to_string());
    Ok(Splits { train: read("train")?, validation: read("validation")?, test: read("test")? })
}

/// The headline metrics every answer carries.
pub fn summary(r: &EvalReport) -> Value {
    let m = &r.test.model;
    json!({
        "f1": m.binary.f1, "precision": m.binary.precision, "recall": m.binary.recall, "accuracy": m.binary.accuracy,
        "span_f1": m.spans.overlap.f1, "span_exact_f1": m.spans.exact.f1, "span_typed_f1": m.spans.overlap_typed.f1,
        "structured_span_f1": m.spans.structured_overlap.f1, "structured_span_exact_f1": m.spans.structured_exact.f1,
        "threshold": r.threshold, "test_records": m.n,
        "baseline_f1": r.test.baseline.binary.f1, "baseline_span_f1": r.test.baseline.spans.overlap.f1,
    })
}


impl Trainer {
    /// Loads a registered model's folder, set up as it is served ([`Self::as_served`]).
    pub fn load(&self, path: &Path) -> Result<Classifier, String> {
        Classifier::load(path, &self.device)
            .and_then(|c| self.as_served(c))
            .map_err(|e| format!("loading {}: {e}", path.display()))
    }

    /// The configured precision and post-processing (`--int8`, `--rules-union`, `--propagate-names`): one place,
    /// so a freshly trained model is evaluated exactly as a loaded one is served.
    fn as_served(&self, c: Classifier) -> blogbot_classifier::Result<Classifier> {
        Ok(c.with_int8(self.int8)?.with_rules_union(self.rules_union).with_name_propagation(self.propagate_names))
    }

    /// What answers say about `row` served by `classifier`.
    pub fn meta(row: &ModelRow, classifier: &Classifier) -> ModelMeta {
        ModelMeta {
            precision: if classifier.is_int8() { "int8" } else { "f32" },
            id: row.id.clone(),
            version: row.version,
            created_at: row.created_at.clone(),
            dataset_id: row.dataset_id.clone(),
            metrics: row.metrics.get("summary").cloned().unwrap_or(Value::Null),
        }
    }

    /// Loads the champion (if any) into the serving thread.
    pub fn serve_champion(&self) -> Result<Option<ModelMeta>, String> {
        let Some(id) = self.db.alias(CHAMPION).map_err(|e| e.to_string())? else { return Ok(None) };
        let row = self.db.model(&id).map_err(|e| e.to_string())?.ok_or(format!("champion `{id}` is not registered"))?;
        let classifier = self.load(Path::new(&row.path))?;
        let meta = Self::meta(&row, &classifier);
        self.service.swap(Served { classifier: Arc::new(classifier), meta: meta.clone() });
        Ok(Some(meta))
    }

    /// Trains a challenger on `dataset_id`, evaluates, registers, and promotes it if it beats the champion.
    /// Blocking (model work); run it on a blocking thread.
    pub fn train_challenger(
        &self,
        dataset_id: &str,
        cfg: &TrainConfig,
        cancel: &AtomicBool,
        progress: impl FnMut(TrainProgress),
    ) -> Result<Value, String> {
        let ds = self.db.dataset(dataset_id).map_err(|e| e.to_string())?.ok_or(format!("no dataset `{dataset_id}`"))?;
        let splits = load_splits(Path::new(&ds.path))?;
        let model_id = format!("m-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
        let ckpt = self.data_dir.join("checkpoints").join(&model_id);
        let input = TrainInput {
            encoder_dir: &self.encoder_dir,
            train: &splits.train,
            val: &splits.validation,
            checkpoint_dir: Some(&ckpt),
            device: self.device.clone(),
        };
        let outcome = train(&input, cfg, cancel, progress).map_err(|e| e.to_string())?;
        let mut classifier = self.as_served(outcome.classifier).map_err(|e| e.to_string())?;
        let report = evaluate(&classifier, &splits.validation, &splits.test).map_err(|e| e.to_string())?;
        classifier.set_threshold(report.threshold);

        let models = self.data_dir.join("models");
        let tmp = models.join(format!(".tmp-{model_id}"));
        let dir = models.join(&model_id);
        std::fs::create_dir_all(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
        classifier.save(&tmp).map_err(|e| e.to_string())?;
        std::fs::rename(&tmp, &dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let _ = std::fs::remove_dir_all(&ckpt);
        let mut headline = summary(&report);
        let metrics = json!({"summary": headline, "report": report, "history": outcome.history,
                             "steps": outcome.steps, "best_epoch": outcome.best_epoch});
        let mut row = self
            .db
            .insert_model(&model_id, dataset_id, &classifier.model().config().base_encoder, &serde_json::to_value(cfg).unwrap_or_default(), &metrics, &dir.display().to_string())
            .map_err(|e| e.to_string())?;
        self.db.set_alias_with_decision(CHALLENGER, &model_id, "", None, "").map_err(|e| e.to_string())?;
        let classifier = Arc::new(classifier);
        let champion = self.db.alias(CHAMPION).map_err(|e| e.to_string())?;
        if champion.is_none() {
            // The first model serves at once; its promotion-set scores follow (they decide nothing yet).
            self.db
                .set_alias_with_decision(CHAMPION, &model_id, "promoted", None, FIRST_MODEL)
                .map_err(|e| e.to_string())?;
            self.service.swap(Served { classifier: classifier.clone(), meta: Self::meta(&row, &classifier) });
        }
        let (promo_metrics, promo_preds) = promotion::score(&classifier, &self.promotion)?;
        headline["promotion_set"] = json!(SetScores::from_metrics(&promo_metrics));
        self.db.set_model_metric(&model_id, "summary", &headline).map_err(|e| e.to_string())?;
        self.db.set_model_metric(&model_id, "promotion_set", &json!(promo_metrics)).map_err(|e| e.to_string())?;
        row.metrics["summary"] = headline.clone();

        let (promote, reason, verdict) = match &champion {
            None => (true, FIRST_MODEL.to_string(), None),
            Some(cid) => {
                let crow = self.db.model(cid).map_err(|e| e.to_string())?.ok_or(format!("champion `{cid}` missing"))?;
                let champ = self.load(Path::new(&crow.path))?;
                let (champ_metrics, champ_preds) = promotion::score(&champ, &self.promotion)?;
                let v = promotion::decide(
                    &self.promotion,
                    (&promo_metrics, &promo_preds),
                    (&champ_metrics, &champ_preds),
                    self.type_f1_tolerance,
                );
                (v.promote, v.reason.clone(), Some(v))
            }
        };
        if champion.is_none() {
            // Serve again with the promotion-set scores in the model's metadata.
            self.service.swap(Served { classifier: classifier.clone(), meta: Self::meta(&row, &classifier) });
        } else if promote {
            self.db
                .set_alias_with_decision(CHAMPION, &model_id, "promoted", champion.as_deref(), &reason)
                .map_err(|e| e.to_string())?;
            self.service.swap(Served { classifier: classifier.clone(), meta: Self::meta(&row, &classifier) });
        } else {
            self.db.record_decision("rejected", &model_id, champion.as_deref(), &reason).map_err(|e| e.to_string())?;
        }
        tracing::info!(model = %model_id, promote, %reason, "challenger evaluated");
        Ok(json!({"model_id": model_id, "version": row.version, "promoted": promote, "reason": reason,
                  "verdict": verdict, "metrics": headline}))
    }

    /// Makes `model_id` the champion by hand (recorded as `manual`, or `rollback`).
    pub fn force_champion(&self, model_id: &str, kind: &str, reason: &str) -> Result<ModelMeta, String> {
        let row = self.db.model(model_id).map_err(|e| e.to_string())?.ok_or(format!("no model `{model_id}`"))?;
        let classifier = self.load(Path::new(&row.path))?;
        let previous = self.db.alias(CHAMPION).map_err(|e| e.to_string())?;
        self.db.set_alias_with_decision(CHAMPION, model_id, kind, previous.as_deref(), reason).map_err(|e| e.to_string())?;
        let meta = Self::meta(&row, &classifier);
        self.service.swap(Served { classifier: Arc::new(classifier), meta: meta.clone() });
        Ok(meta)
    }
}
