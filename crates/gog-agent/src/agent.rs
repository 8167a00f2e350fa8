//! The loop: the model looks at the whole image, then each turn answers or calls one tool; the
//! tool's result comes back with a reflection prompt; it stops on an answer, after the last
//! allowed turn, or when the model repeats a call. Everything that goes wrong — a malformed
//! turn, an unusable box, a spent budget, a failing search — is told to the model as an error
//! turn it can correct and recorded in the trace; nothing panics and nothing is dropped.

use base64::Engine as _;
use gog_types::SearchBackend;
use image::RgbImage;
use web_time::Instant;

use crate::conversation::{Conversation, Message, Part, Role};
use crate::policy::{Policy, Replying, SamplingParams};
use crate::prompts::Prompts;
use crate::protocol;
use crate::settings::{AgentConfig, Budgets, Mode};
use crate::tools::{self, image_search};
use crate::trace::{
    Actor, InputImage, Outcome, SearchRecord, Step, StopReason, TRACE_VERSION, Trace, TraceSink,
};
use crate::turn::Action;

/// What a run reports as it goes.
#[derive(Debug)]
pub enum Event<'a> {
    /// The model has read `done` of its prompt's `total` tokens.
    Reading {
        done: usize,
        total: usize,
    },
    /// A piece of the model's text, as soon as it is generated.
    Text(&'a str),
    /// A step, complete with its search.
    Step(&'a Step),
    Finished(&'a Outcome),
}

/// One run's inputs.
#[derive(Debug, Clone, Copy)]
pub struct Question<'a> {
    pub text: &'a str,
    /// PNG, JPEG or WebP bytes.
    pub image: &'a [u8],
}

/// The agent: its prompts, how it may act, and how its model samples.
#[derive(Debug, Clone)]
pub struct Agent {
    pub prompts: Prompts,
    pub config: AgentConfig,
    pub sampling: SamplingParams,
}

impl Agent {
    /// Runs the agent on one question and returns its trace (also saved to `sink` after every
    /// step). Errors are outcomes in the trace, never panics.
    pub async fn run(
        &self,
        policy: &mut impl Policy,
        backend: &impl SearchBackend,
        question: Question<'_>,
        sink: &mut dyn TraceSink,
        on_event: &mut dyn FnMut(Event<'_>),
    ) -> Trace {
        let (prompts, config, sampling) = (&self.prompts, &self.config, &self.sampling);
        let decoded = gog_types::image::decode(question.image);
        let size = decoded.as_ref().map_or((0, 0), RgbImage::dimensions);
        let convention = policy.box_convention(size);
        let mut trace = Trace {
            version: TRACE_VERSION,
            id: String::new(),
            model: policy.info(),
            sampling: *sampling,
            settings: config.settings(convention, prompts.sha256()),
            question: question.text.to_string(),
            image: InputImage {
                sha256: gog_types::sha256_hex(question.image),
                width: size.0,
                height: size.1,
                base64: config
                    .keep_image
                    .then(|| base64::engine::general_purpose::STANDARD.encode(question.image)),
            },
            steps: Vec::new(),
            outcome: None,
            judgement: None,
        };
        let failed = |error: String| Outcome::Failed { error };
        let outcome = match (decoded, question.text.trim().is_empty()) {
            (Err(e), _) => failed(format!("the image cannot be used: {e}")),
            (Ok(_), true) => failed("the question is empty".into()),
            (Ok(image), false) => {
                let mut run = Run {
                    policy,
                    backend,
                    prompts,
                    config,
                    sampling,
                    original: question.image,
                    // The question's image is the conversation's image 0.
                    conversation: Conversation {
                        messages: Vec::new(),
                        images: vec![image],
                    },
                    trace: &mut trace,
                    sink,
                    used: Budgets::default(),
                    last_pages: Vec::new(),
                };
                run.go(on_event).await
            }
        };
        on_event(Event::Finished(&outcome));
        trace.outcome = Some(outcome);
        trace.seal();
        sink.save(&trace);
        trace
    }
}

/// A run in progress.
struct Run<'r, P, B> {
    policy: &'r mut P,
    backend: &'r B,
    prompts: &'r Prompts,
    config: &'r AgentConfig,
    sampling: &'r SamplingParams,
    original: &'r [u8],
    conversation: Conversation,
    trace: &'r mut Trace,
    sink: &'r mut dyn TraceSink,
    /// The tools' uses so far.
    used: Budgets,
    /// Pages of the latest search's results, which `read` numbers from 1.
    last_pages: Vec<String>,
}

impl<P: Policy, B: SearchBackend> Run<'_, P, B> {
    async fn go(&mut self, on_event: &mut dyn FnMut(Event<'_>)) -> Outcome {
        let system = match self.config.mode {
            Mode::Gog => {
                let convention = self
                    .prompts
                    .box_convention(self.trace.settings.box_convention);
                self.prompts
                    .fill("system.txt", &[("box_convention", &convention)])
            }
            Mode::Direct => self.prompts.fill("system_direct.txt", &[]),
            Mode::FullSearch => self.prompts.fill("system_full_search.txt", &[]),
        };
        self.conversation
            .messages
            .push(Message::text(Role::System, system.trim_end()));
        let image = Part::Image { index: 0 };
        let asked = self
            .prompts
            .fill("question.txt", &[("question", self.trace.question.trim())]);
        self.conversation.messages.push(Message {
            role: Role::User,
            parts: vec![
                image,
                Part::Text {
                    text: asked.trim_end().to_string(),
                },
            ],
        });

        if self.config.mode == Mode::FullSearch {
            let glance = Action::ImageSearch {
                bbox_2d: None,
                label: None,
            };
            let raw = format!(
                "<tool_call>{}</tool_call>",
                serde_json::json!({"name": image_search::NAME, "arguments": {}})
            );
            let mut step = self.new_step(Actor::Harness, raw);
            step.action = Some(glance.clone());
            self.act(&mut step, &glance).await;
            self.record(step, on_event);
        }

        let mut calls: Vec<Action> = Vec::new();
        for _ in 0..self.config.max_turns {
            let started = Instant::now();
            let reply = {
                let mut on_reply = |event: Replying<'_>| {
                    on_event(match event {
                        Replying::Reading { done, total } => Event::Reading { done, total },
                        Replying::Text(text) => Event::Text(text),
                    });
                };
                self.policy
                    .reply(&self.conversation, self.sampling, &mut on_reply)
                    .await
            };
            let reply = match reply {
                Ok(reply) => reply,
                Err(e) => {
                    return Outcome::Failed {
                        error: e.to_string(),
                    };
                }
            };
            let mut step = self.new_step(Actor::Model, reply.text.clone());
            step.tokens = reply.tokens;
            step.prompt_tokens = reply.prompt.len();
            step.reply_end = Some(reply.end);
            step.model_ms = started.elapsed().as_secs_f64() * 1e3;
            let turn = match protocol::parse_turn(&reply.text) {
                Ok(turn) => turn,
                Err(e) => {
                    self.tell_error(&mut step, e.to_string());
                    self.record(step, on_event);
                    continue;
                }
            };
            step.think = turn.think;
            step.action = Some(turn.action.clone());
            if let Action::Answer { text } = &turn.action {
                let answer = text.clone();
                self.record(step, on_event);
                return Outcome::Answered { answer };
            }
            if calls.contains(&turn.action) {
                self.record(step, on_event);
                return Outcome::Stopped {
                    reason: StopReason::RepeatedCall,
                };
            }
            calls.push(turn.action.clone());
            self.act(&mut step, &turn.action).await;
            self.record(step, on_event);
        }
        Outcome::Stopped {
            reason: StopReason::MaxTurns,
        }
    }

    fn new_step(&mut self, actor: Actor, raw: String) -> Step {
        self.conversation
            .messages
            .push(Message::text(Role::Assistant, raw.clone()));
        Step {
            index: self.trace.steps.len(),
            actor,
            raw,
            tokens: Vec::new(),
            prompt_tokens: 0,
            reply_end: None,
            model_ms: 0.0,
            think: None,
            action: None,
            error: None,
            search: None,
        }
    }

    fn record(&mut self, step: Step, on_event: &mut dyn FnMut(Event<'_>)) {
        on_event(Event::Step(&step));
        self.trace.steps.push(step);
        self.trace.seal();
        self.sink.save(self.trace);
    }

    /// Tells the model what went wrong with its turn.
    fn tell_error(&mut self, step: &mut Step, error: String) {
        let text = self.prompts.fill("error.txt", &[("error", &error)]);
        self.conversation
            .messages
            .push(Message::text(Role::User, text.trim_end()));
        step.error = Some(error);
    }

    /// Runs a tool call and answers it, or tells the model why it cannot be run.
    async fn act(&mut self, step: &mut Step, action: &Action) {
        let mut budgets = self.trace.settings.budgets;
        let (Some(tool), Some(&mut allowed)) =
            (tools::name(action), tools::uses(&mut budgets, action))
        else {
            return;
        };
        // The harness's glance is the baseline's own; it is not the model's to spend.
        if step.actor == Actor::Model
            && let Some(used) = tools::uses(&mut self.used, action)
        {
            if *used >= allowed {
                let error = if allowed == 0 {
                    format!("{tool} is not available in this mode; answer or use another tool")
                } else {
                    format!(
                        "the {allowed} uses of {tool} are spent; answer with what you have or use another tool"
                    )
                };
                self.tell_error(step, error);
                return;
            }
            *used += 1;
        }
        let provider = self.backend.name().to_string();
        let started = Instant::now();
        let context = tools::Context {
            backend: self.backend,
            prompts: self.prompts,
            config: self.config,
            settings: &self.trace.settings,
            original: self.original,
            conversation: &mut self.conversation,
            last_pages: &mut self.last_pages,
        };
        let ran = match tools::run(context, action).await {
            None => return,
            Some(Err(error)) => {
                self.tell_error(step, error);
                return;
            }
            Some(Ok(ran)) => ran,
        };
        let latency_ms = started.elapsed().as_secs_f64() * 1e3;
        self.answer_tool(ran.shown);
        step.search = Some(SearchRecord {
            request: ran.request,
            provider,
            cache: None,
            latency_ms,
            results: ran.results,
        });
    }

    /// The tool's response turn: results, then the reflection prompt.
    fn answer_tool(&mut self, mut shown: Vec<Part>) {
        // The template puts the results on lines of their own.
        if let Some(Part::Text { text }) = shown.last_mut() {
            text.truncate(text.trim_end_matches('\n').len());
        }
        let reflection = self.prompts.fill("reflection.txt", &[]);
        let template = self.prompts.fill(
            "tool_response.txt",
            &[("reflection", reflection.trim_end())],
        );
        // The results may hold pictures, so the template is split around its placeholder.
        let (before, after) = template
            .split_once("{results}")
            .unwrap_or((template.as_str(), ""));
        let mut parts = vec![Part::Text {
            text: before.to_string(),
        }];
        parts.extend(shown);
        parts.push(Part::Text {
            text: after.trim_end().to_string(),
        });
        self.conversation.messages.push(Message {
            role: Role::User,
            parts: merge_text(parts),
        });
    }
}

/// Adjacent text parts joined, empty ones dropped.
fn merge_text(parts: Vec<Part>) -> Vec<Part> {
    let mut merged: Vec<Part> = Vec::new();
    for part in parts {
        match (merged.last_mut(), part) {
            (_, Part::Text { text }) if text.is_empty() => {}
            (Some(Part::Text { text: last }), Part::Text { text }) => last.push_str(&text),
            (_, part) => merged.push(part),
        }
    }
    merged
}
