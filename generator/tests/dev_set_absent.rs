//! The development set (`../shared/dev-set/`, real blog prose) is for measuring only: none of its text may reach
//! training data. This checks that no sentence of it (30 characters or more) appears in the embedded corpus, in
//! the carrier frames and templates, or in a dataset built from the embedded corpus.

use blogbot_generator::corpus::load_posts;
use blogbot_generator::dataset::{build, BuildSpec};
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Sentences of at least 30 characters, whitespace normalised.
fn sentences(text: &str) -> Vec<String> {
    text.split(['.', '!', '?', '\n'])
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|s| s.chars().count() >= 30)
        .collect()
}

fn normalised(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[tokio::test]
async fn no_dev_set_sentence_is_in_the_corpus_or_in_a_built_dataset() {
    let dev_dir = repo().join("../shared/dev-set");
    assert!(
        dev_dir.join("dev.jsonl").is_file(),
        "the development set is expected beside the repository at {} (CI copies shared/ there)",
        dev_dir.display()
    );
    let mut dev: HashSet<String> = HashSet::new();
    for file in ["dev.jsonl", "sources.jsonl"] {
        let text = std::fs::read_to_string(dev_dir.join(file)).unwrap();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            dev.extend(sentences(v["text"].as_str().unwrap()));
        }
    }
    assert!(dev.len() > 500, "{} dev-set sentences", dev.len());

    let posts = load_posts(&repo().join("data/sample-posts")).unwrap();
    let mut spec = BuildSpec::new(1500, 5);
    spec.exclude = Vec::new();
    let ds = build(None, &posts, &spec, &AtomicBool::new(false), |_, _| {}).await.unwrap();
    let mut haystack: Vec<String> = posts.iter().map(|p| normalised(&p.text)).collect();
    haystack.extend(ds.all().map(|r| normalised(&r.text)));
    let leaked: Vec<&String> = dev.iter().filter(|s| haystack.iter().any(|h| h.contains(s.as_str()))).collect();
    assert!(leaked.is_empty(), "dev-set sentences found in training data: {leaked:?}");
    assert!(ds.report.by_method.get("carrier").copied().unwrap_or(0) > 500, "{:?}", ds.report.by_method);
}
