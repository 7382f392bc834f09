//! Dataset builds: vet source posts, make positive and negative records, split by source post, report.
//!
//! Every record is made from its own RNG, seeded from the build seed and the record's number, so a record does
//! not depend on the ones before it. Records are validated before they are kept. Writing is atomic: files go
//! to a temporary folder that is renamed into place only when complete, so a killed build leaves no dataset.

use crate::corpus::SourcePost;
use crate::error::GeneratorError;
use crate::inject::{inject, Carried, InjectConfig};
use crate::llm::Llm;
use blogbot_common::rules::RuleDetector;
use blogbot_common::{GeneratorInfo, Method, PiiType, Record};
use futures::StreamExt;
use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// Most records one build may ask for.
pub const MAX_SIZE: usize = 100_000;

/// A second opinion on source posts (the served champion, once there is one): the personal-data types it finds
/// in a text, empty when it finds none.
#[derive(Clone)]
pub struct Vetter(pub std::sync::Arc<dyn Fn(&str) -> Vec<PiiType> + Send + Sync>);

impl std::fmt::Debug for Vetter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Vetter")
    }
}

/// What to build.
#[derive(Debug, Clone)]
pub struct BuildSpec {
    pub size: usize,
    /// Share of records with personal data, in [0, 1].
    pub positive_ratio: f64,
    pub seed: u64,
    /// Types to inject; all types when empty.
    pub types: Vec<PiiType>,
    /// Records generated concurrently (mistral.rs batches concurrent requests).
    pub concurrency: usize,
    pub inject: InjectConfig,
    /// Root ids of source posts this build must not use (the held-out sources of the promotion set, see
    /// [`holdout_roots`]); counted in the report.
    pub exclude: Vec<String>,
    /// Vets source posts besides the rule detectors; a post either flags is left out and reported.
    pub vetter: Option<Vetter>,
    /// Share of the records the LLM would write that it does write; the others take a template sentence. Below 1
    /// a bigger dataset costs the same LLM time.
    pub llm_share: f64,
}

impl BuildSpec {
    pub fn new(size: usize, seed: u64) -> Self {
        Self {
            size,
            positive_ratio: 0.5,
            seed,
            types: Vec::new(),
            concurrency: 4,
            inject: InjectConfig::default(),
            exclude: Vec::new(),
            vetter: None,
            llm_share: 1.0,
        }
    }

    /// Rejects impossible specs with a message for the API.
    pub fn check(&self) -> Result<(), GeneratorError> {
        if self.size == 0 || self.size > MAX_SIZE {
            return Err(GeneratorError::InvalidInput(format!("size must be between 1 and {MAX_SIZE}, got {}", self.size)));
        }
        if !(0.0..=1.0).contains(&self.llm_share) || self.llm_share.is_nan() {
            return Err(GeneratorError::InvalidInput(format!("llm_share must be between 0 and 1, got {}", self.llm_share)));
        }
        if !(0.0..=1.0).contains(&self.positive_ratio) || self.positive_ratio.is_nan() {
            return Err(GeneratorError::InvalidInput(format!(
                "positive_ratio must be between 0 and 1, got {}",
                self.positive_ratio
            )));
        }
        Ok(())
    }
}

/// A source post that the vetting found personal data in; excluded from the dataset and listed in its report.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FlaggedSource {
    pub source_id: String,
    pub types: Vec<PiiType>,
    pub values: Vec<String>,
}

/// LLM figures of a build.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct LlmStats {
    /// Records for which the LLM was asked to write the sentence.
    pub records_tried: usize,
    /// Of those, records whose sentence came from the LLM (not the template fallback).
    pub records_accepted: usize,
    /// `records_accepted / records_tried`.
    pub acceptance_rate: f64,
    pub calls: usize,
    pub completion_tokens: usize,
    pub seconds: f64,
    /// Completion tokens per second of LLM call time, per request (with several requests in flight, each call's
    /// time includes waiting for the others; the overall rate is `completion_tokens / report.seconds`).
    pub tokens_per_second: f64,
    /// Rejection reasons and how often each was seen.
    pub rejections: BTreeMap<String, usize>,
}

