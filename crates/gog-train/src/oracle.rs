//! The oracle: a [`Policy`] that knows a training scene's gold boxes and evidence chain and
//! writes the turns a good Glance-or-Gaze agent would, reacting to what the real search
//! engine actually returned. It never answers with what it has not seen in a result: when the
//! search does not surface the evidence, it gives up and the trajectory is dropped.
//!
//! It is a test double of the model in the sense the agent's tests use the word — a scripted
//! policy — and it drives the product's own loop, so every trajectory holds exactly the
//! prompts, tool responses, reflection prompts and error turns inference produces.

use gog_agent::SamplingParams;
use gog_agent::conversation::{Conversation, Message};
use gog_agent::judge::judge;
use gog_agent::tools::{image_search, read, text_search};
use gog_agent::{BoxConvention, Family, ModelInfo, Policy, PolicyError, Reply, ReplyEnd, Replying};
use gog_scenes::{Category, Record};
use gog_types::{ImageResult, TextResult};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::observed::{Latest, Observation};
use crate::plan::{Approach, Plan, WrongRegion};
use crate::scene::{Kind, beside, jittered, name_from_title, to_thousandths, where_in_image};
use crate::think;

/// How far each edge of a crop strays from the gold box, as a share of its side.
const JITTER: f64 = 0.08;
/// A corrected crop is drawn more carefully.
const CAREFUL_JITTER: f64 = 0.03;
/// Image searches for the asked-about picture before the oracle gives up.
const MAX_LOOKS: u32 = 3;
/// Text searches for one fact before the oracle gives up.
const MAX_QUERIES: u32 = 2;

/// What the run did, recorded with the trajectory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Behaviour {
    /// `count`, `glance` or `gaze`: how the asked-about picture was first looked for.
    pub first: &'static str,
    /// A search's results did not fit, and the oracle said so and searched again.
    pub reflected: bool,
    /// The first action was malformed, and corrected after the error turn.
    pub slipped: bool,
    pub text_searches: u32,
    pub reads: u32,
}

impl Behaviour {
    /// A short label: `gaze+reflect+text2+read`.
    pub fn label(&self) -> String {
        let mut parts = vec![self.first.to_string()];
        if self.reflected {
            parts.push("reflect".into());
        }
        match self.text_searches {
            0 => {}
            1 => parts.push("text".into()),
            n => parts.push(format!("text{n}")),
        }
        if self.reads > 0 {
            parts.push("read".into());
        }
        if self.slipped {
            parts.push("slip".into());
        }
        parts.join("+")
    }
}

/// What the oracle is waiting for.
#[derive(Debug, Clone)]
enum Stage {
    Start,
    /// A malformed turn went out; this is the turn it meant, and whether to learn it.
    Slipped(String, bool, Box<Stage>),
    /// An image search for the asked-about picture; `wrong` when it was a deliberate mistake.
    Looking {
        looks: u32,
        how: Look,
    },
    /// A text search for evidence number `index`, about `subject`.
    Searching {
        index: usize,
        subject: String,
        queries: u32,
    },
    /// The page of evidence number `index` is being read.
    Reading {
        index: usize,
        subject: String,
    },
    Answered,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Look {
    Glance,
    Gaze,
    Wrong(WrongRegion),
}

/// The oracle for one scene.
#[derive(Debug)]
pub struct Oracle<'s> {
    record: &'s Record,
    plan: Plan,
    rng: ChaCha8Rng,
    latest: Latest,
    stage: Stage,
    /// For each reply so far, whether it is one to learn from (deliberate mistakes are not).
    learn: Vec<bool>,
    /// The conversation as of the latest reply, that reply included.
    messages: Vec<Message>,
    behaviour: Behaviour,
    /// Whose prompts the agent shows: the oracle stands in for a model of this family.
    family: Family,
}

