//! The patched mistral.rs (patches/README.md) multiplies f32 inputs by Q8_0 weights with its own CPU kernel, on a
//! packed copy of the weights. It must give candle's results: the same Q8_0 arithmetic, only the f32 additions in
//! another order.

use candle_core::quantized::{GgmlDType, QMatMul, QTensor};
use candle_core::{DType, Device, Module, Tensor};
use mistralrs_quant::{packed_q8_0, GgufMatMul, QuantMethod, QuantMethodConfig};
use std::sync::Arc;

fn max_abs(t: &Tensor) -> f32 {
    t.abs().unwrap().flatten_all().unwrap().max(0).unwrap().to_scalar::<f32>().unwrap()
}

fn weights(n: usize, k: usize) -> Arc<QTensor> {
    let w = Tensor::randn(0f32, 0.05, (n, k), &Device::Cpu).unwrap();
    Arc::new(QTensor::quantize(&w, GgmlDType::Q8_0).unwrap())
}

#[test]
fn packed_q8_0_product_matches_candle() {
    // SmolLM2's projections for a prefill (145 rows) and a decode step (1 row), the LM head's width, tile
    // remainders (m = 2, 3, 5, 7) and a last group of weight rows that is not full (n = 50, 97, 193).
    let shapes = [
        (1, 576, 1536),
        (1, 576, 49152),
        (2, 64, 193),
        (3, 576, 97),
        (4, 576, 576),
        (5, 64, 50),
        (7, 576, 1536),
        (145, 1536, 576),
    ];
    for (m, k, n) in shapes {
        let q = weights(n, k);
        let x = Tensor::randn(0f32, 1.0, (1, m, k), &Device::Cpu).unwrap();
        let reference = QMatMul::from_arc(q.clone()).unwrap().forward(&x).unwrap();
        let packing = packed_q8_0::Packing::default();
        let packed = packed_q8_0::forward(&packing, &q, &x).unwrap();
        assert_eq!(packed.is_some(), packed_q8_0::supported(), "m={m} k={k} n={n}: wrong path");
        if let Some(out) = packed {
            assert_eq!(out.dims(), reference.dims());
            let err = max_abs(&(out - &reference).unwrap());
            assert!(err <= 1e-5 * max_abs(&reference), "m={m} k={k} n={n}: max error {err}");
            // The packed copy is made once and reused.
            let again = packed_q8_0::forward(&packing, &q, &x).unwrap().unwrap();
            assert_eq!(max_abs(&(again - &reference).unwrap()), err);
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
fn packed_copy_is_the_size_of_the_weights() {
    let q = weights(1536, 576);
    let Some(packed) = packed_q8_0::Packed::new(&q).unwrap() else {
        assert!(!cfg!(target_arch = "x86_64"), "x86-64 packs Q8_0 weights");
        return;
    };
    assert_eq!(packed.k(), 576);
    // 1536 x 576 quants, 64 bytes of room for alignment, and one f32 scale per block.
    let quants = 1536 * 576;
    assert_eq!(packed.bytes(), quants + 64 + 1536 * 18 * 4);
}

#[test]
fn packed_q8_0_product_leaves_other_inputs_to_candle() {
    let q = weights(64, 96);
    let packing = packed_q8_0::Packing::default();
    // k = 96 is three blocks: fine. f16 input, and other weight types, stay on candle's path.
    let x = Tensor::randn(0f32, 1.0, (8, 96), &Device::Cpu).unwrap();
    assert_eq!(packed_q8_0::forward(&packing, &q, &x).unwrap().is_some(), packed_q8_0::supported());
    let half = x.to_dtype(DType::F16).unwrap();
    assert!(packed_q8_0::forward(&packing, &q, &half).unwrap().is_none());
    let w = Tensor::randn(0f32, 0.05, (64, 256), &Device::Cpu).unwrap();
    let q4 = Arc::new(QTensor::quantize(&w, GgmlDType::Q4K).unwrap());
    let x = Tensor::randn(0f32, 1.0, (8, 256), &Device::Cpu).unwrap();
    assert!(packed_q8_0::forward(&packed_q8_0::Packing::default(), &q4, &x).unwrap().is_none());
    // A Q4_K layer still works through candle.
    let layer = GgufMatMul::new(QuantMethodConfig::Gguf { q_weight: q4.clone(), b: None }).unwrap();
    let reference = QMatMul::from_arc(q4).unwrap().forward(&x).unwrap();
    assert_eq!(max_abs(&(layer.forward(&x).unwrap() - reference).unwrap()), 0.0);
}