/// Per-split counts.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct SplitInfo {
    pub records: usize,
    pub positives: usize,
    pub sources: usize,
}

/// Everything a build learned about its dataset; stored beside it and returned by `GET /datasets/{id}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct DatasetReport {
    pub size: usize,
    pub seed: u64,
    pub model_id: String,
    pub by_label: BTreeMap<String, usize>,
    pub by_type: BTreeMap<String, usize>,
    pub by_method: BTreeMap<String, usize>,
    pub llm: LlmStats,
    pub sources_total: usize,
    /// Source pieces left out because their post is held out for the promotion set.
    #[serde(default)]
    pub excluded_sources: usize,
    pub flagged_sources: Vec<FlaggedSource>,
    pub splits: BTreeMap<String, SplitInfo>,
    pub seconds: f64,
    pub records_per_minute: f64,
    /// Carrier frames: distinct frame ids used, and distinct frames per 1,000 records (a diversity figure).
    #[serde(default)]
    pub distinct_frames: usize,
    #[serde(default)]
    pub frames_per_1000_records: f64,
}

/// A built dataset.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub train: Vec<Record>,
    pub validation: Vec<Record>,
    pub test: Vec<Record>,
    pub report: DatasetReport,
}

/// The three split names, in file order.
pub const SPLITS: [&str; 3] = ["train", "validation", "test"];

/// Checks source posts for personal data already in them. `extra` is an optional second opinion (the trained
/// classifier, once there is one); a post flagged by either is excluded.
pub fn vet_sources(
    posts: &[SourcePost],
    extra: Option<&(dyn Fn(&str) -> Vec<PiiType> + Sync)>,
) -> (Vec<SourcePost>, Vec<FlaggedSource>) {
    let rules = RuleDetector::new();
    let mut clean = Vec::new();
    let mut flagged = Vec::new();
    for p in posts {
        let found = rules.detect(&p.text);
        let mut types: Vec<PiiType> = found.iter().map(|s| s.ty).collect();
        let mut values: Vec<String> = found.into_iter().map(|s| s.value).collect();
        if let Some(f) = extra {
            for t in f(&p.text) {
                types.push(t);
                values.push(format!("(model: {t})"));
            }
        }
        if types.is_empty() {
            clean.push(p.clone());
        } else {
            types.sort();
            types.dedup();
            flagged.push(FlaggedSource { source_id: p.id.clone(), types, values });
        }
    }
    (clean, flagged)
}

/// The post a piece came from: `post#2` -> `post`. Splits are made on this, so no post spans two splits.
pub fn root_id(source_id: &str) -> &str {
    source_id.split('#').next().unwrap_or(source_id)
}

/// One in this many root posts of a corpus is held out for the promotion set.
pub const HOLDOUT_EVERY: u64 = 5;

/// The root posts of `posts` held out of every training build, for the promotion set: chosen by a hash of the
/// root id (FNV-1a), so the choice is stable across runs, machines and corpus growth (adding posts never moves
/// an old post in or out).
pub fn holdout_roots(posts: &[SourcePost]) -> Vec<String> {
    let mut roots: Vec<String> = posts
        .iter()
        .map(|p| root_id(&p.id))
        .filter(|r| {
            let h = r.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
            h % HOLDOUT_EVERY == 0
        })
        .map(String::from)
        .collect();
    roots.sort();
    roots.dedup();
    roots
}

