//! Throughput of the classifier on the real MiniLM: training (windows/s) at batch 16 x 128 and 16 x 256 tokens,
//! and inference (sequences/s) at batch 32 x 128, with a breakdown of a training step.
//!
//! `cargo run --release -p blogbot-classifier --example speed [-- steps]`
//!
//! Reference (2026-11-25, 2-core x86-64-v3 dev VM, CPU, shared with other builds, so +-30%):
//! train 16 x 128: 4.5-4.9 windows/s (forward+loss 1.0 s, backward 2.2 s, optimizer 0.14 s per step);
//! train 16 x 256: 1.5-2.2 windows/s; infer 32 x 128: 15-17 sequences/s. With glibc's default allocator
//! settings (`SPEED_DEFAULT_MALLOC=1`) training is 1.3-1.5x slower (see `src/alloc.rs`).

use blogbot_classifier::batch::{pad_inputs, TrainBatch, TrainExample};
use blogbot_classifier::bert::Dropout;
use blogbot_classifier::loss::{losses, ClassWeights};
use blogbot_classifier::optim::Optim;
use blogbot_classifier::{default_device, PiiModel};
use candle_core::Device;
use std::path::PathBuf;
use std::time::Instant;

fn sync(d: &Device) {
    let _ = d.synchronize();
}

fn main() -> blogbot_classifier::Result<()> {
    // Same allocator settings as `train` uses; `SPEED_DEFAULT_MALLOC=1` measures glibc's defaults instead.
    if std::env::var("SPEED_DEFAULT_MALLOC").is_err() {
        println!("allocator tuned: {}", blogbot_classifier::tune_allocator());
    }
    let steps: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(3);
    let dev = default_device();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../weights/encoder");
    let model = PiiModel::from_pretrained(&dir, 256, 64, 0, &dev)?;
    println!("device: {dev:?}, threads: {}", candle_core::utils::get_num_threads());
    for len in [128usize, 256] {
        let examples: Vec<TrainExample> = (0..16)
            .map(|i| {
                let ids: Vec<u32> = (0..len).map(|k| 1000 + ((i * 131 + k * 17) % 20000) as u32).collect();
                let tags: Vec<u32> = (0..len).map(|k| if k % 10 == 3 { 3 } else { 0 }).collect();
                TrainExample { shapes: vec![1; ids.len()], ids, tags, doc: i % 2 == 0, types: [i % 2 == 0; 11] }
            })
            .collect();
        let refs: Vec<&TrainExample> = examples.iter().collect();
        let batch = TrainBatch::new(&refs, 0, 3.0, &dev)?;
        let dropout = Dropout::new(0.1, 0)?;
        let weights = ClassWeights { doc_pos: 1.0, type_pos: vec![5.0; 11], non_o: 3.0 };
        let mut optim = Optim::new(model.named_vars(), 0.01, 1.0)?;
        let (mut tf, mut tb, mut to) = (0.0, 0.0, 0.0);
        for s in 0..=steps {
            let t0 = Instant::now();
            let out = model.forward(&batch.ids, &batch.shapes, &batch.mask, Some(&dropout))?;
            let l = losses(&out, &batch, &weights)?;
            let _ = l.total.to_scalar::<f32>()?;
            let t1 = Instant::now();
            let mut grads = l.total.backward()?;
            sync(&dev);
            let t2 = Instant::now();
            optim.step(&mut grads, 1e-5, Some(1.0), s)?;
            sync(&dev);
            let t3 = Instant::now();
            if s > 0 {
                // step 0 is warm-up
                tf += (t1 - t0).as_secs_f64();
                tb += (t2 - t1).as_secs_f64();
                to += (t3 - t2).as_secs_f64();
            }
        }
        let per = (tf + tb + to) / steps as f64;
        println!(
            "train 16 x {len}: {:.2} windows/s ({:.2} s/step: forward+loss {:.2}, backward {:.2}, optimizer {:.2})",
            16.0 / per,
            per,
            tf / steps as f64,
            tb / steps as f64,
            to / steps as f64
        );
    }
    let frozen = model.frozen()?;
    let seqs: Vec<Vec<u32>> =
        (0..32).map(|i| (0..128).map(|k| 1000 + ((i * 7 + k * 13) % 20000) as u32).collect()).collect();
    let refs: Vec<&[u32]> = seqs.iter().map(|s| s.as_slice()).collect();
    let (ids, mask) = pad_inputs(&refs, 0, &dev)?;
    let shapes = ids.ones_like()?;
    let _ = frozen.forward(&ids, &shapes, &mask, None)?.doc_logits.to_vec1::<f32>()?;
    let t = Instant::now();
    let reps = steps.max(3);
    for _ in 0..reps {
        let _ = frozen.forward(&ids, &shapes, &mask, None)?.doc_logits.to_vec1::<f32>()?;
    }
    let per = t.elapsed().as_secs_f64() / reps as f64;
    println!("infer 32 x 128: {:.1} sequences/s ({:.3} s/batch)", 32.0 / per, per);
    Ok(())
}
