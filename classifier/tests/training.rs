//! Short fine-tuning runs on the real MiniLM with a synthetic data set built here: PII inserted by code into
//! hand-written sentences, and PII-free sentences.

use blogbot_classifier::checkpoint::{self, BEST_DIR};
use blogbot_classifier::{train, Classifier, Error, TrainConfig, TrainInput, TrainProgress};
mod fixtures;

use blogbot_common::{PiiType, Record};
use fixtures::record;
use candle_core::Device;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

fn encoder_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../weights/encoder")
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("blogbot-cls-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

const NAMES: [&str; 8] = [
    "Anna Keller",
    "Marco Rossi",
    "Priya Patel",
    "John Smith",
    "Lena Novak",
    "Tom Becker",
    "Sofia García",
    "Yuki Tanaka",
];
const PHONES: [&str; 6] =
    ["+44 20 7946 0958", "(555) 123-4567", "+49 30 901820", "06 12 34 56 78", "+1 415 555 0132", "020 7946 0321"];
const NEGATIVE: [&str; 24] = [
    "The bread needs two more hours to rise before it goes into the oven.",
    "We walked along the river until the sun went down behind the hills.",
    "Our train was late, so we had coffee on the platform and watched the rain.",
    "Add the lentils, stir well and let the soup simmer for twenty minutes.",
    "The campsite was full, but the owner let us pitch the tent near the barn.",
    "Lisbon trams are slow, noisy and absolutely worth it.",
    "I finally fixed the bike chain after three failed attempts.",
    "The museum closes early on Mondays, so plan the visit for the morning.",
    "A pinch of salt makes the caramel taste much richer.",
    "Rain kept us inside, so we played cards until midnight.",
    "The hike to the lake takes about four hours with breaks.",
    "Sourdough starters need feeding every day at room temperature.",
    "The ferry crossing was calm and the dolphins followed us for a while.",
    "Roasted peppers keep for a week in the fridge under olive oil.",
    "We missed the last bus and walked back through the quiet village.",
    "The market sells the best peaches I have ever eaten.",
    "Pack a warm jacket, the nights in the mountains are cold.",
    "The recipe doubles easily if you have a larger pan.",
    "Our guesthouse had a tiny garden full of lemon trees.",
    "The night train was cheaper than a hotel and surprisingly comfortable.",
    "Let the dough rest in a cool place overnight for a better crumb.",
    "The old bridge was closed, so we took the long way around.",
    "Fresh basil goes in at the very end, never earlier.",
    "Thunder rolled over the valley all night long.",
];

fn email(name: &str) -> String {
    let ascii: String = name.to_lowercase().replace('í', "i").replace(' ', ".");
    format!("{ascii}@example.org")
}

/// `n_pos` positives and `n_neg` negatives, starting at `offset` in the value lists (so validation differs).
fn dataset(n_pos: usize, n_neg: usize, offset: usize) -> Vec<Record> {
    let mut out = Vec::new();
    for i in 0..n_pos {
        let k = i + offset;
        let name = NAMES[k % NAMES.len()];
        let phone = PHONES[k % PHONES.len()];
        let mail = email(name);
        let r = match k % 4 {
            0 => record(
                format!("p{k}"),
                format!("You can reach {name} at {mail} about the recipe."),
                &[(name, PiiType::Person), (&mail, PiiType::Email)],
            ),
            1 => record(
                format!("p{k}"),
                format!("Call me on {phone} if the train is late again."),
                &[(phone, PiiType::Phone)],
            ),
            2 => record(
                format!("p{k}"),
                format!("{name} sent the photos of the lake from {mail} yesterday."),
                &[(name, PiiType::Person), (&mail, PiiType::Email)],
            ),
            _ => record(
                format!("p{k}"),
                format!("My number is {phone}, text me and ask for {name}."),
                &[(phone, PiiType::Phone), (name, PiiType::Person)],
            ),
        };
        out.push(r);
    }
    for i in 0..n_neg {
        let k = (i + offset) % NEGATIVE.len();
        out.push(record(format!("n{k}"), NEGATIVE[k].to_string(), &[]));
    }
    out
}

fn config() -> TrainConfig {
    TrainConfig {
        epochs: 3,
        lr: 1e-4,
        batch_size: 8,
        max_len: 64,
        stride: 16,
        seed: 0,
        max_steps: Some(12),
        patience: 5,
        ..TrainConfig::default()
    }
}

#[test]
fn short_training_run_lowers_the_loss_and_round_trips_through_disk() {
    let train_set = dataset(24, 24, 0);
    let val_set = dataset(4, 4, 5);
    let input = TrainInput {
        encoder_dir: &encoder_dir(),
        train: &train_set,
        val: &val_set,
        checkpoint_dir: None,
        device: Device::Cpu,
    };
    let mut steps: Vec<TrainProgress> = Vec::new();
    let mut evals: Vec<TrainProgress> = Vec::new();
    let start = std::time::Instant::now();
    let outcome = train(&input, &config(), &AtomicBool::new(false), |p| {
        if p.val_metrics.is_some() {
            evals.push(p)
        } else {
            steps.push(p)
        }
    })
    .unwrap();
    let secs = start.elapsed().as_secs_f32();
    let losses: Vec<f32> = steps.iter().map(|p| p.loss).collect();
    eprintln!("losses {losses:?} in {secs:.1}s; history {:?}", outcome.history);
    assert_eq!(outcome.steps, 12);
    assert_eq!(losses.len(), 12);
    assert!(steps.iter().all(|p| p.total_steps == 12));
    assert_eq!(steps.last().unwrap().epoch, 2);
    assert_eq!(evals.len(), 2, "one validation report per epoch");
    let first = losses[..3].iter().sum::<f32>() / 3.0;
    let last = losses[9..].iter().sum::<f32>() / 3.0;
    assert!(last < 0.7 * first, "loss did not decrease enough: first {first}, last {last}");
    assert!(outcome.val_metrics.is_some() && outcome.best_epoch.is_some());

    // Save, reload for inference, and get the same scores.
    let dir = tmp("roundtrip");
    outcome.classifier.save(&dir).unwrap();
    let loaded = Classifier::load(&dir, &Device::Cpu).unwrap();
    assert_eq!(loaded.threshold(), outcome.classifier.threshold());
    let texts = ["Écris à léa.martin@example.org 🙂 demain.", NEGATIVE[3], "Call me on +44 20 7946 0958 please."];
    let a = outcome.classifier.score(&texts).unwrap();
    let b = loaded.score(&texts).unwrap();
    for (x, y) in a.iter().zip(&b) {
        assert!((x.score - y.score).abs() < 1e-5);
        assert_eq!(x.spans, y.spans);
    }
    for (t, s) in texts.iter().zip(&b) {
        for span in &s.spans {
            assert_eq!(blogbot_common::text::slice_chars(t, span.start, span.end), Some(span.text.as_str()));
        }
    }
    eprintln!("scores after 12 steps: {:?}", b.iter().map(|s| (s.score, &s.spans)).collect::<Vec<_>>());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn cancelled_run_resumes_from_its_last_epoch_checkpoint() {
    let train_set = dataset(12, 12, 1);
    let val_set = dataset(2, 2, 7);
    let dir = tmp("resume");
    let cfg = TrainConfig { max_steps: Some(6), batch_size: 8, max_len: 48, ..config() }; // 3 steps per epoch
    let input = TrainInput {
        encoder_dir: &encoder_dir(),
        train: &train_set,
        val: &val_set,
        checkpoint_dir: Some(&dir),
        device: Device::Cpu,
    };
    let cancel = AtomicBool::new(false);
    let mut seen = Vec::new();
    let err = train(&input, &cfg, &cancel, |p| {
        if p.val_metrics.is_none() {
            seen.push(p.step);
            if p.step == 4 {
                cancel.store(true, Ordering::Relaxed);
            }
        }
    });
    assert!(matches!(err, Err(Error::Cancelled)), "expected cancellation");
    assert_eq!(seen, vec![1, 2, 3, 4]);
    let (path, state) = checkpoint::latest(&dir).unwrap().expect("epoch 1 checkpoint");
    assert!(path.ends_with("epoch-1"));
    assert_eq!((state.epoch, state.global_step, state.finished), (1, 3, false));
    assert!(dir.join(BEST_DIR).join("model.safetensors").is_file());

    // Resume: continues at step 4 of epoch 2 and finishes at max_steps.
    cancel.store(false, Ordering::Relaxed);
    let mut resumed = Vec::new();
    let out = train(&input, &cfg, &cancel, |p| {
        if p.val_metrics.is_none() {
            resumed.push((p.epoch, p.step));
        }
    })
    .unwrap();
    assert!(out.resumed_from.is_some());
    assert_eq!(resumed, vec![(2, 4), (2, 5), (2, 6)]);
    assert_eq!(out.steps, 6);
    assert_eq!(out.history.len(), 2);
    let (path, state) = checkpoint::latest(&dir).unwrap().unwrap();
    assert!(path.ends_with("epoch-2") && state.finished);
    assert!(!dir.join("epoch-1").exists(), "older epoch checkpoints are pruned");

    // A finished run resumes to its result without training; other hyper-parameters are refused.
    let again = train(&input, &cfg, &cancel, |_| panic!("no steps expected")).unwrap();
    assert_eq!(again.steps, 6);
    let other = TrainConfig { lr: 3e-5, ..cfg.clone() };
    assert!(matches!(train(&input, &other, &cancel, |_| {}), Err(Error::Config(_))));
    std::fs::remove_dir_all(&dir).unwrap();
}