/// Builds `size` records from the held-out posts of `posts` only ([`holdout_roots`]), without the LLM: the
/// promotion set. Deterministic for a given corpus, size and seed. Returns the records and the build report.
pub async fn build_holdout_set(
    posts: &[SourcePost],
    size: usize,
    seed: u64,
) -> Result<(Vec<Record>, DatasetReport), GeneratorError> {
    let roots = holdout_roots(posts);
    let held: Vec<SourcePost> = posts.iter().filter(|p| roots.iter().any(|r| r == root_id(&p.id))).cloned().collect();
    let spec = BuildSpec::new(size, seed);
    let ds = build(None, &held, &spec, &AtomicBool::new(false), |_, _| {}).await?;
    let mut records: Vec<Record> = ds.all().cloned().collect();
    records.sort_by(|a, b| a.id.cmp(&b.id));
    Ok((records, ds.report))
}

/// Assigns each root post to a split: 80% train, 10% validation, 10% test (at least one post each when there
/// are three or more).
fn assign_splits(posts: &[SourcePost], seed: u64) -> HashMap<String, usize> {
    let mut roots: Vec<&str> = posts.iter().map(|p| root_id(&p.id)).collect();
    roots.sort();
    roots.dedup();
    roots.shuffle(&mut StdRng::seed_from_u64(seed ^ 0x5EED_5B17));
    let n = roots.len();
    let (n_val, n_test) = if n >= 3 { ((n / 10).max(1), (n / 10).max(1)) } else { (0, 0) };
    roots
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let split = if i < n_test {
                2
            } else if i < n_test + n_val {
                1
            } else {
                0
            };
            (r.to_string(), split)
        })
        .collect()
}

/// The RNG of record `n` of a build.
fn record_rng(seed: u64, n: usize) -> StdRng {
    StdRng::seed_from_u64(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (n as u64).wrapping_add(1).wrapping_mul(0xD1B5_4A32_D192_ED03))
}

/// What one record's generation yielded, with its LLM cost.
struct Made {
    record: Record,
    llm_tried: bool,
    calls: usize,
    tokens: usize,
    seconds: f64,
    rejections: Vec<String>,
    /// Carrier frame ids used, if any.
    frames: Vec<&'static str>,
}

/// Chooses the types of a positive record: one to three distinct types from `allowed`.
pub fn choose_types<R: Rng + ?Sized>(allowed: &[PiiType], rng: &mut R) -> Vec<PiiType> {
    let want = match rng.random_range(0..100) {
        0..50 => 1,
        50..85 => 2,
        _ => 3,
    }
    .min(allowed.len());
    let mut pool = allowed.to_vec();
    pool.shuffle(rng);
    pool.truncate(want);
    pool
}