/// What an oracle that gave up says: a fixed reason, counted when trajectories are dropped,
/// then the details.
const GAVE_UP: &str = "the oracle gave up: ";

fn give_up(reason: &'static str, detail: impl std::fmt::Display) -> PolicyError {
    PolicyError(format!("{GAVE_UP}{reason} ({detail})"))
}

/// The fixed reason in a run's failure message, if the oracle gave up.
pub fn gave_up_reason(error: &str) -> Option<&str> {
    let (_, after) = error.split_once(GAVE_UP)?;
    Some(after.split_once(" (").map_or(after, |(reason, _)| reason))
}

impl<'s> Oracle<'s> {
    pub fn new(
        record: &'s Record,
        plan: Plan,
        rng: ChaCha8Rng,
        latest: Latest,
        family: Family,
    ) -> Self {
        Oracle {
            record,
            plan,
            rng,
            latest,
            stage: Stage::Start,
            learn: Vec::new(),
            messages: Vec::new(),
            behaviour: Behaviour::default(),
            family,
        }
    }

    /// The whole conversation, the last reply included.
    pub fn messages(&self) -> &[Message] {
        &self.messages
    }

    /// Per assistant turn, whether it is to be learned.
    pub fn learn(&self) -> &[bool] {
        &self.learn
    }

    pub fn behaviour(&self) -> &Behaviour {
        &self.behaviour
    }

    fn size(&self) -> (u32, u32) {
        (self.record.width, self.record.height)
    }

    fn target(&self) -> Result<(Kind, [u32; 4], &'s str), PolicyError> {
        let target = self
            .record
            .target_picture()
            .ok_or_else(|| give_up("no target", &self.record.id))?;
        Ok((Kind::of(&target.entity), target.bbox_2d, &target.title))
    }

    /// The next turn's text, and whether it is to be learned.
    fn next(&mut self) -> Result<(String, bool), PolicyError> {
        let observed = self.latest.borrow_mut().take();
        match std::mem::replace(&mut self.stage, Stage::Answered) {
            Stage::Start => self.start(),
            Stage::Slipped(text, learn, then) => {
                self.stage = *then;
                Ok((text, learn))
            }
            Stage::Looking { looks, how } => match observed {
                Some(Observation::Images(found)) => self.after_look(looks, how, &found),
                other => Err(give_up("no image results", format!("{other:?}"))),
            },
            Stage::Searching {
                index,
                subject,
                queries,
            } => match observed {
                Some(Observation::Texts(found)) => {
                    self.after_search(index, subject, queries, &found)
                }
                other => Err(give_up("no text results", format!("{other:?}"))),
            },
            Stage::Reading { index, subject } => match observed {
                Some(Observation::Page(page)) => {
                    let evidence = &self.record.evidence[index];
                    if !contains(&page.text, &evidence.value) {
                        return Err(give_up("page lacks the fact", &page.id));
                    }
                    let said = think::found_on_page(
                        &mut self.rng,
                        &subject,
                        &evidence.fact,
                        &evidence.value,
                    );
                    self.after_fact(index, said)
                }
                other => Err(give_up("no page", format!("{other:?}"))),
            },
            Stage::Answered => Err(give_up("asked after answering", &self.record.id)),
        }
    }

    fn start(&mut self) -> Result<(String, bool), PolicyError> {
        let (text, learn) = match self.plan.approach {
            Approach::Count => {
                self.behaviour.first = "count";
                let n = self.record.entities.len();
                let said = think::count(&mut self.rng, n);
                return Ok((answer(&said, &n.to_string()), true));
            }
            Approach::Glance => {
                self.behaviour.first = "glance";
                (self.look(Look::Glance, 0)?, true)
            }
            Approach::Gaze => {
                self.behaviour.first = "gaze";
                (self.look(Look::Gaze, 0)?, true)
            }
            Approach::WrongGaze(region) => {
                self.behaviour.first = "gaze";
                (self.look(Look::Wrong(region), 0)?, false)
            }
        };
        if !self.plan.slip {
            return Ok((text, learn));
        }
        // The malformed turn is never learned; the correction after the error turn is.
        self.behaviour.slipped = true;
        let then = std::mem::replace(&mut self.stage, Stage::Answered);
        self.stage = Stage::Slipped(text.clone(), learn, Box::new(then));
        Ok((malformed(&text, &mut self.rng), false))
    }

