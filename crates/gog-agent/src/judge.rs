//! Judging an answer the way the peers do (MMSearch-R1's normalised exact match, SQuAD's token
//! F1), against the gold answer and its aliases. An LLM judge can be added by the caller, which
//! owns the network; its verdict goes in [`Judgement::llm`].

use crate::trace::Judgement;

/// Lowercase, punctuation removed, the articles "a", "an" and "the" dropped, whitespace
/// collapsed.
pub fn normalise(text: &str) -> String {
    let lowered: String = text
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c.is_whitespace() {
                c
            } else {
                ' '
            }
        })
        .collect();
    lowered
        .split_whitespace()
        .filter(|word| !matches!(*word, "a" | "an" | "the"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Token F1 between an answer and one gold answer, after [`normalise`].
pub fn token_f1(answer: &str, gold: &str) -> f64 {
    let answer = normalise(answer);
    let gold = normalise(gold);
    let (ours, theirs): (Vec<&str>, Vec<&str>) = (
        answer.split_whitespace().collect(),
        gold.split_whitespace().collect(),
    );
    if ours.is_empty() || theirs.is_empty() {
        return f64::from(u8::from(ours == theirs));
    }
    let mut unused = theirs.clone();
    let mut common = 0usize;
    for word in &ours {
        if let Some(at) = unused.iter().position(|w| w == word) {
            unused.swap_remove(at);
            common += 1;
        }
    }
    if common == 0 {
        return 0.0;
    }
    let precision = common as f64 / ours.len() as f64;
    let recall = common as f64 / theirs.len() as f64;
    2.0 * precision * recall / (precision + recall)
}

/// Exact match and the best token F1 of `answer` over `gold` (the answer, then its aliases).
pub fn judge(answer: &str, gold: &[String]) -> Judgement {
    let normalised = normalise(answer);
    Judgement {
        exact_match: gold.iter().any(|g| normalise(g) == normalised),
        token_f1: gold.iter().map(|g| token_f1(answer, g)).fold(0.0, f64::max),
        llm: None,
        gold: gold.to_vec(),
    }
}

/// The instruction an LLM judge is given: the question, the gold answers and the answer to
/// judge, and the one-line verdict expected (`Judgement: 1` or `Judgement: 0`, the format the
/// peers' judges use).
pub fn llm_prompt(question: &str, answer: &str, gold: &[String]) -> String {
    format!(
        "You judge whether an answer to a visual question is correct.\n\
         Question: {question}\n\
         Correct answers (any one counts): {}\n\
         Answer to judge: {answer}\n\n\
         The answer is correct when it means the same as one of the correct answers, even if it \
         is worded differently, abbreviated, or adds harmless detail. It is wrong when it names \
         something else, hedges between options, or says it does not know.\n\
         Reply with exactly one line: \"Judgement: 1\" if correct, \"Judgement: 0\" if wrong.",
        gold.join(" | ")
    )
}

/// The verdict in an LLM judge's reply: the last `Judgement: 1` or `Judgement: 0` in it, if
/// any.
pub fn parse_llm_verdict(reply: &str) -> Option<bool> {
    const KEY: &str = "judgement:";
    let lowered = reply.to_lowercase();
    let at = lowered.rfind(KEY)?;
    match lowered[at + KEY.len()..].trim_start().chars().next()? {
        '1' => Some(true),
        '0' => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_like_the_peers() {
        assert_eq!(normalise("  The Eiffel-Tower! "), "eiffel tower");
        assert_eq!(normalise("Zürich"), "zürich");
        let gold = vec!["Washington, D.C.".to_string(), "Washington".to_string()];
        assert!(judge("washington d c", &gold).exact_match);
        assert!(judge("Washington", &gold).exact_match);
        let partial = judge("Washington state", &gold);
        assert!(!partial.exact_match);
        // Against "Washington": precision 1/2, recall 1 → 2/3.
        assert!((partial.token_f1 - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(token_f1("", ""), 1.0);
        assert_eq!(token_f1("Paris", ""), 0.0);
        assert_eq!(token_f1("the", "a"), 1.0, "both are empty once articles go");
        assert_eq!(judge("Lyon", &gold).token_f1, 0.0);
        // Repeated words count once per occurrence in the gold.
        assert!((token_f1("new new york", "new york") - 0.8).abs() < 1e-12);
    }

    #[test]
    fn reads_the_llm_judges_verdict() {
        let prompt = llm_prompt("Capital?", "Paris", &["Paris".into(), "Paname".into()]);
        assert!(prompt.contains("Paris | Paname"), "{prompt}");
        assert_eq!(parse_llm_verdict("Judgement: 1"), Some(true));
        assert_eq!(
            parse_llm_verdict("The answer differs.\njudgement:0"),
            Some(false)
        );
        assert_eq!(
            parse_llm_verdict("Judgement: 0 at first, but on reflection Judgement: 1"),
            Some(true),
            "the last verdict counts"
        );
        assert_eq!(parse_llm_verdict("Judgement: maybe"), None);
        assert_eq!(parse_llm_verdict("I think it is right."), None);
        assert_eq!(parse_llm_verdict("JUDGEMENT:"), None);
    }
}
