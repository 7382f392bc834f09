//! CLI commands: the same code paths as the API, with progress bars.

use crate::config::{Common, GenerateArgs};
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