    /// An image search for the asked-about picture, `looks` searches in; sets the stage.
    fn look(&mut self, how: Look, looks: u32) -> Result<String, PolicyError> {
        let (kind, gold, _) = self.target()?;
        let size = self.size();
        let place = where_in_image(gold, size);
        let (said, bbox, label) = match how {
            Look::Glance => (think::glance(&mut self.rng, kind), None, None),
            Look::Gaze => {
                let jitter = if looks == 0 { JITTER } else { CAREFUL_JITTER };
                let bbox = jittered(gold, size, jitter, &mut self.rng);
                (
                    think::gaze(&mut self.rng, kind, place),
                    Some(bbox),
                    Some(kind.noun()),
                )
            }
            Look::Wrong(WrongRegion::OtherPicture(index)) => {
                let other = &self.record.entities[index];
                let other_place = where_in_image(other.bbox_2d, size);
                let bbox = jittered(other.bbox_2d, size, JITTER, &mut self.rng);
                (
                    think::gaze(&mut self.rng, kind, other_place),
                    Some(bbox),
                    Some(kind.noun()),
                )
            }
            Look::Wrong(WrongRegion::Missed) => {
                let Some(bbox) = beside(gold, size, &mut self.rng) else {
                    // No room beside the picture: crop it properly instead.
                    return self.look(Look::Gaze, looks);
                };
                (
                    think::gaze(&mut self.rng, kind, place),
                    Some(bbox),
                    Some(kind.noun()),
                )
            }
        };
        self.stage = Stage::Looking {
            looks: looks + 1,
            how,
        };
        let mut arguments = serde_json::Map::new();
        if let Some(bbox) = bbox {
            arguments.insert("bbox_2d".into(), to_thousandths(bbox, size).into());
        }
        if let Some(label) = label {
            arguments.insert("label".into(), label.into());
        }
        Ok(call(&said, image_search::NAME, arguments))
    }

    fn after_look(
        &mut self,
        looks: u32,
        how: Look,
        found: &[ImageResult],
    ) -> Result<(String, bool), PolicyError> {
        let (kind, gold, title) = self.target()?;
        let top = found.first().map_or("nothing", |r| r.title.as_str());
        let rank = found.iter().position(|r| r.title == title);
        // The top result, or a lower one when everything above it is of another kind.
        let picked = match rank {
            Some(0) => Some(think::identified(
                &mut self.rng,
                title,
                kind,
                name_from_title(title, kind),
            )),
            Some(r) if found[..r].iter().all(|o| Kind::of_page(&o.page) != kind) => {
                Some(think::skip_to(&mut self.rng, r + 1, title, kind))
            }
            _ => None,
        };
        if let Some(said) = picked {
            if matches!(how, Look::Wrong(_)) {
                // The "wrong" crop found it after all: nothing to reflect on.
                self.behaviour.first = "gaze";
            }
            return self.identified(said, name_from_title(title, kind));
        }
        if looks >= MAX_LOOKS || !self.plan.may_gaze {
            return Err(give_up(
                "picture not found",
                format!("{title}, {looks} image searches"),
            ));
        }
        self.behaviour.reflected = true;
        let place = where_in_image(gold, self.size());
        let seen = found
            .first()
            .map_or(Kind::Other, |r| Kind::of_page(&r.page));
        let reflection = match how {
            Look::Glance => think::glance_failed(&mut self.rng, top, kind, place),
            Look::Wrong(WrongRegion::OtherPicture(_)) if seen != kind && seen != Kind::Other => {
                think::wrong_kind(&mut self.rng, top, seen, kind, place)
            }
            _ => think::missed(&mut self.rng, top, kind, place),
        };
        let action = self.look(Look::Gaze, looks)?;
        Ok((replace_think(&action, &reflection), true))
    }

