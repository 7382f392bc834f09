//! The candle side of `scripts/bench.sh` (its PyTorch twin is `bench/torch_classifier.py`): classifier
//! inference in posts/s on real blog posts, and training in examples/s, on the real MiniLM. One JSON line.
//!
//! `cargo run --release -p blogbot-classifier --example bench -- [--posts DIR] [--limit N] [--max-len 128]
//! [--stride 32] [--runs 3] [--train-steps 3]`
//!
//! - Inference: the posts (sorted by file name, raw text; with `--limit N`, N of them spread evenly over that
//!   order, file `i * total / N` for i in 0..N) go through [`Classifier::score`] in calls of 1, 8 and
//!   32 posts: tokenize, cut into `max_len` windows overlapping by `stride` (the bootstrap model's 128 / 32 by
//!   default), sort the windows by length, run them 32 at a time padded per batch, merge per post. The heads
//!   are freshly initialised (speed does not depend on their values). Figure: median over `runs` passes.
//! - Training: 16 full-length windows cut from the posts (batch 16 x `max_len`), dropout on, the three losses,
//!   backward, one AdamW step with gradient clipping, as `train` does. Figure: 16 / median step time, after
//!   one warm-up step.
//!
//! Threads: candle's CPU kernels follow `RAYON_NUM_THREADS` (the suite sets it).

use blogbot_classifier::batch::{TrainBatch, TrainExample};
use blogbot_classifier::bert::Dropout;
use blogbot_classifier::loss::{losses, ClassWeights};
use blogbot_classifier::optim::Optim;
use blogbot_classifier::tokenize::windows;
use blogbot_classifier::{default_device, Classifier, PiiModel, PiiTokenizer, Result};
use blogbot_common::PiiType;
use std::path::PathBuf;
use std::time::Instant;

/// Command-line options (`--name value` pairs).
struct Args {
    posts: PathBuf,
    /// Use this many posts (0 = all).
    limit: usize,
    max_len: usize,
    stride: usize,
    runs: usize,
    train_steps: usize,
    /// Inference with int8 dense layers (`--int8 1`).
    int8: bool,
}

impl Args {
    fn parse() -> Self {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        let posts = root.join("data/sample-posts");
        let mut a = Args { posts, limit: 0, max_len: 128, stride: 32, runs: 3, train_steps: 3, int8: false };
        let argv: Vec<String> = std::env::args().skip(1).collect();
        for pair in argv.chunks(2) {
            let value = pair.get(1).map(String::as_str).unwrap_or_default();
            let num = || value.parse::<usize>().unwrap_or_else(|_| panic!("{}: not a number: {value}", pair[0]));
            match pair[0].as_str() {
                "--posts" => a.posts = PathBuf::from(value),
                "--limit" => a.limit = num(),
                "--max-len" => a.max_len = num(),
                "--stride" => a.stride = num(),
                "--runs" => a.runs = num().max(1),
                "--train-steps" => a.train_steps = num().max(1),
                "--int8" => a.int8 = num() != 0,
                other => panic!("unknown option {other}"),
            }
        }
        a
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() -> Result<()> {
    blogbot_classifier::tune_allocator(); // as `train` does
    let args = Args::parse();
    let dev = default_device();
    let encoder = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../weights/encoder");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&args.posts)
        .map_err(|e| blogbot_classifier::Error::io(&args.posts, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "md" || x == "txt"))
        .collect();
    files.sort();
    if args.limit > 0 && args.limit < files.len() {
        files = (0..args.limit).map(|i| files[i * files.len() / args.limit].clone()).collect();
    }
    let read = |p: &PathBuf| std::fs::read_to_string(p).map_err(|e| blogbot_classifier::Error::io(p, e));
    let posts: Vec<String> = files.iter().map(read).collect::<Result<_>>()?;
    let texts: Vec<&str> = posts.iter().map(String::as_str).collect();

    let model = PiiModel::from_pretrained(&encoder, args.max_len, args.stride, 0, &dev)?;
    let tokenizer = PiiTokenizer::from_file(&encoder.join("tokenizer.json"))?;

    // Training first, on the trainable model: 16 full windows from the posts, in file order.
    let mut examples = Vec::new();
    let mut n_windows = 0;
    let mut n_tokens = 0;
    for text in &texts {
        let enc = tokenizer.encode(text)?;
        n_tokens += enc.len();
        for w in windows(enc.len(), args.max_len, args.stride)? {
            n_windows += 1;
            if examples.len() < 16 && w.len() == args.max_len - 2 {
                let ids = tokenizer.window_input(&enc, &w);
                let shapes = tokenizer.window_shapes(&enc, &w);
                let doc = examples.len() % 2 == 0;
                examples.push(TrainExample { tags: vec![0; ids.len()], ids, shapes, doc, types: [doc; PiiType::ALL.len()] });
            }
        }
    }
    let refs: Vec<&TrainExample> = examples.iter().collect();
    let batch = TrainBatch::new(&refs, tokenizer.pad_id(), 3.0, &dev)?;
    let dropout = Dropout::new(0.1, 0)?;
    let weights = ClassWeights { doc_pos: 1.0, type_pos: vec![5.0; PiiType::ALL.len()], non_o: 3.0 };
    let mut optim = Optim::new(model.named_vars(), 0.01, 1.0)?;
    let mut step_secs = Vec::new();
    for step in 0..=args.train_steps {
        let t = Instant::now();
        let out = model.forward(&batch.ids, &batch.shapes, &batch.mask, Some(&dropout))?;
        let mut grads = losses(&out, &batch, &weights)?.total.backward()?;
        optim.step(&mut grads, 1e-5, Some(1.0), step)?;
        let _ = dev.synchronize();
        if step > 0 {
            step_secs.push(t.elapsed().as_secs_f64());
        }
    }
    let train_examples_per_sec = examples.len() as f64 / median(step_secs);

    // Inference through the serving path, on a frozen view (no autograd bookkeeping).
    let mut frozen = model.frozen()?;
    let int8_layers = if args.int8 { frozen.quantize_int8()? } else { 0 };
    let classifier = Classifier::new(frozen, tokenizer);
    classifier.score(&texts[..8.min(texts.len())])?; // warm-up
    let mut infer = serde_json::Map::new();
    for batch_posts in [1usize, 8, 32] {
        let rates = (0..args.runs)
            .map(|_| {
                let t = Instant::now();
                for call in texts.chunks(batch_posts) {
                    classifier.score(call)?;
                }
                Ok(texts.len() as f64 / t.elapsed().as_secs_f64())
            })
            .collect::<Result<Vec<f64>>>()?;
        infer.insert(batch_posts.to_string(), median(rates).into());
    }
    println!(
        "{}",
        serde_json::json!({
            "engine": "candle", "device": format!("{dev:?}"), "threads": candle_core::utils::get_num_threads(), "int8_layers": int8_layers,
            "posts": texts.len(), "windows": n_windows, "tokens": n_tokens,
            "max_len": args.max_len, "stride": args.stride, "runs": args.runs,
            "infer_posts_per_sec": infer,
            "train_batch": [examples.len(), args.max_len], "train_steps": args.train_steps,
            "train_examples_per_sec": train_examples_per_sec,
        })
    );
    Ok(())
}
