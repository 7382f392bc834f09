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
