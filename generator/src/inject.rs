//! Injection: write one sentence that carries chosen values and splice it into a post at a sentence boundary.
//!
//! The LLM writes the sentence under a Lark grammar (llguidance) that fixes the opener, forces every value
//! verbatim and in order, and allows only lower-case words (plus "I") and commas between them: no digits, no
//! capitalised words, no punctuation that could smuggle unlabelled personal data or prompt fragments into the
//! text. The output is then validated (length, repetition, language, prompt leaks); after `max_attempts`
//! failures a template sentence is used and the record says `method: template`.

use crate::error::GeneratorError;
use crate::llm::{CompletionRequest, Llm};
use crate::templates::OPENERS;
use blogbot_common::text::CharIndex;
use blogbot_common::{Method, PiiType, Span};
use rand::seq::IndexedRandom;
use rand::Rng;

/// One value to carry: its type (`None` for a decoy, which gets no span), text, prompt description and the
/// clause a template uses for it.
#[derive(Debug, Clone)]
pub struct Carried {
    pub ty: Option<PiiType>,
    pub value: String,
    pub description: String,
    pub clause: String,
}

impl Carried {
    /// A freshly sampled value of `ty`, with a template clause for it.
    pub fn pii<R: Rng + ?Sized>(ty: PiiType, rng: &mut R) -> Self {
        let v = crate::pii::sample(ty, rng);
        let clause = crate::templates::clauses(ty).choose(rng).copied().unwrap_or("{}");
        Carried { ty: Some(ty), value: v.value, description: v.description, clause: clause.to_string() }
    }

    /// A decoy (not personal data; gets no span).
    pub fn decoy<R: Rng + ?Sized>(rng: &mut R) -> Self {
        let d = crate::decoy::sample(rng);
        Carried { ty: None, value: d.value, description: d.description.to_string(), clause: d.clause.to_string() }
    }
}

/// Injection settings.
#[derive(Debug, Clone)]
pub struct InjectConfig {
    /// LLM tries before the template fallback.
    pub max_attempts: usize,
    /// Upper bound on generated tokens per sentence (values included).
    pub max_tokens: usize,
}

impl Default for InjectConfig {
    fn default() -> Self {
        // The stop sequence ends most answers early; the bound only matters for three long values.
        Self { max_attempts: 3, max_tokens: 120 }
    }
}

/// What injection produced.
#[derive(Debug, Clone)]
pub struct Injected {
    pub text: String,
    pub spans: Vec<Span>,
    pub method: Method,
    /// The inserted sentence alone.
    pub sentence: String,
    /// LLM calls made (0 when no LLM was given).
    pub llm_attempts: usize,
    pub llm_tokens: usize,
    pub llm_seconds: f64,
    /// Why each rejected LLM output was rejected.
    pub rejections: Vec<String>,
}

const SYSTEM: &str = "You are a blogger. You write one short, natural sentence in plain English for your own blog post.";

/// Escapes a string for a Lark string literal.
fn lark_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A free stretch of words: each word lower-case letters (or "I"), separated by one space, commas allowed after
/// a word. Bounded so the sentence is bounded.
const WORDS: &str = r"/( (I|[a-z][a-z']*),?){1,9}/";
const TAIL: &str = r"/( (I|[a-z][a-z']*),?){0,6}/";

/// The grammar for one sentence: opener, then for each value some words ending lazily at " value", then a tail
/// and a full stop. The value is the rule's suffix, so the words end exactly where the value starts and the
/// separator space is spelled out.
pub fn sentence_grammar(opener: &str, values: &[&str]) -> String {
    let mut g = String::new();
    let mut start = vec![lark_str(opener)];
    for (i, v) in values.iter().enumerate() {
        start.push(format!("w{i}"));
        g.push_str(&format!("w{i}[suffix={}]: {WORDS}\n", lark_str(&format!(" {v}"))));
    }
    start.push("tail".into());
    // The newline after the full stop is the stop sequence: mistral.rs does not end a request when the grammar
    // is complete (it decodes on to max_tokens), so the caller stops on "\n", which no value or word contains.
    g.push_str(&format!("tail: {TAIL} \".\\n\"\n"));
    format!("start: {}\n{g}", start.join(" "))
}

