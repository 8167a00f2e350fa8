//! [`VlmPolicy`]: the agent's [`Policy`] over a loaded [`Vlm`]. The agent speaks in
//! runtime-independent conversations and sampling parameters; this turns them into the
//! runtime's chat messages, images and sampler, and the runtime's generation back into a reply.
//! It lives apart from both so that the agent knows nothing of burn and the runtime nothing of
//! the agent.

use std::collections::BTreeMap;

use gog_agent::SamplingParams;
use gog_agent::conversation::{Conversation, Part, Role};
use gog_agent::{BoxConvention, Family, ModelInfo, Policy, PolicyError, Reply, ReplyEnd, Replying};
use gog_vlm::chat_template::{ChatMessage, ContentPart, MessageContent};
use gog_vlm::image_processor::smart_resize;
use gog_vlm::qwen_vl;
use gog_vlm::sampling::Sampling;
use gog_vlm::{GenerateRequest, Generated, StopReason, Vlm};

/// A loaded model as the agent's policy.
#[derive(Debug)]
pub struct VlmPolicy {
    vlm: Vlm,
    info: ModelInfo,
}

impl VlmPolicy {
    /// `id` names the model for people (a directory or package name); `weights` holds the
    /// SHA-256 of each weight file.
    pub fn new(vlm: Vlm, id: String, weights: BTreeMap<String, String>) -> Self {
        let family = prompt_family(vlm.config());
        let processor = vlm.processor();
        let max_image_tokens = processor.max_pixels / u64::from(processor.factor()).pow(2);
        let quantisation = vlm.quant().map_or("f32", |format| format.name()).into();
        VlmPolicy {
            vlm,
            info: ModelInfo {
                id,
                family,
                quantisation,
                weights,
                max_image_tokens: Some(max_image_tokens),
            },
        }
    }

    pub fn vlm(&self) -> &Vlm {
        &self.vlm
    }
}

/// How a checkpoint is prompted: the prompt family it names, if the agent knows it and it
/// writes boxes as the architecture does; otherwise its architecture's.
pub fn prompt_family(config: &qwen_vl::QwenVlConfig) -> Family {
    let architecture = match config.family {
        qwen_vl::Family::Qwen2_5Vl => Family::Qwen2_5Vl,
        qwen_vl::Family::Qwen3Vl => Family::Qwen3Vl,
    };
    config
        .prompt_family
        .as_deref()
        .and_then(Family::from_prompt_family)
        .filter(|named| named.box_family() == architecture)
        .unwrap_or(architecture)
}

/// The runtime's messages for a conversation, and the images in the order its parts show them:
/// what [`VlmPolicy`] renders for the model, and what the training export renders.
pub fn chat_messages(conversation: &Conversation) -> (Vec<ChatMessage>, Vec<usize>) {
    let mut order = Vec::new();
    let messages = conversation
        .messages
        .iter()
        .map(|message| {
            let role = match message.role {
                Role::System => "system",
                Role::User => "user",
                Role::Assistant => "assistant",
            };
            let parts = message
                .parts
                .iter()
                .map(|part| match part {
                    Part::Text { text } => ContentPart::Text { text: text.clone() },
                    Part::Image { index } => {
                        order.push(*index);
                        ContentPart::Image
                    }
                })
                .collect();
            ChatMessage {
                role: role.into(),
                content: MessageContent::Parts(parts),
            }
        })
        .collect();
    (messages, order)
}

/// The runtime's sampler for the agent's sampling parameters: greedy at temperature 0.
pub fn sampling(params: &SamplingParams) -> Sampling {
    if params.temperature > 0.0 {
        Sampling::TopP {
            temperature: params.temperature,
            top_p: params.top_p,
            seed: params.seed,
        }
    } else {
        Sampling::Greedy
    }
}

impl Policy for VlmPolicy {
    fn info(&self) -> ModelInfo {
        self.info.clone()
    }

    fn box_convention(&self, (width, height): (u32, u32)) -> BoxConvention {
        match self.info.family {
            // Qwen2.5-VL points at pixels of the image as it was resized for it.
            Family::Qwen2_5Vl => {
                let processor = self.vlm.processor();
                match smart_resize(
                    height,
                    width,
                    processor.factor(),
                    processor.min_pixels,
                    processor.max_pixels,
                ) {
                    Ok((height, width)) => BoxConvention::ModelPixels { width, height },
                    // An image the processor refuses never reaches the model, so no box of
                    // the model's refers to it; original pixels are as good as any.
                    Err(_) => BoxConvention::ModelPixels { width, height },
                }
            }
            Family::Qwen3Vl | Family::GogTiny => BoxConvention::Thousandths,
        }
    }

