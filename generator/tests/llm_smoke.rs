//! Smoke tests of the LLM path on the real SmolLM2 GGUF through mistral.rs (what the prototype's author asked
//! for): it loads offline, answers, and a grammar forces chosen values verbatim.

use blogbot_common::PiiType;
use blogbot_generator::inject::{inject, sentence_grammar, Carried, InjectConfig};
use blogbot_generator::llm::{inspect_gguf, CompletionRequest, DeviceSpec, Llm};
use rand::SeedableRng;
use std::path::PathBuf;

fn gguf(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../weights/llm").join(name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smollm2_loads_offline_answers_and_obeys_a_grammar() {
    for (file, quant) in [("SmolLM2-135M-Instruct.Q8_0.gguf", "Q8_0"), ("SmolLM2-135M-Instruct.Q4_1.gguf", "Q4_1")] {
        let (arch, q) = inspect_gguf(&gguf(file)).unwrap();
        assert_eq!((arch.as_str(), q.as_str()), ("llama", quant));
    }
    let llm = Llm::load(&gguf("SmolLM2-135M-Instruct.Q8_0.gguf"), "test".into(), DeviceSpec::Cpu).await.unwrap();
    assert_eq!(llm.info().model_id, "SmolLM2-135M-Instruct.Q8_0");

    let free = llm
        .complete(&CompletionRequest {
            system: "",
            user: "What is the capital of France? Answer in one word.",
            grammar: None,
            max_tokens: 8,
            temperature: None,
            stop: None,
        })
        .await
        .unwrap();
    assert!(free.text.contains("Paris"), "{:?}", free.text);
    assert!(free.completion_tokens > 0 && free.completion_tokens <= 8);

    let values = ["mara.lindqvist@posteo.se", "+46 70 123 45 67"];
    let out = llm
        .complete(&CompletionRequest {
            system: "You write one short sentence for a blog.",
            user: "Mention the email mara.lindqvist@posteo.se and the phone +46 70 123 45 67.",
            grammar: Some(sentence_grammar("By the way,", &values)),
            max_tokens: 96,
            temperature: None,
            stop: Some("\n"),
        })
        .await
        .unwrap();
    let t = out.text.trim();
    assert!(out.completion_tokens < 96, "the stop sequence ends the request: {} tokens", out.completion_tokens);
    assert!(t.starts_with("By the way,") && t.ends_with('.'), "{t:?}");
    let (a, b) = (t.find(values[0]).expect("email verbatim"), t.find(values[1]).expect("phone verbatim"));
    assert!(a < b);
    assert!(t[..a].ends_with(' ') && t[a + values[0].len()..].starts_with(' '), "separators spelled out: {t:?}");

    // One full injection through the LLM.
    let post = "The allotment finally produced something edible this year. The beans were a triumph.";
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let carried = vec![Carried::pii(PiiType::Person, &mut rng), Carried::pii(PiiType::Phone, &mut rng)];
    let r = inject(Some(&llm), post, &carried, &mut rng, &InjectConfig::default()).await.unwrap();
    assert!(r.llm_attempts >= 1);
    assert_eq!(r.spans.len(), 2);
    for s in &r.spans {
        assert_eq!(blogbot_common::text::slice_chars(&r.text, s.start, s.end), Some(s.value.as_str()));
    }
    eprintln!("LLM sentence ({:?}, {} attempts): {}", r.method, r.llm_attempts, r.sentence);
}
