//! The encoder must be trainable end to end: candle-nn's fused layer norm and softmax have no backward pass,
//! and a model built on them trains only its top. These tests load the real MiniLM weights.

use blogbot_classifier::batch::TrainBatch;
use blogbot_classifier::bert::{load_pretrained, BertConfig, BertEncoder};
use blogbot_classifier::loss::{losses, ClassWeights};
use blogbot_classifier::optim::Optim;
use blogbot_classifier::train::build_examples;
use blogbot_classifier::{Error, PiiModel, PiiTokenizer};
mod fixtures;

use blogbot_common::{PiiType, Record};
use candle_core::{DType, Device, Tensor, D};
use candle_nn::{VarBuilder, VarMap};
use std::path::PathBuf;

fn encoder_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../weights/encoder")
}

fn record(text: &str, pii: &[(&str, PiiType)]) -> Record {
    fixtures::record(text, text, pii)
}

fn max_abs_diff(a: &Tensor, b: &Tensor) -> f32 {
    (a - b).unwrap().abs().unwrap().flatten_all().unwrap().max(0).unwrap().to_scalar::<f32>().unwrap()
}

#[test]
fn one_step_changes_every_trainable_tensor() {
    let dev = Device::Cpu;
    let dir = encoder_dir();
    let model = PiiModel::from_pretrained(&dir, 32, 8, 0, &dev).unwrap();
    let tok = PiiTokenizer::from_file(&dir.join("tokenizer.json")).unwrap();
    let records = vec![
        record(
            "Mail Anna Keller at anna.keller@example.org today.",
            &[("Anna Keller", PiiType::Person), ("anna.keller@example.org", PiiType::Email)],
        ),
        record("The bread needs two more hours to rise.", &[]),
        record("Call me on +44 20 7946 0958 after lunch.", &[("+44 20 7946 0958", PiiType::Phone)]),
    ];
    let examples = build_examples(&tok, &records, 32, 8).unwrap();
    let refs: Vec<_> = examples.iter().collect();
    let batch = TrainBatch::new(&refs, tok.pad_id(), 3.0, &dev).unwrap();

    let named = model.named_vars();
    // 5 embedding tensors, 16 per layer, 6 head tensors and the word-shape table.
    assert_eq!(named.len(), 5 + 16 * 6 + 7, "{:?}", named.iter().map(|(n, _)| n).collect::<Vec<_>>());
    let before: Vec<Tensor> = named.iter().map(|(_, v)| v.as_tensor().copy().unwrap()).collect();

    let out = model.forward(&batch.ids, &batch.shapes, &batch.mask, None).unwrap();
    let weights = ClassWeights { doc_pos: 2.0, type_pos: vec![3.0; 11], non_o: 3.0 };
    let loss = losses(&out, &batch, &weights).unwrap().total;
    let mut grads = loss.backward().unwrap();
    let norm = |v: &candle_core::Var| {
        grads.get(v).map(|g| g.sqr().unwrap().sum_all().unwrap().to_scalar::<f32>().unwrap().sqrt())
    };
    // The attention key bias adds `q_i . b_k` to every score of row i, a constant that softmax cancels, so its
    // gradient is analytically zero: it must be reached by the graph (the fused softmax would cut it off) but
    // only round-off moves it. Every other tensor needs a real gradient.
    let key_bias = |n: &str| n.ends_with("attention.self.key.bias");
    let missing: Vec<&str> = named.iter().filter(|(_, v)| norm(v).is_none()).map(|(n, _)| n.as_str()).collect();
    assert!(missing.is_empty(), "the graph does not reach: {missing:?}");
    let zero: Vec<&str> =
        named.iter().filter(|(n, v)| !key_bias(n) && norm(v).unwrap() < 1e-6).map(|(n, _)| n.as_str()).collect();
    assert!(zero.is_empty(), "no gradient reaches: {zero:?}");
    for (n, v) in named.iter().filter(|(n, _)| key_bias(n)) {
        let weight = named.iter().find(|(m, _)| *m == n.replace(".bias", ".weight")).unwrap();
        assert!(norm(v).unwrap() < 1e-4 * norm(&weight.1).unwrap(), "{n} should have a ~zero gradient");
    }

    // No weight decay, so a tensor can only change through its gradient.
    let mut opt = Optim::new(named.clone(), 0.0, 1.0).unwrap();
    opt.step(&mut grads, 1e-3, Some(1.0), 0).unwrap();
    let unchanged: Vec<&str> = named
        .iter()
        .zip(&before)
        .filter(|((n, v), b)| !key_bias(n) && max_abs_diff(v.as_tensor(), b) == 0.0)
        .map(|((n, _), _)| n.as_str())
        .collect();
    assert!(unchanged.is_empty(), "one optimizer step left these tensors unchanged: {unchanged:?}");
    assert!(named.iter().any(|(n, _)| n == "head.shape.weight"), "the word-shape table is trainable");
    for layer in 0..6 {
        for part in ["query", "key", "value"] {
            assert!(named
                .iter()
                .any(|(n, _)| n == &format!("bert.encoder.layer.{layer}.attention.self.{part}.weight")));
        }
    }
}