fn user_prompt(context: &str, carried: &[Carried], opener: &str) -> String {
    let details: Vec<String> = carried.iter().map(|c| format!("{} {}", c.description, c.value)).collect();
    format!(
        "My blog post so far ends with: \"{context}\"\nWrite the next sentence. It must mention {}. Begin with \"{opener}\".",
        details.join(" and ")
    )
}

/// Function words of languages SmolLM2 drifts into; two or more in the free text mean the sentence is not English.
const FOREIGN: &[&str] = &[
    "le", "la", "les", "des", "est", "je", "mon", "ma", "mes", "une", "avec", "pour", "dans", "et", "el", "los",
    "las", "por", "para", "que", "con", "una", "mi", "und", "der", "die", "das", "ist", "ich", "nicht", "il", "di",
    "che", "non", "sono", "per",
];
const ENGLISH: &[&str] = &[
    "the", "a", "an", "my", "to", "and", "at", "is", "me", "you", "for", "on", "in", "with", "of", "i", "it", "was",
    "can", "we", "our", "your", "if", "or", "so", "from", "this", "that", "be", "have", "has", "will",
];
/// Words that only appear when the model talks about the task instead of doing it.
const LEAKS: &[&str] = &["blog post", "sentence", "mention", "begin with", "details", "instruction", "assistant", "write the"];

/// Checks an LLM sentence; `Err(reason)` when it must be rejected. `free` are the words the model chose.
pub fn validate_sentence(sentence: &str, carried: &[Carried], opener: &str) -> Result<(), String> {
    if !sentence.starts_with(opener) || !sentence.ends_with('.') {
        return Err("does not start with the opener or end with a full stop".into());
    }
    let mut free = sentence[opener.len()..].to_string();
    for c in carried {
        free = free.replacen(&c.value, " ", 1);
    }
    let lower = free.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphabetic() && c != '\'')
        .filter(|w| !w.is_empty())
        .collect();
    if words.len() < 3 {
        return Err(format!("too short ({} free words)", words.len()));
    }
    if let Some(l) = LEAKS.iter().find(|l| lower.contains(*l)) {
        return Err(format!("leaks the prompt ({l:?})"));
    }
    if words.windows(2).any(|w| w[0] == w[1]) {
        return Err("repeats a word".into());
    }
    let distinct: std::collections::HashSet<&&str> = words.iter().collect();
    if words.len() >= 8 && distinct.len() * 10 < words.len() * 6 {
        return Err("repetitive".into());
    }
    let bigrams: Vec<(&str, &str)> = words.windows(2).map(|w| (w[0], w[1])).collect();
    if bigrams.iter().enumerate().any(|(i, b)| bigrams[i + 1..].contains(b)) {
        return Err("repeats a phrase".into());
    }
    let foreign = words.iter().filter(|w| FOREIGN.contains(w)).count();
    let english = words.iter().filter(|w| ENGLISH.contains(w)).count();
    if foreign >= 2 || english == 0 {
        return Err(format!("not English ({foreign} foreign, {english} English function words)"));
    }
    // Commas of the model's own words only: values (addresses) and the opener bring their own.
    if sentence.contains(",.") || sentence.contains(",,") || free.matches(',').count() * 3 > words.len() + 3 {
        return Err("broken punctuation".into());
    }
    if english * 6 < words.len() {
        return Err(format!("word salad ({english} function words in {})", words.len()));
    }
    Ok(())
}

/// Positions (byte offsets) in `post` after which a sentence may be inserted: every sentence end.
fn insertion_points(post: &str) -> Vec<usize> {
    crate::corpus::sentence_boundaries(post)
}