/// Makes record `n`.
async fn make_record(
    llm: Option<&Llm>,
    sources: &[SourcePost],
    spec: &BuildSpec,
    model_id: &str,
    n: usize,
) -> Result<Made, GeneratorError> {
    let mut rng = record_rng(spec.seed, n);
    let source = sources.choose(&mut rng).ok_or_else(|| GeneratorError::InvalidInput("no usable source post".into()))?;
    let positive = rng.random_bool(spec.positive_ratio);
    let allowed: &[PiiType] = if spec.types.is_empty() { &PiiType::ALL } else { &spec.types };
    let info = GeneratorInfo { model_id: model_id.to_string(), seed: spec.seed };
    let id = format!("r{n:06}");
    // Carrier frames: values (or look-alikes) in narrative, dialogue, lists, contact blocks, signatures and
    // comments, anywhere in the post. Most positives, whatever the LLM; a third of the negatives.
    let carrier_share = if llm.is_some() { CARRIER_SHARE_WITH_LLM } else { CARRIER_SHARE };
    let use_carriers = if positive { rng.random_bool(carrier_share) } else { rng.random_range(0..3) == 0 };
    if use_carriers {
        let carriers = if positive { positive_carriers(allowed, &mut rng) } else { negative_carriers(&mut rng) };
        let (text, spans) = crate::carriers::place(&source.text, &carriers, &mut rng)?;
        let record = Record {
            id,
            source_id: source.id.clone(),
            label: u8::from(!spans.is_empty()),
            text,
            spans,
            method: Method::Carrier,
            generator: info,
        };
        record.validate()?;
        let frames = carriers.iter().map(|c| c.frame).collect();
        return Ok(Made { record, llm_tried: false, calls: 0, tokens: 0, seconds: 0.0, rejections: Vec::new(), frames });
    }
    let carried: Vec<Carried> = if positive {
        choose_types(allowed, &mut rng).into_iter().map(|ty| Carried::pii(ty, &mut rng)).collect()
    } else if rng.random_bool(0.5) {
        // A decoy negative: an inserted sentence with numbers that are not personal data.
        (0..rng.random_range(1..=2)).map(|_| Carried::decoy(&mut rng)).collect()
    } else {
        Vec::new()
    };
    if carried.is_empty() {
        let record = Record {
            id,
            source_id: source.id.clone(),
            text: source.text.clone(),
            label: 0,
            spans: Vec::new(),
            method: Method::Source,
            generator: info,
        };
        return Ok(Made { record, llm_tried: false, calls: 0, tokens: 0, seconds: 0.0, rejections: Vec::new(), frames: Vec::new() });
    }
    let llm = if spec.llm_share < 1.0 && llm.is_some() && !rng.random_bool(spec.llm_share) { None } else { llm };
    let out = inject(llm, &source.text, &carried, &mut rng, &spec.inject).await?;
    let record = Record {
        id,
        source_id: source.id.clone(),
        text: out.text,
        label: u8::from(!out.spans.is_empty()),
        spans: out.spans,
        method: out.method,
        generator: info,
    };
    record.validate()?;
    Ok(Made {
        record,
        llm_tried: llm.is_some(),
        calls: out.llm_attempts,
        tokens: out.llm_tokens,
        seconds: out.llm_seconds,
        rejections: out.rejections,
        frames: Vec::new(),
    })
}

/// Share of positive records carried by frames ([`crate::carriers`]) rather than one inserted sentence, without
/// and with the LLM.
pub const CARRIER_SHARE: f64 = 0.7;
pub const CARRIER_SHARE_WITH_LLM: f64 = 0.6;

/// One to three positive carriers for one record: the record's types (PERSON, the type real posts carry most,
/// added to half of them when allowed), sometimes a second person, sometimes a look-alike beside them.
fn positive_carriers<R: Rng + ?Sized>(allowed: &[PiiType], rng: &mut R) -> Vec<crate::carriers::Carrier> {
    let mut types = choose_types(allowed, rng);
    if allowed.contains(&PiiType::Person) && !types.contains(&PiiType::Person) && rng.random_bool(0.5) {
        types.truncate(2);
        types.push(PiiType::Person);
    }
    let mut out = vec![crate::carriers::positive(&types, rng)];
    if allowed.contains(&PiiType::Person) && rng.random_bool(0.3) {
        out.push(crate::carriers::positive(&[PiiType::Person], rng));
    }
    if rng.random_bool(0.3) {
        out.push(crate::carriers::hard_negative(rng));
    }
    out
}

/// One to three look-alikes for a negative record.
fn negative_carriers<R: Rng + ?Sized>(rng: &mut R) -> Vec<crate::carriers::Carrier> {
    (0..rng.random_range(1..=3)).map(|_| crate::carriers::hard_negative(rng)).collect()
}

