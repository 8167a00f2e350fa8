//! One assistant turn: `<think>…</think>` followed by exactly one `<tool_call>…</tool_call>` or
//! `<answer>…</answer>`.
//!
//! Parsing is strict about what would make the agent act on a guess (no action, two actions,
//! unclosed tags, JSON with trailing text, unknown tools, arguments of the wrong shape) and
//! lenient about what changes nothing (a missing `<think>`, prose before the action, unknown
//! extra arguments, `arguments` sent as a JSON string, which Qwen models sometimes do). Every
//! refusal is a [`ProtocolError`] whose message is written for the model, which sees it as the
//! tool's response and can correct its next turn.

use serde::Deserialize;

use crate::tools;
use crate::turn::{Action, ProtocolError, Turn};

/// The tags a turn is written with.
pub const THINK: Tag = Tag("think");
pub const TOOL_CALL: Tag = Tag("tool_call");
pub const ANSWER: Tag = Tag("answer");

/// An XML-like tag of the protocol, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tag(pub &'static str);

impl Tag {
    pub fn open(self) -> String {
        format!("<{}>", self.0)
    }

    pub fn close(self) -> String {
        format!("</{}>", self.0)
    }
}

/// The JSON inside `<tool_call>`.
#[derive(Debug, Deserialize)]
struct RawCall {
    name: String,
    #[serde(default)]
    arguments: serde_json::Value,
}

/// Parses one assistant turn (special tokens already removed).
pub fn parse_turn(text: &str) -> Result<Turn, ProtocolError> {
    let text = text.trim();
    let (think, rest) = match text.strip_prefix(&THINK.open()) {
        Some(after) => {
            let (inner, rest) = after
                .split_once(&THINK.close())
                .ok_or(ProtocolError::Unclosed(THINK.0))?;
            (Some(inner.trim().to_string()), rest)
        }
        None => (None, text),
    };
    let (call_open, answer_open) = (TOOL_CALL.open(), ANSWER.open());
    let actions = rest.matches(&call_open).count() + rest.matches(&answer_open).count();
    if actions > 1 {
        return Err(ProtocolError::SeveralActions(actions));
    }
    let (tag, inner) = [TOOL_CALL, ANSWER]
        .into_iter()
        .find_map(|tag| {
            let (_, after) = rest.split_once(&tag.open())?;
            Some((tag, after))
        })
        .ok_or(ProtocolError::NoAction)?;
    let (inner, after) = inner
        .split_once(&tag.close())
        .ok_or(ProtocolError::Unclosed(tag.0))?;
    if !after.trim().is_empty() {
        return Err(ProtocolError::TextAfterAction(tag.0));
    }
    let action = if tag == ANSWER {
        let answer = inner.trim();
        if answer.is_empty() {
            return Err(ProtocolError::EmptyAnswer);
        }
        Action::Answer {
            text: answer.to_string(),
        }
    } else {
        tool_call(inner.trim())?
    };
    Ok(Turn { think, action })
}

