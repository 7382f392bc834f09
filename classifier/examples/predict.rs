//! Prints gold and predicted spans side by side for the first records of a JSONL file.
//!
//! `cargo run --release -p blogbot-classifier --example predict -- <model dir> <records.jsonl> [n]`

use blogbot_classifier::{default_device, Classifier};
use blogbot_common::Record;

fn main() -> blogbot_classifier::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let classifier = Classifier::load(args[1].as_ref(), &default_device())?;
    let n: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(5);
    let text = std::fs::read_to_string(&args[2]).expect("records file");
    let records: Vec<Record> = text.lines().take(n).map(|l| serde_json::from_str(l).expect("record")).collect();
    let texts: Vec<&str> = records.iter().map(|r| r.text.as_str()).collect();
    let scored = classifier.score(&texts)?;
    for (r, s) in records.iter().zip(&scored) {
        println!("== {} label {} score {:.3}", r.id, r.label, s.score);
        let mut ts: Vec<(usize, f32)> = s.type_scores.iter().copied().enumerate().collect();
        ts.sort_by(|a, b| b.1.total_cmp(&a.1));
        println!("   type scores: {:?}", &ts[..3]);
        for g in &r.spans {
            println!("   gold {:>14} {:>5}..{:<5} {:?}", g.ty.as_str(), g.start, g.end, g.value);
        }
        for p in &s.spans {
            println!("   pred {:>14} {:>5}..{:<5} {:?} {:.2}", p.ty.as_str(), p.start, p.end, p.text, p.score);
        }
    }
    Ok(())
}
