//! The patched mistral.rs (patches/README.md) multiplies several rows by Q8_0 weights with its own blocked CPU
//! kernel. It must give candle's results: the same Q8_0 arithmetic, only in another order.

use candle_core::quantized::{GgmlDType, QMatMul, QTensor};
use candle_core::{Device, Module, Tensor};
use mistralrs_quant::{blocked_q8_0, GgufMatMul, QuantMethod, QuantMethodConfig};
use std::sync::Arc;

fn max_abs(t: &Tensor) -> f32 {
    t.abs().unwrap().flatten_all().unwrap().max(0).unwrap().to_scalar::<f32>().unwrap()
}

fn weights(n: usize, k: usize) -> Arc<QTensor> {
    let w = Tensor::randn(0f32, 0.05, (n, k), &Device::Cpu).unwrap();
    Arc::new(QTensor::quantize(&w, GgmlDType::Q8_0).unwrap())
}

#[test]
fn blocked_q8_0_product_matches_candle() {
    // Shapes of SmolLM2's projections, panel and tile remainders (n = 50, 97; m = 5, 7), one decode row.
    for &(m, k, n) in &[(1, 576, 1536), (3, 576, 97), (4, 576, 576), (5, 64, 50), (7, 576, 1536), (145, 1536, 576)] {
        let q = weights(n, k);
        let x = Tensor::randn(0f32, 1.0, (1, m, k), &Device::Cpu).unwrap();
        let reference = QMatMul::from_arc(q.clone()).unwrap().forward(&x).unwrap();
        let blocked = blocked_q8_0::forward(&q, &x).unwrap();
        let expect_blocked = blocked_q8_0::supported() && m >= blocked_q8_0::MIN_ROWS;
        assert_eq!(blocked.is_some(), expect_blocked, "m={m} k={k} n={n}: wrong path");
        if let Some(out) = blocked {
            assert_eq!(out.dims(), reference.dims());
            let err = max_abs(&(out - &reference).unwrap());
            assert!(err <= 1e-5 * max_abs(&reference), "m={m} k={k} n={n}: max error {err}");
        }

        // Through the layer mistral.rs builds for each GGUF weight, with a bias.
        let b = Tensor::randn(0f32, 1.0, n, &Device::Cpu).unwrap();
        let layer = GgufMatMul::new(QuantMethodConfig::Gguf { q_weight: q, b: Some(b.clone()) }).unwrap();
        let out = layer.forward(&x).unwrap();
        let err = max_abs(&(out - reference.broadcast_add(&b).unwrap()).unwrap());
        assert!(err <= 1e-5 * max_abs(&reference), "m={m} k={k} n={n}: layer max error {err}");
    }
}

#[test]
fn blocked_q8_0_product_leaves_other_inputs_to_candle() {
    let q = weights(64, 96);
    // k = 96 is three blocks: fine. f16 input, and other weight types, stay on candle's path.
    let x = Tensor::randn(0f32, 1.0, (8, 96), &Device::Cpu).unwrap();
    assert_eq!(blocked_q8_0::forward(&q, &x).unwrap().is_some(), blocked_q8_0::supported());
    let half = x.to_dtype(candle_core::DType::F16).unwrap();
    assert!(blocked_q8_0::forward(&q, &half).unwrap().is_none());
    let w = Tensor::randn(0f32, 0.05, (64, 256), &Device::Cpu).unwrap();
    let q4 = QTensor::quantize(&w, GgmlDType::Q4K).unwrap();
    let x = Tensor::randn(0f32, 1.0, (8, 256), &Device::Cpu).unwrap();
    assert!(blocked_q8_0::forward(&q4, &x).unwrap().is_none());
}
