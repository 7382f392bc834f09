//! Fine-tune on a dataset directory written by the generator (`train.jsonl`, `validation.jsonl`,
//! `test.jsonl`), save the model, and print the evaluation report (model next to the rule baseline), with and
//! without the rule union for structured types. With `--eval-only` the model directory is loaded, not trained.
//!
//! `cargo run --release -p blogbot-classifier --example train_eval -- <dataset dir> <model out dir> [train config JSON]`

use blogbot_classifier::eval::evaluate;
use blogbot_classifier::{default_device, train, Classifier, TrainConfig, TrainInput};
use blogbot_common::Record;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

fn read_jsonl(path: &Path) -> Vec<Record> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines().filter(|l| !l.trim().is_empty()).map(|l| serde_json::from_str(l).expect("record")).collect()
}

fn main() -> blogbot_classifier::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let data = PathBuf::from(args.get(1).expect("dataset dir"));
    let out = PathBuf::from(args.get(2).expect("model output dir"));
    let eval_only = args.get(3).is_some_and(|a| a == "--eval-only");
    let cfg: TrainConfig =
        args.get(3).filter(|_| !eval_only).map(|j| serde_json::from_str(j).expect("config JSON")).unwrap_or_default();
    let (tr, va, te) = (
        read_jsonl(&data.join("train.jsonl")),
        read_jsonl(&data.join("validation.jsonl")),
        read_jsonl(&data.join("test.jsonl")),
    );
    eprintln!("train {} / validation {} / test {} records; config {cfg:?}", tr.len(), va.len(), te.len());
    let history = if eval_only { Vec::new() } else { train_and_save(&tr, &va, &cfg, &out)? };
    let classifier = Classifier::load(&out, &default_device())?;
    let t = Instant::now();
    let plain = evaluate(&classifier, &va, &te)?;
    let eval_secs = t.elapsed().as_secs_f32();
    let union = evaluate(&classifier.with_rules_union(true), &va, &te)?;
    println!("{}", serde_json::json!({ "history": history, "eval_seconds": eval_secs, "plain": plain, "rules_union": union }));
    Ok(())
}

fn train_and_save(
    tr: &[Record],
    va: &[Record],
    cfg: &TrainConfig,
    out: &Path,
) -> blogbot_classifier::Result<Vec<blogbot_classifier::train::EpochSummary>> {
    let encoder = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../weights/encoder");
    let checkpoints = out.join("checkpoints");
    let input = TrainInput { encoder_dir: &encoder, train: tr, val: va, checkpoint_dir: Some(&checkpoints), device: default_device() };
    let started = Instant::now();
    let outcome = train(&input, cfg, &AtomicBool::new(false), |p| {
        if p.val_metrics.is_some() || p.step % 10 == 0 {
            eprintln!(
                "epoch {} step {}/{} loss {:.4} lr {:.2e} {:.2} windows/s{}",
                p.epoch,
                p.step,
                p.total_steps,
                p.loss,
                p.lr,
                p.examples_per_sec,
                p.val_metrics.as_ref().map(|m| format!(" val F1 {:.3}", m.binary.f1)).unwrap_or_default()
            );
        }
    })?;
    eprintln!("trained in {:.0}s, best epoch {:?}", started.elapsed().as_secs_f32(), outcome.best_epoch);
    outcome.classifier.save(out)?;
    Ok(outcome.history)
}
