//! Rendering a conversation into the prompt text a checkpoint was trained on, with the
//! checkpoint's own Jinja chat template, the way transformers renders it: blocks trimmed and
//! left-stripped, Python string methods available, `tojson` writing JSON as Python's
//! `json.dumps` does, and `raise_exception` failing the render with the template's message.

use minijinja::value::Kwargs;
use minijinja::{Environment, ErrorKind, Value};
use serde::{Deserialize, Serialize};

/// A template that cannot be read or rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChatTemplateError {
    #[error("the tokenizer configuration has no chat template")]
    Missing,
    #[error("the chat template configuration is not valid JSON: {0}")]
    Json(String),
    #[error("the chat template does not compile: {0}")]
    Syntax(String),
    #[error("the chat template failed to render: {0}")]
    Render(String),
}

/// One turn of a conversation, in transformers' message format.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub role: String,
    pub content: MessageContent,
}

/// Plain text, or a list of text and image parts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MessageContent {
    Text(String),
    Parts(Vec<ContentPart>),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ContentPart {
    Text { text: String },
    Image,
}

impl ChatMessage {
    /// A user turn holding `images` images, then `text`.
    pub fn user_with_images(images: usize, text: &str) -> Self {
        let mut parts = vec![ContentPart::Image; images];
        parts.push(ContentPart::Text {
            text: text.to_owned(),
        });
        ChatMessage {
            role: "user".into(),
            content: MessageContent::Parts(parts),
        }
    }
}

/// A compiled chat template.
#[derive(Debug)]
pub struct ChatTemplate {
    env: Environment<'static>,
}

const TEMPLATE_NAME: &str = "chat";

/// Instructions a render may execute: far above what real chat templates need (thousands), far
/// below what would stall a browser tab.
const RENDER_FUEL: u64 = 5_000_000;

impl ChatTemplate {
    /// The template in a `tokenizer_config.json` or `chat_template.json`: a string, or a list of
    /// named templates of which `default` is used.
    pub fn from_config_json(json: &str) -> Result<Self, ChatTemplateError> {
        #[derive(Deserialize)]
        struct Config {
            chat_template: Option<TemplateField>,
        }
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum TemplateField {
            One(String),
            Named(Vec<NamedTemplate>),
        }
        #[derive(Deserialize)]
        struct NamedTemplate {
            name: String,
            template: String,
        }
        let config: Config =
            serde_json::from_str(json).map_err(|err| ChatTemplateError::Json(err.to_string()))?;
        let source = match config.chat_template.ok_or(ChatTemplateError::Missing)? {
            TemplateField::One(source) => source,
            TemplateField::Named(templates) => templates
                .into_iter()
                .find(|t| t.name == "default")
                .map(|t| t.template)
                .ok_or(ChatTemplateError::Missing)?,
        };
        Self::new(source)
    }

    /// Compiles a Jinja template source (such as a `chat_template.jinja`).
    pub fn new(source: String) -> Result<Self, ChatTemplateError> {
        let mut env = Environment::new();
        // A template comes with a downloaded model: it must not be able to hang the page.
        env.set_fuel(Some(RENDER_FUEL));
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        env.add_filter("tojson", python_tojson);
        env.add_function("raise_exception", |message: String| -> Result<Value, _> {
            Err(minijinja::Error::new(ErrorKind::InvalidOperation, message))
        });
        env.add_template_owned(TEMPLATE_NAME, source)
            .map_err(|err| ChatTemplateError::Syntax(err.to_string()))?;
        Ok(ChatTemplate { env })
    }

    /// The prompt text for `messages`, ending with the assistant's header when
    /// `add_generation_prompt`.
    pub fn render(
        &self,
        messages: &[ChatMessage],
        add_generation_prompt: bool,
    ) -> Result<String, ChatTemplateError> {
        let template = self
            .env
            .get_template(TEMPLATE_NAME)
            .map_err(|err| ChatTemplateError::Syntax(err.to_string()))?;
        template
            .render(minijinja::context! {
                messages => messages,
                add_generation_prompt => add_generation_prompt,
            })
            .map_err(|err| ChatTemplateError::Render(err.to_string()))
    }
}

/// `tojson` as transformers defines it: `json.dumps(value, ensure_ascii=False, indent=indent)`,
/// so separators are `", "` and `": "` and nothing is HTML-escaped.
fn python_tojson(value: Value, options: Kwargs) -> Result<Value, minijinja::Error> {
    let indent: Option<usize> = options.get("indent")?;
    options.assert_all_used()?;
    let json = serde_json::to_value(&value)
        .map_err(|err| minijinja::Error::new(ErrorKind::InvalidOperation, err.to_string()))?;
    let mut out = String::new();
    write_python_json(&json, indent, 0, &mut out);
    Ok(Value::from_safe_string(out))
}

fn write_python_json(
    value: &serde_json::Value,
    indent: Option<usize>,
    depth: usize,
    out: &mut String,
) {
    use serde_json::Value as Json;
    let newline = |out: &mut String, depth: usize| {
        if let Some(width) = indent {
            out.push('\n');
            out.push_str(&" ".repeat(width * depth));
        }
    };
    let separator = if indent.is_some() { "," } else { ", " };
    match value {
        Json::Array(items) if !items.is_empty() => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(separator);
                }
                newline(out, depth + 1);
                write_python_json(item, indent, depth + 1, out);
            }
            newline(out, depth);
            out.push(']');
        }
        Json::Object(fields) if !fields.is_empty() => {
            out.push('{');
            for (i, (key, item)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push_str(separator);
                }
                newline(out, depth + 1);
                out.push_str(&Json::String(key.clone()).to_string());
                out.push_str(": ");
                write_python_json(item, indent, depth + 1, out);
            }
            newline(out, depth);
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tojson_writes_like_python() {
        let template = ChatTemplate::new(
            "{{ messages[0].content | tojson }}|{{ messages | tojson(indent=2) }}".into(),
        )
        .unwrap();
        let messages = [ChatMessage {
            role: "user".into(),
            content: MessageContent::Text("<b>café</b>".into()),
        }];
        assert_eq!(
            template.render(&messages, false).unwrap(),
            "\"<b>café</b>\"|[\n  {\n    \"role\": \"user\",\n    \"content\": \"<b>café</b>\"\n  }\n]"
        );
    }

    #[test]
    fn raise_exception_fails_the_render() {
        let template =
            ChatTemplate::new("{{ raise_exception('System role not supported') }}".into()).unwrap();
        let err = template.render(&[], true).unwrap_err();
        assert!(
            err.to_string().contains("System role not supported"),
            "{err}"
        );
        assert!(matches!(
            ChatTemplate::new("{% if %}".into()),
            Err(ChatTemplateError::Syntax(_))
        ));
        assert_eq!(
            ChatTemplate::from_config_json("{}").unwrap_err(),
            ChatTemplateError::Missing
        );
    }
}
