//! The token ids a conversation becomes: the chat template rendered, tokenized, and each image
//! placeholder expanded to its image's tokens. Generation feeds exactly these ids to the model,
//! and the training export writes exactly these ids, so the two cannot drift apart.

use crate::chat_template::{ChatMessage, ChatTemplate, ChatTemplateError};
use crate::image_processor::{ImageProcessorConfig, ProcessedImage};
use crate::tokenizer::{TextTokenizer, TokenizerError};
use image::RgbImage;

/// A prompt that cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum PromptError {
    #[error(transparent)]
    ChatTemplate(#[from] ChatTemplateError),
    #[error(transparent)]
    Tokenizer(#[from] TokenizerError),
    #[error("image {index}: {error}")]
    Image {
        index: usize,
        error: crate::image_processor::ImageProcessorError,
    },
    #[error("the prompt has {placeholders} image placeholders but {images} images were given")]
    ImageCount { placeholders: usize, images: usize },
}

/// The model's text side: tokenizer, chat template and image processor, the token that stands
/// for an image, and the tokens that end a reply.
#[derive(Debug)]
pub struct Prompter {
    pub(crate) tokenizer: TextTokenizer,
    pub(crate) template: ChatTemplate,
    pub(crate) processor: ImageProcessorConfig,
    pub(crate) image_token: u32,
    pub(crate) stop_tokens: Vec<u32>,
}

impl Prompter {
    pub fn new(
        tokenizer: TextTokenizer,
        template: ChatTemplate,
        processor: ImageProcessorConfig,
        image_token: u32,
        stop_tokens: Vec<u32>,
    ) -> Self {
        Prompter {
            tokenizer,
            template,
            processor,
            image_token,
            stop_tokens,
        }
    }

    pub fn tokenizer(&self) -> &TextTokenizer {
        &self.tokenizer
    }

    pub fn processor(&self) -> &ImageProcessorConfig {
        &self.processor
    }

    /// The `<|image_pad|>` id.
    pub fn image_token(&self) -> u32 {
        self.image_token
    }

    /// Tokens that end a reply (`<|im_end|>`, …).
    pub fn stop_tokens(&self) -> &[u32] {
        &self.stop_tokens
    }

    /// Resizes and patchifies each image, in order.
    pub fn process(&self, images: &[RgbImage]) -> Result<Vec<ProcessedImage>, PromptError> {
        images
            .iter()
            .enumerate()
            .map(|(index, image)| {
                self.processor
                    .process(image)
                    .map_err(|error| PromptError::Image { index, error })
            })
            .collect()
    }

    /// The ids of `messages` with each image placeholder expanded to its image's tokens, given
    /// the images' patch grids in the order the messages show them; ending with the
    /// assistant's header when `add_generation_prompt`.
    pub fn ids(
        &self,
        messages: &[ChatMessage],
        grids: &[[u32; 3]],
        add_generation_prompt: bool,
    ) -> Result<Vec<u32>, PromptError> {
        let rendered = self.template.render(messages, add_generation_prompt)?;
        let placeholder_ids = self.tokenizer.encode(&rendered)?;
        let placeholders = placeholder_ids
            .iter()
            .filter(|&&t| t == self.image_token)
            .count();
        if placeholders != grids.len() {
            return Err(PromptError::ImageCount {
                placeholders,
                images: grids.len(),
            });
        }
        let unit = (self.processor.merge_size * self.processor.merge_size) as usize;
        let mut counts = grids
            .iter()
            .map(|grid| grid.iter().product::<u32>() as usize / unit);
        let mut ids = Vec::with_capacity(placeholder_ids.len());
        for &token in &placeholder_ids {
            if token == self.image_token
                && let Some(count) = counts.next()
            {
                ids.extend(std::iter::repeat_n(token, count));
            } else {
                ids.push(token);
            }
        }
        Ok(ids)
    }
}