/// Splices `sentence` into `post` after byte offset `at` (a sentence boundary): as its own paragraph when `at`
/// is at a paragraph break, otherwise separated by a space. Returns the new text and the byte offset of the
/// sentence in it.
fn splice(post: &str, at: usize, sentence: &str) -> (String, usize) {
    let head = post[..at].trim_end();
    let rest = post[at..].trim_start();
    let gap = &post[head.len()..post.len() - rest.len()];
    let para = gap.contains("\n\n");
    let mut out = String::with_capacity(post.len() + sentence.len() + 4);
    out.push_str(head);
    if !head.is_empty() {
        out.push_str(if para { "\n\n" } else { " " });
    }
    let offset = out.len();
    out.push_str(sentence);
    if !rest.is_empty() {
        out.push_str(if para { "\n\n" } else { " " });
        out.push_str(rest);
    }
    (out, offset)
}

/// The preceding text the model sees: up to the last ~240 characters before the insertion point, cut at a word.
fn context_before(post: &str, at: usize) -> String {
    let head = post[..at].trim_end();
    let n = head.chars().count();
    let skip = n.saturating_sub(240);
    let tail: String = head.chars().skip(skip).collect();
    let tail = if skip > 0 { tail.split_once(' ').map(|(_, t)| t.to_string()).unwrap_or(tail) } else { tail };
    tail.replace('\n', " ").replace('"', "'")
}

/// Writes a sentence carrying `carried` (with the LLM when given, else or on failure from templates) and splices
/// it into `post` at a random sentence boundary. Spans are computed from the splice and checked.
pub async fn inject<R: Rng + ?Sized>(
    llm: Option<&Llm>,
    post: &str,
    carried: &[Carried],
    rng: &mut R,
    cfg: &InjectConfig,
) -> Result<Injected, GeneratorError> {
    if post.trim().is_empty() {
        return Err(GeneratorError::InvalidInput("the post is empty".into()));
    }
    if carried.is_empty() {
        return Err(GeneratorError::InvalidInput("nothing to inject".into()));
    }
    let points = insertion_points(post);
    let at = *points.choose(rng).unwrap_or(&post.len());
    let context = context_before(post, at);

    let mut result = Injected {
        text: String::new(),
        spans: Vec::new(),
        method: Method::Template,
        sentence: String::new(),
        llm_attempts: 0,
        llm_tokens: 0,
        llm_seconds: 0.0,
        rejections: Vec::new(),
    };
    let values: Vec<&str> = carried.iter().map(|c| c.value.as_str()).collect();
    let mut sentence = None;
    if let Some(llm) = llm {
        for attempt in 0..cfg.max_attempts {
            let opener = *OPENERS.choose(rng).unwrap_or(&"Also,");
            let req = CompletionRequest {
                system: SYSTEM,
                user: &user_prompt(&context, carried, opener),
                grammar: Some(sentence_grammar(opener, &values)),
                max_tokens: cfg.max_tokens,
                // Greedy first (reproducible); later tries sample so they can leave a bad greedy path.
                temperature: (attempt > 0).then_some(0.7),
                stop: Some("\n"),
            };
            let out = llm.complete(&req).await?;
            result.llm_attempts += 1;
            result.llm_tokens += out.completion_tokens;
            result.llm_seconds += out.seconds;
            let s = out.text.trim().to_string();
            match validate_sentence(&s, carried, opener) {
                Ok(()) => {
                    sentence = Some(s);
                    result.method = Method::Llm;
                    break;
                }
                Err(why) => {
                    tracing::debug!(attempt, %why, output = %s, "LLM sentence rejected");
                    result.rejections.push(why);
                }
            }
        }
    }
    let sentence = match sentence {
        Some(s) => s,
        None => template_sentence(carried, rng),
    };
    let (text, offset) = splice(post, at, &sentence);
    let idx = CharIndex::new(&text);
    let mut spans = Vec::new();
    let mut from = offset;
    for c in carried {
        let rel = text[from..].find(&c.value).ok_or_else(|| {
            GeneratorError::InvalidInput(format!("value {:?} missing from generated sentence {sentence:?}", c.value))
        })?;
        let b0 = from + rel;
        let b1 = b0 + c.value.len();
        if let Some(ty) = c.ty {
            spans.push(Span { start: idx.char_of(b0), end: idx.char_of(b1), ty, value: c.value.clone() });
        }
        from = b1;
    }
    blogbot_common::record::validate_spans(&text, &spans)?;
    result.text = text;
    result.spans = spans;
    result.sentence = sentence;
    Ok(result)
}

