//! CLI commands: the same code paths as the API, with progress bars.

use crate::config::{BenchLlmArgs, Common, GenerateArgs};
use blogbot_generator::llm::CompletionRequest;
use anyhow::Context;
use blogbot_generator::corpus::load_posts;
use blogbot_generator::dataset::BuildSpec;
use indicatif::{ProgressBar, ProgressStyle};
use std::sync::atomic::AtomicBool;

/// `blogbot-server generate`: builds a dataset into `--out`.
pub async fn generate(common: Common, args: GenerateArgs) -> anyhow::Result<()> {
    let posts = load_posts(&args.posts)?;
    let mut spec = BuildSpec::new(args.size, args.seed);
    spec.positive_ratio = args.positive_ratio;
    spec.concurrency = args.concurrency;
    // The corpus's held-out posts are the promotion set's; keep them out of training data.
    spec.exclude = blogbot_generator::dataset::holdout_roots(&posts);
    spec.check()?;
    let llm = if args.no_llm { None } else { Some(crate::server::load_llm(&common).await?.0) };
    let bar = ProgressBar::new(args.size as u64);
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} records ({per_sec}, eta {eta})")
            .context("progress style")?,
    );
    let cancel = AtomicBool::new(false);
    let report = crate::datasets::build_to_dir(llm.as_deref(), &posts, &spec, &args.out, &cancel, |done, _| {
        bar.set_position(done as u64)
    })
    .await?;
    bar.finish();
    println!("{}", serde_json::to_string_pretty(&report)?);
    eprintln!(
        "dataset written to {}: {} records, LLM acceptance {:.1}%, {:.1} records/min, {:.1} LLM tok/s",
        args.out.display(),
        report.size,
        report.llm.acceptance_rate * 100.0,
        report.records_per_minute,
        report.llm.tokens_per_second
    );
    Ok(())
}

/// `blogbot-server bench-llm`: prefill and decode speed on a fixed prompt, one JSON line (medians over runs,
/// after one warm-up run).
pub async fn bench_llm(common: Common, args: BenchLlmArgs) -> anyhow::Result<()> {
    let prompt = std::fs::read_to_string(&args.prompt).with_context(|| format!("reading {}", args.prompt.display()))?;
    let (llm, _) = crate::server::load_llm(&common).await?;
    let req = CompletionRequest { system: "", user: prompt.trim(), grammar: None, max_tokens: args.max_tokens, temperature: None, stop: None };
    llm.complete(&req).await?;
    let (mut prefill, mut decode, mut tokens) = (Vec::new(), Vec::new(), (0, 0));
    for _ in 0..args.runs.max(1) {
        let c = llm.complete(&req).await?;
        prefill.push(c.prefill_tok_per_sec);
        decode.push(c.decode_tok_per_sec);
        tokens = (c.prompt_tokens, c.completion_tokens);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(|a, b| a.total_cmp(b));
        v[v.len() / 2]
    };
    println!(
        "{}",
        serde_json::json!({
            "engine": "mistral.rs", "model": llm.info().model_id, "runs": args.runs,
            "prompt_tokens": tokens.0, "completion_tokens": tokens.1,
            "prefill_tok_per_sec": median(&mut prefill), "decode_tok_per_sec": median(&mut decode),
        })
    );
    Ok(())
}

/// The CLI's trainer: the data dir's registry, the encoder from the weights folder, CPU or CUDA.
fn cli_trainer(common: &Common, tolerance: f64) -> anyhow::Result<crate::training::Trainer> {
    let db = crate::server::open_state(&common.data_dir)?;
    let device = match common.device {
        blogbot_generator::DeviceSpec::Cpu => candle_core::Device::Cpu,
        blogbot_generator::DeviceSpec::Cuda(n) => candle_core::Device::new_cuda(n)?,
    };
    Ok(crate::training::Trainer {
        db,
        data_dir: common.data_dir.clone(),
        encoder_dir: common.weights.join("encoder"),
        device,
        service: crate::serving::ClassifierService::start(Default::default()),
        type_f1_tolerance: tolerance,
        rules_union: common.rules_union,
        propagate_names: common.propagate_names,
        int8: common.int8,
        promotion: std::sync::Arc::new(
            crate::promotion::load_or_build(&common.data_dir, std::path::Path::new(crate::server::DEFAULT_POSTS))
                .map_err(anyhow::Error::msg)?,
        ),
    })
}

/// A registered model by id, or the champion for `champion`.
fn load_model(trainer: &crate::training::Trainer, name: &str) -> anyhow::Result<(String, blogbot_classifier::Classifier)> {
    let id = if name == crate::registry::CHAMPION {
        trainer.db.alias(crate::registry::CHAMPION)?.ok_or_else(|| anyhow::anyhow!("there is no champion"))?
    } else {
        name.to_string()
    };
    let row = trainer.db.model(&id)?.ok_or_else(|| anyhow::anyhow!("no model `{id}`"))?;
    let classifier = trainer.load(std::path::Path::new(&row.path)).map_err(|e| anyhow::anyhow!(e))?;
    Ok((id, classifier))
}

