//! Text to token ids and back, with the Hugging Face `tokenizers` crate reading the checkpoint's
//! own `tokenizer.json` (its pure-Rust regex backend, so the same code runs in the browser).

/// A `tokenizer.json` that cannot be used, or text it cannot encode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenizerError {
    #[error("tokenizer.json cannot be read: {0}")]
    Load(String),
    #[error("the tokenizer cannot encode this text: {0}")]
    Encode(String),
    #[error("the tokenizer cannot decode these tokens: {0}")]
    Decode(String),
    #[error("the tokenizer has no token {0:?}")]
    UnknownToken(String),
}

/// A loaded tokenizer.
#[derive(Debug, Clone)]
pub struct TextTokenizer {
    inner: tokenizers::Tokenizer,
}

impl TextTokenizer {
    /// Reads a `tokenizer.json`.
    pub fn from_json(json: &[u8]) -> Result<Self, TokenizerError> {
        tokenizers::Tokenizer::from_bytes(json)
            .map(|inner| TextTokenizer { inner })
            .map_err(|err| TokenizerError::Load(err.to_string()))
    }

    /// Token ids of `text`. Special tokens written in the text (`<|im_start|>`, …) become their
    /// ids; nothing is added around the text.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>, TokenizerError> {
        self.inner
            .encode(text, false)
            .map(|encoding| encoding.get_ids().to_vec())
            .map_err(|err| TokenizerError::Encode(err.to_string()))
    }

    /// The text of `ids`, special tokens included.
    pub fn decode(&self, ids: &[u32]) -> Result<String, TokenizerError> {
        self.inner
            .decode(ids, false)
            .map_err(|err| TokenizerError::Decode(err.to_string()))
    }

    /// The id of a token such as `<|im_end|>`.
    pub fn token_id(&self, token: &str) -> Result<u32, TokenizerError> {
        self.inner
            .token_to_id(token)
            .ok_or_else(|| TokenizerError::UnknownToken(token.to_owned()))
    }
}

/// Turns generated tokens into text as they arrive. One character can span several byte-level
/// tokens, so text is released only once it decodes to whole characters.
#[derive(Debug, Default)]
pub struct TextStream {
    tokens: Vec<u32>,
    /// How much of the decoded text has been released.
    released: usize,
}

impl TextStream {
    /// Adds a token; returns the text it completes, if any.
    pub fn push(
        &mut self,
        tokenizer: &TextTokenizer,
        token: u32,
    ) -> Result<Option<String>, TokenizerError> {
        self.tokens.push(token);
        let text = tokenizer.decode(&self.tokens)?;
        if text.ends_with(char::REPLACEMENT_CHARACTER) || text.len() <= self.released {
            return Ok(None);
        }
        let new = text.get(self.released..).map(str::to_owned);
        self.released = text.len();
        Ok(new)
    }

    /// Ends the stream: whatever is held back (bytes that never completed a character, shown as
    /// U+FFFD, as the tokenizer decodes them).
    pub fn finish(self, tokenizer: &TextTokenizer) -> Result<Option<String>, TokenizerError> {
        let text = tokenizer.decode(&self.tokens)?;
        Ok(text
            .get(self.released..)
            .filter(|rest| !rest.is_empty())
            .map(str::to_owned))
    }
}