/// Template fallback: opener + each value's clause.
fn template_sentence<R: Rng + ?Sized>(carried: &[Carried], rng: &mut R) -> String {
    let opener = OPENERS.choose(rng).copied().unwrap_or("Also,");
    let parts: Vec<String> = carried.iter().map(|c| c.clause.replacen("{}", &c.value, 1)).collect();
    let body = match parts.len() {
        1 => parts[0].clone(),
        n => format!("{}, and {}", parts[..n - 1].join(", "), parts[n - 1]),
    };
    format!("{opener} {body}.")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn c(ty: PiiType, v: &str) -> Carried {
        Carried { ty: Some(ty), value: v.into(), description: "x".into(), clause: "call {} now".into() }
    }

    #[test]
    fn grammar_spells_out_values_and_separators() {
        let g = sentence_grammar("By the way,", &["zoë@mail.fr", "Jo \"JJ\" Li"]);
        assert!(g.starts_with("start: \"By the way,\" w0 w1 tail\n"));
        assert!(g.contains("w0[suffix=\" zoë@mail.fr\"]"));
        assert!(g.contains("w1[suffix=\" Jo \\\"JJ\\\" Li\"]"));
    }

    #[test]
    fn validation_rejects_the_known_failure_modes() {
        let cs = [c(PiiType::Email, "a@b.org")];
        let o = "Also,";
        assert!(validate_sentence("Also, you can write to me at a@b.org.", &cs, o).is_ok());
        assert!(validate_sentence("Also, je suis le blogger a@b.org.", &cs, o).is_err());
        assert!(validate_sentence("Also, the the post a@b.org.", &cs, o).is_err());
        assert!(validate_sentence("Also, write the sentence with a@b.org.", &cs, o).is_err());
        assert!(validate_sentence("Also, at a@b.org.", &cs, o).is_err());
        assert!(validate_sentence("Also, go to the shop go to the shop a@b.org.", &cs, o).is_err());
        assert!(validate_sentence("Also, I, to, my pastazz, cleaning, wanted, canad, a@b.org.", &cs, o).is_err());
        assert!(validate_sentence("Also, wisefully wast lifting wisps mind ordering takeaway a@b.org.", &cs, o).is_err());
        // Commas inside a value do not count against the sentence.
        let addr = [c(PiiType::Address, "Calle de Alcalá 45, 3º B, 28014 Madrid, Spain")];
        let s = "Oh, and we moved to Calle de Alcalá 45, 3º B, 28014 Madrid, Spain last spring.";
        assert!(validate_sentence(s, &addr, "Oh, and").is_ok());
    }

    #[tokio::test]
    async fn template_injection_spans_slice_to_values_in_unicode_text() {
        let post = "Crème brûlée 🍮 is hard. We tried in 東京 twice!\n\nThe second time worked. Really.";
        let cs = [c(PiiType::Email, "zoë@exemple.fr"), c(PiiType::Phone, "+33 6 12 34 56 78")];
        for seed in 0..20 {
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
            let r = inject(None, post, &cs, &mut rng, &InjectConfig::default()).await.unwrap();
            assert_eq!(r.method, Method::Template);
            assert_eq!(r.spans.len(), 2);
            for s in &r.spans {
                assert_eq!(blogbot_common::text::slice_chars(&r.text, s.start, s.end), Some(s.value.as_str()));
            }
            // The original text survives around the sentence.
            assert_eq!(r.text.replace(&r.sentence, "").split_whitespace().collect::<Vec<_>>(), post.split_whitespace().collect::<Vec<_>>());
        }
    }
}