/// Builds a dataset in memory. `progress(done, total)` is called after each record; `cancel` is checked
/// between records. Without an LLM every sentence comes from templates.
pub async fn build(
    llm: Option<&Llm>,
    posts: &[SourcePost],
    spec: &BuildSpec,
    cancel: &AtomicBool,
    mut progress: impl FnMut(usize, usize),
) -> Result<Dataset, GeneratorError> {
    spec.check()?;
    let started = Instant::now();
    let vetter = spec.vetter.as_ref().map(|v| &*v.0 as &(dyn Fn(&str) -> Vec<PiiType> + Sync));
    let (sources, flagged) = vet_sources(posts, vetter);
    let before = sources.len();
    let sources: Vec<SourcePost> =
        sources.into_iter().filter(|p| !spec.exclude.iter().any(|r| r == root_id(&p.id))).collect();
    let excluded_sources = before - sources.len();
    if sources.is_empty() {
        return Err(GeneratorError::InvalidInput(format!(
            "all {} source posts were flagged as containing personal data",
            posts.len()
        )));
    }
    let split_of = assign_splits(&sources, spec.seed);
    let model_id = llm.map(|l| l.info().model_id.clone()).unwrap_or_else(|| "template".to_string());

    let mut report = DatasetReport {
        size: spec.size,
        seed: spec.seed,
        model_id: model_id.clone(),
        sources_total: posts.len(),
        excluded_sources,
        flagged_sources: flagged,
        ..Default::default()
    };
    let mut splits: [Vec<Record>; 3] = Default::default();
    let sources_ref = &sources;
    let model_ref = model_id.as_str();
    let mut stream = futures::stream::iter(0..spec.size)
        .map(|n| make_record(llm, sources_ref, spec, model_ref, n))
        .buffered(spec.concurrency.max(1));
    let mut done = 0;
    let mut frames = std::collections::BTreeSet::new();
    while let Some(made) = stream.next().await {
        if cancel.load(Ordering::Relaxed) {
            return Err(GeneratorError::Cancelled);
        }
        let made = made?;
        frames.extend(made.frames.iter().copied());
        let r = made.record;
        *report.by_label.entry(r.label.to_string()).or_default() += 1;
        *report
            .by_method
            .entry(serde_json::to_value(r.method).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default())
            .or_default() += 1;
        for s in &r.spans {
            *report.by_type.entry(s.ty.to_string()).or_default() += 1;
        }
        if made.llm_tried {
            report.llm.records_tried += 1;
            report.llm.records_accepted += usize::from(r.method == Method::Llm);
        }
        report.llm.calls += made.calls;
        report.llm.completion_tokens += made.tokens;
        report.llm.seconds += made.seconds;
        for why in made.rejections {
            let key = why.split(" (").next().unwrap_or(&why).to_string();
            *report.llm.rejections.entry(key).or_default() += 1;
        }
        let split = split_of.get(root_id(&r.source_id)).copied().unwrap_or(0);
        splits[split].push(r);
        done += 1;
        progress(done, spec.size);
    }
    let l = &mut report.llm;
    l.acceptance_rate = if l.records_tried > 0 { l.records_accepted as f64 / l.records_tried as f64 } else { 0.0 };
    l.tokens_per_second = if l.seconds > 0.0 { l.completion_tokens as f64 / l.seconds } else { 0.0 };
    for (name, recs) in SPLITS.iter().zip(splits.iter()) {
        let mut roots: Vec<&str> = recs.iter().map(|r| root_id(&r.source_id)).collect();
        roots.sort();
        roots.dedup();
        report.splits.insert(
            name.to_string(),
            SplitInfo { records: recs.len(), positives: recs.iter().filter(|r| r.label == 1).count(), sources: roots.len() },
        );
    }
    report.distinct_frames = frames.len();
    report.frames_per_1000_records = frames.len() as f64 * 1000.0 / spec.size.max(1) as f64;
    report.seconds = started.elapsed().as_secs_f64();
    report.records_per_minute = spec.size as f64 / report.seconds.max(1e-9) * 60.0;
    let [train, validation, test] = splits;
    Ok(Dataset { train, validation, test, report })
}

