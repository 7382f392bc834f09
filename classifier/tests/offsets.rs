//! Code-point offsets survive tokenisation, labelling, decoding and inference on non-ASCII text.

use blogbot_classifier::tags::{bio_tags, decode_bio};
use blogbot_classifier::{Classifier, PiiModel, PiiTokenizer};
use blogbot_common::text::slice_chars;
use blogbot_common::{PiiType, Span};
use candle_core::Device;
use std::path::PathBuf;

fn encoder_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../weights/encoder")
}

fn spans(text: &str, pii: &[(&str, PiiType)]) -> Vec<Span> {
    pii.iter()
        .map(|(v, ty)| {
            let b = text.find(v).unwrap_or_else(|| panic!("{v} not in {text}"));
            let start = text[..b].chars().count();
            Span { start, end: start + v.chars().count(), ty: *ty, value: v.to_string() }
        })
        .collect()
}

fn cases() -> Vec<(String, Vec<Span>)> {
    let raw: Vec<(&str, Vec<(&str, PiiType)>)> = vec![
        (
            "Écrivez à zoë@exemple.fr 🙂 ou appelez +33 6 12 34 56 78. Merci, Renée Lefèvre!",
            vec![
                ("zoë@exemple.fr", PiiType::Email),
                ("+33 6 12 34 56 78", PiiType::Phone),
                ("Renée Lefèvre", PiiType::Person),
            ],
        ),
        (
            "東京の田中太郎さん (tanaka@例え.jp) に連絡してください。住所は 東京都港区 です",
            vec![("田中太郎", PiiType::Person), ("tanaka@例え.jp", PiiType::Email), ("東京都港区", PiiType::Address)],
        ),
        (
            "Family 👩‍👩‍👧 trip! Ping @señor_x or see https://exämple.org/ñ?q=1 — IBAN DE89 3704 0044 0532 0130 00",
            vec![
                ("@señor_x", PiiType::Username),
                ("https://exämple.org/ñ?q=1", PiiType::Url),
                ("DE89 3704 0044 0532 0130 00", PiiType::Iban),
            ],
        ),
        ("Ünïcödé ånd ëmøjï 🎉🎉 but no personal data at all.", vec![]),
    ];
    raw.into_iter().map(|(t, p)| (t.to_string(), spans(t, &p))).collect()
}

#[test]
fn spans_to_tags_to_spans_round_trip_on_non_ascii() {
    let tok = PiiTokenizer::from_file(&encoder_dir().join("tokenizer.json")).unwrap();
    for (text, gold) in cases() {
        let n_chars = text.chars().count();
        let enc = tok.encode(&text).unwrap();
        assert!(!enc.is_empty());
        let mut last_end = 0;
        for &(s, e) in &enc.offsets {
            assert!(s < e && e <= n_chars && s >= last_end, "bad token offsets ({s}, {e}) in {text}");
            // Every token covers visible text, never whitespace only.
            assert!(!slice_chars(&text, s, e).unwrap().trim().is_empty());
            last_end = e;
        }
        let tags = bio_tags(&enc.offsets, &gold);
        let entity_tokens = tags.iter().filter(|&&t| t != 0).count();
        assert!(gold.is_empty() == (entity_tokens == 0));
        let decoded = decode_bio(&text, &enc.offsets, &tags, &vec![1.0; tags.len()]);
        let got: Vec<(usize, usize, PiiType, String)> =
            decoded.into_iter().map(|s| (s.start, s.end, s.ty, s.text)).collect();
        let want: Vec<(usize, usize, PiiType, String)> =
            gold.iter().map(|s| (s.start, s.end, s.ty, s.value.clone())).collect();
        assert_eq!(got, want, "round trip on {text}");
    }
}

/// An untrained tagger predicts spans nearly everywhere, which makes it a good probe for slicing: every span
/// the classifier returns must be the exact code-point slice of the original text, with no edge whitespace.
#[test]
fn classifier_spans_slice_the_original_text() {
    let dev = Device::Cpu;
    let dir = encoder_dir();
    let model = PiiModel::from_pretrained(&dir, 32, 8, 3, &dev).unwrap();
    let tok = PiiTokenizer::from_file(&dir.join("tokenizer.json")).unwrap();
    let classifier = Classifier::new(model, tok).with_batch_size(4);
    let mut texts: Vec<String> = cases().into_iter().map(|(t, _)| t).collect();
    texts.push("Ça coûte 12 € — très cher! ".repeat(15)); // several windows of 32 tokens
    texts.push(String::new());
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let scored = classifier.score(&refs).unwrap();
    assert_eq!(scored.len(), texts.len());
    let mut n = 0;
    for (text, s) in texts.iter().zip(&scored) {
        assert!((0.0..=1.0).contains(&s.score));
        for span in &s.spans {
            assert_eq!(slice_chars(text, span.start, span.end), Some(span.text.as_str()), "span {span:?} of {text}");
            assert!(!span.text.starts_with(char::is_whitespace) && !span.text.ends_with(char::is_whitespace));
            n += 1;
        }
        for w in s.spans.windows(2) {
            assert!(w[0].end <= w[1].start, "spans overlap: {w:?}");
        }
    }
    assert!(n > 10, "the probe needs spans to check, got {n}");
    assert!(scored.last().unwrap().spans.is_empty());
    // `classify` applies the thresholds on top of the same scores.
    let preds = classifier.classify(&refs).unwrap();
    for (p, s) in preds.iter().zip(&scored) {
        assert_eq!(p.score, s.score);
        // A violation needs a span; a high score without one is a suspicion.
        assert_eq!(p.violation, s.score >= classifier.threshold() && !s.spans.is_empty());
        assert_eq!(p.suspected, s.score >= classifier.threshold() && s.spans.is_empty());
    }
}