    /// The asked-about picture is `name`: answer, or search for the first fact.
    fn identified(&mut self, said: String, name: &str) -> Result<(String, bool), PolicyError> {
        match self.record.category {
            Category::Text | Category::MultiHop => {
                let evidence = self
                    .record
                    .evidence
                    .first()
                    .ok_or_else(|| give_up("no evidence", &self.record.id))?;
                if !same_name(&evidence.subject, name) {
                    return Err(give_up(
                        "another subject",
                        format!("{name} found, evidence about {}", evidence.subject),
                    ));
                }
                let fact = evidence.fact.clone();
                let said = format!("{said} {}", think::need_fact(&mut self.rng, &fact));
                Ok((self.search(0, name.to_string(), 0, &said), true))
            }
            _ => {
                if !judge(name, &self.gold()).exact_match {
                    return Err(give_up("wrong answer", name));
                }
                self.stage = Stage::Answered;
                Ok((answer(&said, name), true))
            }
        }
    }

    /// A text search for evidence `index` about `subject`; sets the stage.
    fn search(&mut self, index: usize, subject: String, queries: u32, said: &str) -> String {
        let fact = &self.record.evidence[index].fact;
        let query = think::query(&mut self.rng, &subject, fact, queries);
        self.stage = Stage::Searching {
            index,
            subject,
            queries: queries + 1,
        };
        self.behaviour.text_searches += 1;
        let mut arguments = serde_json::Map::new();
        arguments.insert("query".into(), query.into());
        call(said, text_search::NAME, arguments)
    }

    fn after_search(
        &mut self,
        index: usize,
        subject: String,
        queries: u32,
        found: &[TextResult],
    ) -> Result<(String, bool), PolicyError> {
        let evidence = self.record.evidence[index].clone();
        let on_page = found.iter().position(|r| r.page == evidence.page);
        match on_page {
            Some(rank) if contains(&found[rank].snippet, &evidence.value) => {
                let said = think::found_fact(
                    &mut self.rng,
                    rank + 1,
                    &subject,
                    &evidence.fact,
                    &evidence.value,
                );
                self.after_fact(index, said)
            }
            Some(rank) => {
                let said = think::read(&mut self.rng, rank + 1, &subject, &evidence.fact);
                self.stage = Stage::Reading { index, subject };
                self.behaviour.reads += 1;
                let mut arguments = serde_json::Map::new();
                arguments.insert("result".into(), (rank + 1).into());
                Ok((call(&said, read::NAME, arguments), true))
            }
            None if queries < MAX_QUERIES => {
                self.behaviour.reflected = true;
                let said = think::search_again(&mut self.rng, &subject, &evidence.fact);
                Ok((self.search(index, subject, queries, &said), true))
            }
            None => Err(give_up(
                "fact not found",
                format!("{}, {queries} text searches", evidence.page),
            )),
        }
    }

    /// Evidence `index` was found (`said` says where): the next fact, or the answer.
    fn after_fact(&mut self, index: usize, said: String) -> Result<(String, bool), PolicyError> {
        let value = self.record.evidence[index].value.clone();
        match self.record.evidence.get(index + 1) {
            Some(next) => {
                if !same_name(&next.subject, &value) {
                    return Err(give_up(
                        "another subject",
                        format!("{value} found, next fact about {}", next.subject),
                    ));
                }
                let fact = next.fact.clone();
                let said = format!("{said} {}", think::next_hop(&mut self.rng, &value, &fact));
                Ok((self.search(index + 1, value, 0, &said), true))
            }
            None => {
                if !judge(&value, &self.gold()).exact_match {
                    return Err(give_up("wrong answer", &value));
                }
                self.stage = Stage::Answered;
                Ok((answer(&said, &value), true))
            }
        }
    }