fn tool_call(json: &str) -> Result<Action, ProtocolError> {
    let call: RawCall =
        serde_json::from_str(json).map_err(|e| ProtocolError::MalformedCall(e.to_string()))?;
    let arguments = match call.arguments {
        // Some models send the arguments as a JSON string holding the object.
        serde_json::Value::String(text) => serde_json::from_str(&text).map_err(|e| {
            ProtocolError::MalformedCall(format!("\"arguments\" is a string, not an object: {e}"))
        })?,
        serde_json::Value::Null => serde_json::Value::Object(Default::default()),
        other => other,
    };
    tools::parse(&call.name, arguments)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action(text: &str) -> Result<Action, ProtocolError> {
        parse_turn(text).map(|turn| turn.action)
    }

    #[test]
    fn every_action_parses() {
        let turn = parse_turn(
            "<think>Two flags; the left one matters.</think>\n<tool_call>\n{\"name\": \"image_search\", \"arguments\": {\"bbox_2d\": [10, 20.5, 300, 240], \"label\": \"left flag\"}}\n</tool_call>",
        )
        .unwrap();
        assert_eq!(
            turn.think.as_deref(),
            Some("Two flags; the left one matters.")
        );
        assert_eq!(
            turn.action,
            Action::ImageSearch {
                bbox_2d: Some([10.0, 20.5, 300.0, 240.0]),
                label: Some("left flag".into())
            }
        );
        assert_eq!(
            action(
                r#"<think>x</think><tool_call>{"name": "image_search", "arguments": {}}</tool_call>"#
            ),
            Ok(Action::ImageSearch {
                bbox_2d: None,
                label: None
            })
        );
        assert_eq!(
            action(r#"<think>x</think><tool_call>{"name": "image_search"}</tool_call>"#),
            Ok(Action::ImageSearch {
                bbox_2d: None,
                label: None
            })
        );
        assert_eq!(
            action(
                r#"<think>x</think><tool_call>{"name": "text_search", "arguments": {"query": " capital of France "}}</tool_call>"#
            ),
            Ok(Action::TextSearch {
                query: "capital of France".into()
            })
        );
        assert_eq!(
            action(
                r#"<think>x</think><tool_call>{"name": "read", "arguments": {"result": 2}}</tool_call>"#
            ),
            Ok(Action::Read { result: 2 })
        );
        assert_eq!(
            action("<think>It is Paris.</think>\n<answer> Paris </answer>\n"),
            Ok(Action::Answer {
                text: "Paris".into()
            })
        );
    }

    #[test]
    fn harmless_deviations_are_accepted() {
        // No <think>, prose before the action, an extra argument, arguments as a string.
        assert_eq!(
            action("<answer>Paris</answer>"),
            Ok(Action::Answer {
                text: "Paris".into()
            })
        );
        assert_eq!(
            action(
                r#"I will search. <tool_call>{"name": "text_search", "arguments": {"query": "Louvre", "top_k": 3}}</tool_call>"#
            ),
            Ok(Action::TextSearch {
                query: "Louvre".into()
            })
        );
        assert_eq!(
            action(r#"<tool_call>{"name": "read", "arguments": "{\"result\": 1}"}</tool_call>"#),
            Ok(Action::Read { result: 1 })
        );
    }

    #[test]
    fn malformed_turns_are_typed_errors() {
        let cases: [(&str, ProtocolError); 12] = [
            ("<think>hmm</think>", ProtocolError::NoAction),
            ("", ProtocolError::NoAction),
            (
                "<think>never closed <answer>x</answer>",
                ProtocolError::Unclosed("think"),
            ),
            ("<answer>Paris", ProtocolError::Unclosed("answer")),
            (
                "<answer>a</answer><answer>b</answer>",
                ProtocolError::SeveralActions(2),
            ),
            (
                r#"<tool_call>{"name": "text_search", "arguments": {"query": "a"}}</tool_call><answer>b</answer>"#,
                ProtocolError::SeveralActions(2),
            ),
            (
                "<answer>Paris</answer> and more",
                ProtocolError::TextAfterAction("answer"),
            ),
            ("<answer>  </answer>", ProtocolError::EmptyAnswer),
            (
                r#"<tool_call>{"name": "zoom", "arguments": {}}</tool_call>"#,
                ProtocolError::UnknownTool("zoom".into()),
            ),
            (
                r#"<tool_call>{"name": "text_search", "arguments": {"query": ""}}</tool_call>"#,
                ProtocolError::BadArguments {
                    tool: tools::text_search::NAME,
                    reason: "the query is empty".into(),
                },
            ),
            (
                r#"<tool_call>{"name": "read", "arguments": {"result": 0}}</tool_call>"#,
                ProtocolError::BadArguments {
                    tool: tools::read::NAME,
                    reason: "results are numbered from 1".into(),
                },
            ),
            (
                r#"<tool_call>{"name": "image_search", "arguments": {"bbox_2d": [1, 2, 3]}}</tool_call>"#,
                ProtocolError::BadArguments {
                    tool: tools::image_search::NAME,
                    reason: "bbox_2d must be four numbers [x1, y1, x2, y2], not 3".into(),
                },
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(action(text), Err(expected), "{text}");
        }
        for garbage in [
            r#"<tool_call>{"name": "read", "arguments": {"result": 1}} trailing</tool_call>"#,
            r#"<tool_call>not json</tool_call>"#,
            r#"<tool_call>{"arguments": {}}</tool_call>"#,
            r#"<tool_call>{"name": "read", "arguments": "{broken"}</tool_call>"#,
        ] {
            assert!(
                matches!(action(garbage), Err(ProtocolError::MalformedCall(_))),
                "{garbage}: {:?}",
                action(garbage)
            );
        }
        for wrong_shape in [
            r#"<tool_call>{"name": "read", "arguments": {"result": "two"}}</tool_call>"#,
            r#"<tool_call>{"name": "image_search", "arguments": {"bbox_2d": "0,0,1,1"}}</tool_call>"#,
            r#"<tool_call>{"name": "text_search", "arguments": [1]}</tool_call>"#,
        ] {
            assert!(
                matches!(action(wrong_shape), Err(ProtocolError::BadArguments { .. })),
                "{wrong_shape}: {:?}",
                action(wrong_shape)
            );
        }
    }

    #[test]
    fn no_input_panics() {
        // Every prefix and every single-byte deletion of turns that mix all the tags.
        let samples = [
            r#"<think>a</think><tool_call>{"name": "image_search", "arguments": {"bbox_2d": [1, 2, 3, 4], "label": "é"}}</tool_call>"#,
            "<think>ü</think><answer>Zürich</answer>",
        ];
        for sample in samples {
            for end in (0..=sample.len()).filter(|&i| sample.is_char_boundary(i)) {
                let _ = parse_turn(&sample[..end]);
                let _ = parse_turn(&sample[end..]);
            }
        }
    }

    #[test]
    fn actions_round_trip_through_json() {
        for action in [
            Action::ImageSearch {
                bbox_2d: Some([1.0, 2.0, 3.0, 4.0]),
                label: None,
            },
            Action::TextSearch { query: "q".into() },
            Action::Read { result: 3 },
            Action::Answer { text: "a".into() },
        ] {
            let json = serde_json::to_string(&action).unwrap();
            assert_eq!(serde_json::from_str::<Action>(&json).unwrap(), action);
        }
    }
}