impl Dataset {
    /// Writes `train.jsonl`, `validation.jsonl`, `test.jsonl` and `report.json` into `dir`, atomically: into a
    /// sibling temporary folder first, renamed to `dir` only once everything is written and synced.
    pub fn write_atomic(&self, dir: &Path) -> Result<(), GeneratorError> {
        let parent = dir.parent().ok_or_else(|| GeneratorError::InvalidInput("dataset dir has no parent".into()))?;
        std::fs::create_dir_all(parent).map_err(|e| GeneratorError::io(parent, e))?;
        let name = dir.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        let tmp = parent.join(format!(".tmp-{name}"));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp).map_err(|e| GeneratorError::io(&tmp, e))?;
        for (split, recs) in SPLITS.iter().zip([&self.train, &self.validation, &self.test]) {
            let mut buf = String::new();
            for r in recs {
                buf.push_str(&serde_json::to_string(r).map_err(|e| GeneratorError::InvalidInput(e.to_string()))?);
                buf.push('\n');
            }
            write_synced(&tmp.join(format!("{split}.jsonl")), buf.as_bytes())?;
        }
        let report = serde_json::to_vec_pretty(&self.report).map_err(|e| GeneratorError::InvalidInput(e.to_string()))?;
        write_synced(&tmp.join("report.json"), &report)?;
        std::fs::rename(&tmp, dir).map_err(|e| GeneratorError::io(dir, e))?;
        if let Ok(d) = std::fs::File::open(parent) {
            let _ = d.sync_all();
        }
        Ok(())
    }

    /// All records, train then validation then test.
    pub fn all(&self) -> impl Iterator<Item = &Record> {
        self.train.iter().chain(&self.validation).chain(&self.test)
    }
}

fn write_synced(path: &Path, data: &[u8]) -> Result<(), GeneratorError> {
    use std::io::Write;
    let mut f = std::fs::File::create(path).map_err(|e| GeneratorError::io(path, e))?;
    f.write_all(data).map_err(|e| GeneratorError::io(path, e))?;
    f.sync_all().map_err(|e| GeneratorError::io(path, e))
}

/// Reads one split of a stored dataset, validating every record.
pub fn read_split(dir: &Path, split: &str) -> Result<Vec<Record>, GeneratorError> {
    let path = dir.join(format!("{split}.jsonl"));
    let data = std::fs::read_to_string(&path).map_err(|e| GeneratorError::io(&path, e))?;
    data.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| {
            let r: Record = serde_json::from_str(l).map_err(|e| {
                GeneratorError::InvalidInput(format!("{} line {}: {e}", path.display(), i + 1))
            })?;
            r.validate()?;
            Ok(r)
        })
        .collect()
}