    fn gold(&self) -> Vec<String> {
        std::iter::once(self.record.answer.clone())
            .chain(self.record.aliases.iter().cloned())
            .collect()
    }
}

impl Policy for Oracle<'_> {
    fn info(&self) -> ModelInfo {
        ModelInfo {
            id: "oracle (scripted from the scene's gold boxes and evidence)".into(),
            family: self.family,
            quantisation: "none".into(),
            weights: Default::default(),
            max_image_tokens: None,
        }
    }

    fn box_convention(&self, _size: (u32, u32)) -> BoxConvention {
        BoxConvention::Thousandths
    }

    async fn reply(
        &mut self,
        conversation: &Conversation,
        _sampling: &SamplingParams,
        on_event: &mut dyn FnMut(Replying<'_>),
    ) -> Result<Reply, PolicyError> {
        let (text, learn) = self.next()?;
        on_event(Replying::Text(&text));
        self.messages.clone_from(&conversation.messages);
        self.messages.push(Message::text(
            gog_agent::conversation::Role::Assistant,
            text.clone(),
        ));
        self.learn.push(learn);
        Ok(Reply {
            text,
            tokens: Vec::new(),
            prompt: Vec::new(),
            end: ReplyEnd::EndOfTurn,
        })
    }
}

fn call(said: &str, name: &str, arguments: serde_json::Map<String, serde_json::Value>) -> String {
    let call = serde_json::json!({"name": name, "arguments": arguments});
    format!("<think>{said}</think>\n<tool_call>{call}</tool_call>")
}

fn answer(said: &str, answer: &str) -> String {
    format!("<think>{said}</think>\n<answer>{answer}</answer>")
}

/// `turn` with its reasoning replaced by `said`.
fn replace_think(turn: &str, said: &str) -> String {
    match turn.split_once("</think>") {
        Some((_, action)) => format!("<think>{said}</think>{action}"),
        None => turn.to_string(),
    }
}

/// A malformed version of a tool-call turn, as a model slips: the call left open, or a box with
/// a number missing.
fn malformed(turn: &str, rng: &mut impl Rng) -> String {
    const BOX: &str = "\"bbox_2d\":[";
    if turn.contains(BOX)
        && rng.random_bool(0.5)
        && let (Some(start), Some(end)) = (turn.find(BOX), turn.find(']'))
        && let Some((kept, _)) = turn[start + BOX.len()..end].rsplit_once(',')
    {
        return format!("{}{kept}{}", &turn[..start + BOX.len()], &turn[end..]);
    }
    turn.trim_end_matches("</tool_call>").to_string()
}

fn contains(text: &str, value: &str) -> bool {
    text.to_lowercase().contains(&value.to_lowercase())
}

fn same_name(a: &str, b: &str) -> bool {
    gog_agent::judge::normalise(a) == gog_agent::judge::normalise(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slips_break_the_protocol() {
        use rand::SeedableRng;
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let turn = r#"<think>x</think>
<tool_call>{"arguments":{"bbox_2d":[1,2,3,4],"label":"flag"},"name":"image_search"}</tool_call>"#;
        for _ in 0..8 {
            let bad = malformed(turn, &mut rng);
            assert!(gog_agent::parse_turn(&bad).is_err(), "{bad}");
        }
        assert_eq!(
            replace_think(turn, "y"),
            turn.replace("<think>x</think>", "<think>y</think>")
        );
    }

    #[test]
    fn labels_say_what_happened() {
        let behaviour = Behaviour {
            first: "gaze",
            reflected: true,
            slipped: false,
            text_searches: 2,
            reads: 1,
        };
        assert_eq!(behaviour.label(), "gaze+reflect+text2+read");
    }
}