    async fn reply(
        &mut self,
        conversation: &Conversation,
        params: &SamplingParams,
        on_event: &mut dyn FnMut(Replying<'_>),
    ) -> Result<Reply, PolicyError> {
        let (messages, order) = chat_messages(conversation);
        // The agent adds each image once, where it is first shown; only a conversation shown
        // out of order needs its images rearranged.
        let in_order = order.iter().copied().eq(0..conversation.images.len());
        let rearranged;
        let images = if in_order {
            &conversation.images[..]
        } else {
            let mut shown = Vec::with_capacity(order.len());
            for index in order {
                let image = conversation.images.get(index).ok_or_else(|| {
                    PolicyError(format!(
                        "the conversation shows image {index}, which it lacks"
                    ))
                })?;
                shown.push(image.clone());
            }
            rearranged = shown;
            &rearranged[..]
        };
        let generation = self
            .vlm
            .generate(
                GenerateRequest {
                    messages: &messages,
                    images,
                    sampling: sampling(params),
                    max_new_tokens: params.max_new_tokens,
                },
                |event| {
                    on_event(match event {
                        Generated::Read { done, total } => Replying::Reading { done, total },
                        Generated::Text(piece) => Replying::Text(piece),
                    });
                },
            )
            .await
            .map_err(|err| PolicyError(err.to_string()))?;
        let end = match generation.stop {
            StopReason::StopToken(_) => ReplyEnd::EndOfTurn,
            StopReason::MaxTokens | StopReason::ContextFull => ReplyEnd::Length,
        };
        Ok(Reply {
            text: generation.text,
            tokens: generation.tokens,
            prompt: generation.prompt,
            end,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gog_agent::conversation::Message;

    #[test]
    fn conversations_become_chat_messages_with_images_in_order() {
        let mut conversation = Conversation::default();
        conversation
            .messages
            .push(Message::text(Role::System, "Use tools."));
        let question = conversation.add_image(image::RgbImage::new(4, 4));
        conversation.messages.push(Message {
            role: Role::User,
            parts: vec![question, Part::Text { text: "Q?".into() }],
        });
        conversation
            .messages
            .push(Message::text(Role::Assistant, "<tool_call>…</tool_call>"));
        let thumbnail = conversation.add_image(image::RgbImage::new(2, 2));
        conversation.messages.push(Message {
            role: Role::User,
            parts: vec![Part::Text { text: "1.".into() }, thumbnail],
        });
        let (messages, order) = chat_messages(&conversation);
        let roles: Vec<&str> = messages.iter().map(|m| m.role.as_str()).collect();
        assert_eq!(roles, ["system", "user", "assistant", "user"]);
        assert_eq!(order, [0, 1]);
        assert_eq!(
            messages[3].content,
            MessageContent::Parts(vec![
                ContentPart::Text { text: "1.".into() },
                ContentPart::Image
            ])
        );
    }

    #[test]
    fn a_checkpoint_is_prompted_as_the_family_it_names_when_its_boxes_agree() {
        let config = |json: &str, named: Option<&str>| {
            let mut json: serde_json::Value = serde_json::from_str(json).unwrap();
            if let Some(named) = named {
                json["gog_prompt_family"] = named.into();
            }
            prompt_family(&qwen_vl::QwenVlConfig::from_json(&json.to_string()).unwrap())
        };
        let qwen3 = include_str!("../../../tests/fixtures/vlm/qwen3_vl-tiny/config.json");
        let qwen2_5 = include_str!("../../../tests/fixtures/vlm/qwen2_5_vl-tiny/config.json");
        assert_eq!(config(qwen3, None), Family::Qwen3Vl);
        assert_eq!(config(qwen3, Some("gog_tiny")), Family::GogTiny);
        assert_eq!(config(qwen3, Some("someone_elses")), Family::Qwen3Vl);
        // GoG-Tiny's prompts speak of thousandths, which a Qwen2.5-VL does not point in.
        assert_eq!(config(qwen2_5, Some("gog_tiny")), Family::Qwen2_5Vl);
    }

    #[test]
    fn temperature_zero_is_greedy() {
        let mut params = SamplingParams::default();
        assert_eq!(sampling(&params), Sampling::Greedy);
        params.temperature = 0.7;
        params.top_p = 0.8;
        params.seed = 3;
        assert_eq!(
            sampling(&params),
            Sampling::TopP {
                temperature: 0.7,
                top_p: 0.8,
                seed: 3
            }
        );
    }
}
