//! End to end on the tiny models: a chat with an image is rendered, tokenized, expanded, encoded
//! and decoded exactly as transformers does it (same prompt ids, same greedy tokens), text streams
//! out in whole characters, a repeated image comes from the vision cache, seeded sampling repeats
//! itself, and bad requests are typed errors. Runs natively and in headless Chromium.

mod fixture;

use fixture::{TinyModel, tiny_models};
use gog_vlm::chat_template::ChatMessage;
use gog_vlm::prompt::PromptError;
use gog_vlm::qwen_vl::ForwardError;
use gog_vlm::sampling::Sampling;
use gog_vlm::vlm::GenerateError;
use gog_vlm::{ComputeDevice, GenerateRequest, Generated, LoadOptions, StopReason, Vlm};

const QUESTION: &str = "When was the tower on the left finished?";

fn load(model: &TinyModel, device: ComputeDevice) -> Vlm {
    let files = model.files();
    Vlm::load(files, device, LoadOptions::default()).expect("the tiny model loads")
}

async fn check_device(device: ComputeDevice) {
    for model in tiny_models() {
        let family = model.family;
        let mut vlm = load(&model, device.clone());
        vlm.warm_up().await.expect("warms up");
        let image = model.fixture.image("one_image.image0");
        let messages = [ChatMessage::user_with_images(1, QUESTION)];
        let (_, expected_prompt) = model.fixture.i64("chat.input_ids");
        let (_, expected_tokens) = model.fixture.i64("chat.greedy_tokens");
        let expected_prompt: Vec<u32> = expected_prompt.iter().map(|&t| t as u32).collect();
        let expected_tokens: Vec<u32> = expected_tokens.iter().map(|&t| t as u32).collect();
        let request = GenerateRequest {
            messages: &messages,
            images: std::slice::from_ref(&image),
            sampling: Sampling::Greedy,
            max_new_tokens: expected_tokens.len(),
        };

        let mut pieces = Vec::new();
        let mut read = Vec::new();
        let first = vlm
            .generate(request, |event| match event {
                Generated::Text(piece) => pieces.push(piece.to_owned()),
                Generated::Read { done, total } => read.push((done, total)),
            })
            .await
            .expect("generates");
        assert_eq!(first.prompt, expected_prompt, "{family}: prompt ids");
        assert_eq!(first.tokens, expected_tokens, "{family}: greedy tokens");
        assert_eq!(first.stop, StopReason::MaxTokens);
        assert_eq!(first.image_tokens, 10);
        assert_eq!(first.cached_images, 0);
        assert_eq!(pieces.concat(), first.text, "{family}: streamed text");
        assert_eq!(
            read,
            [(first.prompt.len(), first.prompt.len())],
            "{family}: one chunk"
        );
        assert_eq!(
            vlm.tokenizer().decode(&first.tokens).expect("decodable"),
            first.text,
            "{family}"
        );

        // Asking again about the same image reuses its encoding, with the same result.
        let again = vlm.generate(request, |_| {}).await.expect("generates");
        assert_eq!(again.cached_images, 1, "{family}: vision cache");
        assert_eq!(again.tokens, first.tokens);

        // Read seven tokens a pass, the image's ten tokens split across passes, the reply is
        // the same and every pass is reported.
        vlm.set_prefill_chunk(7);
        let mut read = Vec::new();
        let chunked = vlm
            .generate(request, |event| {
                if let Generated::Read { done, total } = event {
                    read.push((done, total));
                }
            })
            .await
            .expect("generates");
        vlm.set_prefill_chunk(gog_vlm::vlm::PREFILL_CHUNK);
        assert_eq!(chunked.tokens, first.tokens, "{family}: chunked prefill");
        let total = first.prompt.len();
        let expected: Vec<(usize, usize)> = (1..=total.div_ceil(7))
            .map(|pass| ((7 * pass).min(total), total))
            .collect();
        assert_eq!(read, expected, "{family}: progress");

        // Seeded sampling repeats itself.
        let sampled = Sampling::TopP {
            temperature: 1.5,
            top_p: 0.95,
            seed: 11,
        };
        let sampled = GenerateRequest {
            sampling: sampled,
            ..request
        };
        let one = vlm.generate(sampled, |_| {}).await.expect("generates");
        let two = vlm.generate(sampled, |_| {}).await.expect("generates");
        assert_eq!(one.tokens, two.tokens, "{family}: seeded sampling");

        // Two images for one placeholder.
        let err = vlm
            .generate(
                GenerateRequest {
                    images: &[image.clone(), image.clone()],
                    ..request
                },
                |_| {},
            )
            .await
            .expect_err("one placeholder, two images");
        assert!(
            matches!(
                err,
                GenerateError::Prompt(PromptError::ImageCount {
                    placeholders: 1,
                    images: 2
                })
            ),
            "{err}"
        );
        // A prompt longer than the context.
        let context = vlm.config().text.max_position_embeddings;
        let long = ChatMessage::user_with_images(0, &"tower ".repeat(context + 100));
        let err = vlm
            .generate(
                GenerateRequest {
                    messages: &[long],
                    images: &[],
                    ..request
                },
                |_| {},
            )
            .await
            .expect_err("a prompt over the context limit");
        assert!(
            matches!(
                err,
                GenerateError::Forward(ForwardError::ContextFull { limit, .. }) if limit == context
            ),
            "{err}"
        );
    }
}

#[cfg(not(target_family = "wasm"))]
#[test]
fn generates_like_transformers_on_the_cpu() {
    pollster::block_on(check_device(ComputeDevice::cpu()));
}

#[cfg(target_family = "wasm")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

#[cfg(target_family = "wasm")]
#[wasm_bindgen_test::wasm_bindgen_test]
async fn generates_like_transformers_on_webgpu() {
    let gpu = ComputeDevice::webgpu().await.expect("a WebGPU adapter");
    check_device(gpu).await;
}