/// Mean-pooled MiniLM embeddings: a paraphrase is closer than an unrelated sentence. Fails if weights were
/// loaded into the wrong tensors, transposed, or the attention mask were ignored.
#[test]
fn pretrained_encoder_embeds_sentences_sensibly() {
    let dev = Device::Cpu;
    let dir = encoder_dir();
    let cfg = BertConfig::from_file(&dir.join("config.json")).unwrap();
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &dev);
    let enc = BertEncoder::new(&cfg, vb.pp("bert")).unwrap();
    let n = load_pretrained(&varmap, "bert.", &dir.join("model.safetensors")).unwrap();
    assert_eq!(n, 5 + 16 * 6);
    let tok = PiiTokenizer::from_file(&dir.join("tokenizer.json")).unwrap();
    let texts = ["A man is playing a guitar.", "Someone plays the guitar.", "The stock market fell sharply today."];
    let seqs: Vec<Vec<u32>> = texts
        .iter()
        .map(|t| {
            let e = tok.encode(t).unwrap();
            tok.window_input(&e, &(0..e.len()))
        })
        .collect();
    let refs: Vec<&[u32]> = seqs.iter().map(|s| s.as_slice()).collect();
    let (ids, mask) = blogbot_classifier::batch::pad_inputs(&refs, tok.pad_id(), &dev).unwrap();
    let h = enc.forward(&ids, &mask, None).unwrap();
    let m = mask.unsqueeze(2).unwrap();
    let pooled = h.broadcast_mul(&m).unwrap().sum(1).unwrap().broadcast_div(&m.sum(1).unwrap()).unwrap();
    let norm = pooled.sqr().unwrap().sum_keepdim(D::Minus1).unwrap().sqrt().unwrap();
    let unit = pooled.broadcast_div(&norm).unwrap();
    let sim: Vec<Vec<f32>> = unit.matmul(&unit.t().unwrap()).unwrap().to_vec2().unwrap();
    assert!(sim[0][1] > 0.6, "paraphrase similarity {}", sim[0][1]);
    assert!(sim[0][1] > sim[0][2] + 0.3, "paraphrase {} vs unrelated {}", sim[0][1], sim[0][2]);

    // Padding must not change a sequence's hidden states: run the shortest text alone and compare.
    let alone = {
        let (i, m) = blogbot_classifier::batch::pad_inputs(&refs[1..2], tok.pad_id(), &dev).unwrap();
        enc.forward(&i, &m, None).unwrap()
    };
    let len = seqs[1].len();
    let batched = h.narrow(0, 1, 1).unwrap().narrow(1, 0, len).unwrap();
    assert!(max_abs_diff(&alone, &batched) < 1e-4);
}

/// A checkpoint with `bert.`-prefixed names and extra (head, pooler) tensors loads; one missing a tensor fails.
#[test]
fn loads_prefixed_checkpoints_and_rejects_incomplete_ones() {
    let dev = Device::Cpu;
    let src = encoder_dir();
    let tmp = std::env::temp_dir().join(format!("blogbot-cls-prefix-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let model = PiiModel::from_pretrained(&src, 32, 8, 1, &dev).unwrap();
    let saved = tmp.join("saved");
    model.save(&saved).unwrap(); // names: bert.embeddings..., head.doc.weight, ...
    let enc_dir = tmp.join("prefixed-encoder");
    std::fs::create_dir_all(&enc_dir).unwrap();
    std::fs::copy(src.join("config.json"), enc_dir.join("config.json")).unwrap();
    std::fs::rename(saved.join("model.safetensors"), enc_dir.join("model.safetensors")).unwrap();
    let again = PiiModel::from_pretrained(&enc_dir, 32, 8, 2, &dev).unwrap();
    let a = model.named_tensors();
    let b = again.named_tensors();
    for (name, t) in &a {
        if name.starts_with("bert.") {
            assert_eq!(max_abs_diff(t, &b[name]), 0.0, "{name}");
        }
    }

    let partial_dir = tmp.join("partial");
    std::fs::create_dir_all(&partial_dir).unwrap();
    std::fs::copy(src.join("config.json"), partial_dir.join("config.json")).unwrap();
    let some: std::collections::HashMap<String, Tensor> =
        a.iter().filter(|(n, _)| n.contains("embeddings")).map(|(n, t)| (n.clone(), t.clone())).collect();
    candle_core::safetensors::save(&some, partial_dir.join("model.safetensors")).unwrap();
    match PiiModel::from_pretrained(&partial_dir, 32, 8, 0, &dev) {
        Err(Error::MissingTensor { name, .. }) => assert!(name.starts_with("encoder.layer.")),
        Err(e) => panic!("wrong error {e}"),
        Ok(_) => panic!("an incomplete checkpoint must not load"),
    }
    std::fs::remove_dir_all(&tmp).unwrap();
}