/// Reads a stored dataset's report.
pub fn read_report(dir: &Path) -> Result<DatasetReport, GeneratorError> {
    let path = dir.join("report.json");
    let data = std::fs::read(&path).map_err(|e| GeneratorError::io(&path, e))?;
    serde_json::from_slice(&data).map_err(|e| GeneratorError::InvalidInput(format!("{}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn posts() -> Vec<SourcePost> {
        (0..30)
            .map(|i| SourcePost {
                id: format!("p{i}#{}", i % 2),
                text: format!("Post number {i} is about bread. It rose well overnight! The crumb was open and soft."),
            })
            .chain(std::iter::once(SourcePost { id: "bad".into(), text: "Mail me at someone@example.org today.".into() }))
            .collect()
    }

    #[tokio::test]
    async fn template_build_is_valid_split_by_source_and_reproducible() {
        let spec = BuildSpec::new(120, 7);
        let cancel = AtomicBool::new(false);
        let mut calls = 0;
        let ds = build(None, &posts(), &spec, &cancel, |_, _| calls += 1).await.unwrap();
        assert_eq!(calls, 120);
        assert_eq!(ds.all().count(), 120);
        assert_eq!(ds.report.flagged_sources.len(), 1);
        assert_eq!(ds.report.flagged_sources[0].source_id, "bad");
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (i, recs) in [&ds.train, &ds.validation, &ds.test].iter().enumerate() {
            assert!(!recs.is_empty());
            for r in recs.iter() {
                r.validate().unwrap();
                assert_ne!(r.source_id, "bad");
                let prev = seen.insert(root_id(&r.source_id), i);
                assert!(prev.is_none() || prev == Some(i), "source {} in two splits", r.source_id);
            }
        }
        let pos = ds.all().filter(|r| r.label == 1).count();
        assert!((40..=80).contains(&pos), "{pos}");
        let again = build(None, &posts(), &spec, &cancel, |_, _| {}).await.unwrap();
        assert_eq!(again.train, ds.train);

        let dir = std::env::temp_dir().join(format!("blogbot-ds-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        ds.write_atomic(&dir).unwrap();
        assert_eq!(read_split(&dir, "test").unwrap(), ds.test);
        // serde_json's default float parser may land one ulp away from the written value
        // (timings such as records_per_minute), so floats are compared to a relative 1e-12.
        assert_json_close(
            &serde_json::to_value(read_report(&dir).unwrap()).unwrap(),
            &serde_json::to_value(&ds.report).unwrap(),
            "report",
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn assert_json_close(a: &serde_json::Value, b: &serde_json::Value, at: &str) {
        use serde_json::Value;
        match (a, b) {
            (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
                let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
                assert!((x - y).abs() <= 1e-12 * x.abs().max(y.abs()), "{at}: {x} != {y}");
            }
            (Value::Array(x), Value::Array(y)) => {
                assert_eq!(x.len(), y.len(), "{at}: lengths");
                for (i, (x, y)) in x.iter().zip(y).enumerate() {
                    assert_json_close(x, y, &format!("{at}[{i}]"));
                }
            }
            (Value::Object(x), Value::Object(y)) => {
                assert_eq!(x.keys().collect::<Vec<_>>(), y.keys().collect::<Vec<_>>(), "{at}: keys");
                for (k, x) in x {
                    assert_json_close(x, &y[k], &format!("{at}.{k}"));
                }
            }
            _ => assert_eq!(a, b, "{at}"),
        }
    }

    #[tokio::test]
    async fn holdout_posts_never_enter_a_build_and_make_the_promotion_set() {
        let posts: Vec<SourcePost> = (0..60)
            .map(|i| SourcePost {
                id: format!("post-{i}#0"),
                text: format!("Post number {i} is about bread. It rose well overnight! The crumb was open and soft."),
            })
            .collect();
        let roots = holdout_roots(&posts);
        assert!((4..=24).contains(&roots.len()), "{} of 60 held out", roots.len());
        assert_eq!(holdout_roots(&posts[..30]), roots.iter().filter(|r| posts[..30].iter().any(|p| root_id(&p.id) == r.as_str())).cloned().collect::<Vec<_>>(), "stable under corpus growth");
        let mut spec = BuildSpec::new(80, 3);
        spec.exclude = roots.clone();
        let ds = build(None, &posts, &spec, &AtomicBool::new(false), |_, _| {}).await.unwrap();
        assert_eq!(ds.report.excluded_sources, roots.len());
        assert!(ds.all().all(|r| !roots.iter().any(|h| h == root_id(&r.source_id))));
        let (set, report) = build_holdout_set(&posts, 50, 9).await.unwrap();
        assert_eq!(set.len(), 50);
        assert!(set.iter().all(|r| roots.iter().any(|h| h == root_id(&r.source_id))));
        assert!(report.by_label.len() == 2, "{:?}", report.by_label);
        assert_eq!(build_holdout_set(&posts, 50, 9).await.unwrap().0, set, "deterministic");
    }

    #[test]
    fn specs_out_of_range_are_refused() {
        let bad = |f: fn(&mut BuildSpec)| {
            let mut s = BuildSpec::new(10, 0);
            f(&mut s);
            s.check().is_err()
        };
        assert!(!bad(|_| {}));
        assert!(bad(|s| s.size = 0));
        assert!(bad(|s| s.positive_ratio = 1.5));
        assert!(bad(|s| s.llm_share = -0.1));
        assert!(bad(|s| s.llm_share = f64::NAN));
        assert!(!bad(|s| s.llm_share = 0.0));
    }

    #[tokio::test]
    async fn cancel_stops_a_build() {
        let cancel = AtomicBool::new(true);
        let r = build(None, &posts(), &BuildSpec::new(50, 1), &cancel, |_, _| {}).await;
        assert!(matches!(r, Err(GeneratorError::Cancelled)));
    }
}