/// `blogbot-server train`: the same path as `POST /train`, with a progress bar.
pub fn train(common: Common, args: crate::config::TrainArgs) -> anyhow::Result<()> {
    let trainer = cli_trainer(&common, args.type_f1_tolerance)?;
    let mut cfg = blogbot_classifier::TrainConfig::default();
    cfg.epochs = args.epochs;
    cfg.lr = args.lr;
    cfg.batch_size = args.batch_size;
    cfg.max_len = args.max_len;
    cfg.stride = cfg.stride.min(args.max_len / 4);
    cfg.seed = args.seed;
    cfg.max_steps = args.max_steps;
    cfg.span_free_keep = args.span_free_keep;
    let bar = ProgressBar::new(1);
    bar.set_style(ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} steps {msg}").context("style")?);
    let cancel = AtomicBool::new(false);
    let out = trainer
        .train_challenger(&args.dataset, &cfg, &cancel, |p| {
            bar.set_length(p.total_steps as u64);
            bar.set_position(p.step as u64);
            bar.set_message(format!("epoch {} loss {:.4} {:.1} ex/s", p.epoch, p.loss, p.examples_per_sec));
        })
        .map_err(|e| anyhow::anyhow!(e))?;
    bar.finish();
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

/// `blogbot-server eval`: a registered model and the rule baseline on a dataset's test split.
pub fn eval(common: Common, args: crate::config::EvalArgs) -> anyhow::Result<()> {
    let trainer = cli_trainer(&common, 0.0)?;
    let (id, classifier) = load_model(&trainer, &args.model)?;
    let ds = trainer.db.dataset(&args.dataset)?.ok_or_else(|| anyhow::anyhow!("no dataset `{}`", args.dataset))?;
    let splits = crate::training::load_splits(std::path::Path::new(&ds.path)).map_err(|e| anyhow::anyhow!(e))?;
    let report = blogbot_classifier::evaluate(&classifier, &splits.validation, &splits.test)?;
    println!("{}", serde_json::to_string_pretty(&serde_json::json!({"model": id, "dataset": args.dataset,
        "summary": crate::training::summary(&report), "report": report}))?);
    Ok(())
}

/// `blogbot-server predict`: predictions for a JSONL file, by a model or the rules, in score.py's format.
pub fn predict(common: Common, args: crate::config::PredictArgs) -> anyhow::Result<()> {
    use std::io::Write;
    let input = std::fs::read_to_string(&args.input).with_context(|| format!("reading {}", args.input.display()))?;
    let mut items = Vec::new();
    for (n, line) in input.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).with_context(|| format!("line {}", n + 1))?;
        let id = v["id"].as_str().map(String::from).unwrap_or_else(|| v["id"].to_string());
        let text = v["text"].as_str().ok_or_else(|| anyhow::anyhow!("line {}: no `text`", n + 1))?.to_string();
        items.push((id, text));
    }
    let started = std::time::Instant::now();
    let preds: Vec<serde_json::Value> = if args.model == "rules" {
        let rules = blogbot_common::rules::RuleDetector::new();
        items
            .iter()
            .map(|(_, t)| {
                let spans = rules.detect(t);
                serde_json::json!({"violation": !spans.is_empty(),
                    "spans": spans.iter().map(|s| serde_json::json!({"start": s.start, "end": s.end, "type": s.ty})).collect::<Vec<_>>()})
            })
            .collect()
    } else {
        let trainer = cli_trainer(&common, 0.0)?;
        let (_, classifier) = load_model(&trainer, &args.model)?;
        let bar = ProgressBar::new(items.len() as u64);
        let mut out = Vec::new();
        for chunk in items.chunks(16) {
            let texts: Vec<&str> = chunk.iter().map(|(_, t)| t.as_str()).collect();
            for p in classifier.classify(&texts)? {
                out.push(serde_json::json!({"violation": p.violation, "suspected": p.suspected, "score": p.score,
                    "spans": p.spans.iter().map(|s| serde_json::json!({"start": s.start, "end": s.end, "type": s.ty})).collect::<Vec<_>>()}));
            }
            bar.inc(chunk.len() as u64);
        }
        bar.finish();
        out
    };
    let mut f = std::fs::File::create(&args.out).with_context(|| format!("creating {}", args.out.display()))?;
    for ((id, _), mut p) in items.iter().zip(preds) {
        p["id"] = serde_json::Value::String(id.clone());
        writeln!(f, "{p}")?;
    }
    eprintln!("{} predictions in {:.1} s -> {}", items.len(), started.elapsed().as_secs_f64(), args.out.display());
    Ok(())
}

/// `blogbot-server dev-eval`: a model's real-prose report, stored with the model (see `dev_eval.rs`).
pub fn dev_eval(common: Common, args: crate::config::DevEvalArgs) -> anyhow::Result<()> {
    let gold = crate::dev_eval::read_gold(&args.dev_set.join("dev.jsonl"))?;
    let trainer = cli_trainer(&common, 0.0)?;
    let (id, classifier) = load_model(&trainer, &args.model)?;
    let started = std::time::Instant::now();
    let preds = crate::dev_eval::predict(&classifier, &gold)?;
    let report = crate::dev_eval::score(&gold, &preds);
    let stored = crate::dev_eval::stored(&args.dev_set, &report, started.elapsed().as_secs_f64());
    trainer.db.set_model_metric(&id, "dev_set", &stored)?;
    let out = serde_json::json!({"model_id": id, "dev_set": stored});
    if let Some(path) = &args.out {
        std::fs::write(path, serde_json::to_string_pretty(&out)?).with_context(|| format!("writing {}", path.display()))?;
        let mut lines = String::new();
        for (g, p) in gold.iter().zip(&preds) {
            lines.push_str(&serde_json::json!({"id": g.id, "violation": p.violation, "suspected": p.suspected,
                "score": p.score, "spans": p.spans.iter().map(|s| serde_json::json!({"start": s.start, "end": s.end,
                "type": s.ty, "text": s.text})).collect::<Vec<_>>()}).to_string());
            lines.push('\n');
        }
        let pred_path = path.with_extension("predictions.jsonl");
        std::fs::write(&pred_path, lines).with_context(|| format!("writing {}", pred_path.display()))?;
    }
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}
