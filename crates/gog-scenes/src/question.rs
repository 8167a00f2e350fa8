//! Questions, answers and evidence, all drawn from entity facts: nothing is written per entity.
//!
//! A question first names the picture ("The picture on the left shows a monument."), then asks
//! about it. What it asks decides the category: the entity itself (glance, gaze), one of its
//! facts (text), or a fact of the entity one of its facts names (multi-hop: a monument's
//! country, then that country's capital from the country's flag).

use gog_search::corpus::{Entity, EntityKind};

use crate::record::Evidence;

/// Facts of a country (a flag entity) that questions ask about, with how to ask them about
/// "that country" and about "the country it stands in".
pub const COUNTRY_FACTS: [(&str, &str, &str); 3] = [
    (
        "capital",
        "What is the capital of that country?",
        "What is the capital of the country it stands in?",
    ),
    (
        "currency",
        "Which currency is used in that country?",
        "Which currency is used in the country it stands in?",
    ),
    (
        "continent",
        "On which continent is that country?",
        "On which continent is the country it stands in?",
    ),
];

/// A question with its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asked {
    pub question: String,
    pub answer: String,
    pub aliases: Vec<String>,
    pub evidence: Vec<Evidence>,
}

/// "a national flag", "a monument", …: how a question says what the picture shows.
fn kind_phrase(kind: EntityKind) -> &'static str {
    match kind {
        EntityKind::Flag => "a national flag",
        EntityKind::Monument => "a monument",
        EntityKind::Animal => "an animal",
        EntityKind::Logo => "a logo",
    }
}

/// The name a question expects for an entity: a flag's country, anything else's title.
pub fn answer_name(entity: &Entity) -> &str {
    match entity.kind {
        EntityKind::Flag => entity.facts.get("country").unwrap_or(&entity.title),
        _ => &entity.title,
    }
}

/// Aliases that also answer "what is it": the entity's aliases and title, minus the answer
/// itself and minus forms that merely describe the picture ("Japan flag").
fn identity_aliases(entity: &Entity, answer: &str) -> Vec<String> {
    let mut aliases: Vec<String> = std::iter::once(&entity.title)
        .chain(&entity.aliases)
        .filter(|a| {
            *a != answer && !(entity.kind == EntityKind::Flag && a.to_lowercase().contains("flag"))
        })
        .cloned()
        .collect();
    aliases.dedup();
    aliases
}

/// How a question singles out the picture it asks about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// A noun phrase for the picture: "The image", "The picture on the left", "The largest
    /// picture".
    Picture(String),
    /// A logo named by its colour: "red".
    Colour(&'static str),
}

/// The question's first sentence: "The picture on the left shows a monument.", "There is a
/// red logo in the image."
fn opening(subject: &Subject, entity: &Entity) -> String {
    match subject {
        Subject::Picture(picture) => format!("{picture} shows {}.", kind_phrase(entity.kind)),
        Subject::Colour(colour) => {
            let article = if colour.starts_with(['a', 'e', 'i', 'o', 'u']) {
                "an"
            } else {
                "a"
            };
            format!("There is {article} {colour} logo in the image.")
        }
    }
}

/// Asks what the pictured entity is.
pub fn identity(subject: &Subject, entity: &Entity) -> Asked {
    let ask = match entity.kind {
        EntityKind::Flag => "Which country is it the flag of?",
        EntityKind::Monument => "What is it called?",
        EntityKind::Animal => "What animal is it?",
        EntityKind::Logo => "Which brand is it?",
    };
    let answer = answer_name(entity).to_string();
    Asked {
        question: format!("{} {ask}", opening(subject, entity)),
        aliases: identity_aliases(entity, &answer),
        answer,
        evidence: Vec::new(),
    }
}

/// The evidence that `entity` has `fact`, if it has it.
fn evidence(entity: &Entity, fact: &str) -> Option<Evidence> {
    let value = entity.facts.get(fact).filter(|v| !v.trim().is_empty())?;
    Some(Evidence {
        subject: answer_name(entity).to_string(),
        fact: fact.to_string(),
        value: value.clone(),
        page: entity.page.clone(),
    })
}

/// The facts a text question may ask of an entity: those of [`COUNTRY_FACTS`] a flag has, or
/// "country" for a monument that has one.
pub fn text_facts(entity: &Entity) -> Vec<&'static str> {
    match entity.kind {
        EntityKind::Flag => COUNTRY_FACTS
            .iter()
            .map(|(fact, _, _)| *fact)
            .filter(|fact| evidence(entity, fact).is_some())
            .collect(),
        EntityKind::Monument if evidence(entity, "country").is_some() => vec!["country"],
        _ => Vec::new(),
    }
}

/// Asks for one of the entity's facts (one of [`text_facts`]); `None` if it lacks it.
pub fn fact(subject: &Subject, entity: &Entity, fact: &str) -> Option<Asked> {
    let found = evidence(entity, fact)?;
    let ask = match (entity.kind, fact) {
        (EntityKind::Monument, "country") => "In which country is it?",
        (EntityKind::Flag, _) => COUNTRY_FACTS.iter().find(|(f, _, _)| *f == fact)?.1,
        _ => return None,
    };
    Some(Asked {
        question: format!("{} {ask}", opening(subject, entity)),
        answer: found.value.clone(),
        aliases: Vec::new(),
        evidence: vec![found],
    })
}

/// Asks for a fact of the country a monument stands in, found on that country's flag entity.
pub fn multi_hop(
    subject: &Subject,
    monument: &Entity,
    country: &Entity,
    fact: &str,
) -> Option<Asked> {
    let first = evidence(monument, "country")?;
    if answer_name(country) != first.value {
        return None;
    }
    let second = evidence(country, fact)?;
    let ask = COUNTRY_FACTS.iter().find(|(f, _, _)| *f == fact)?.2;
    Some(Asked {
        question: format!("{} {ask}", opening(subject, monument)),
        answer: second.value.clone(),
        aliases: Vec::new(),
        evidence: vec![first, second],
    })
}

/// Asks how many pictures the scene holds.
pub fn count(pictures: usize) -> Asked {
    const WORDS: [&str; 5] = ["zero", "one", "two", "three", "four"];
    Asked {
        question: "How many framed pictures are placed on the photo?".into(),
        answer: pictures.to_string(),
        aliases: WORDS
            .get(pictures)
            .map(|w| w.to_string())
            .into_iter()
            .collect(),
        evidence: Vec::new(),
    }
}

/// A colour's everyday name from `#RRGGBB`, by hue, or black, white or grey when it has little
/// colour; `None` if the text is not such a colour.
pub fn colour_name(hex: &str) -> Option<&'static str> {
    let hex = hex.strip_prefix('#')?;
    if hex.len() != 6 {
        return None;
    }
    let channel = |i: usize| {
        hex.get(i..i + 2)
            .and_then(|c| u8::from_str_radix(c, 16).ok())
            .map(|c| f32::from(c) / 255.0)
    };
    let (r, g, b) = (channel(0)?, channel(2)?, channel(4)?);
    let max = r.max(g).max(b);
    let min = r.min(g).min(b);
    let lightness = (max + min) / 2.0;
    let chroma = max - min;
    if chroma < 0.15 {
        return Some(if lightness < 0.2 {
            "black"
        } else if lightness > 0.85 {
            "white"
        } else {
            "grey"
        });
    }
    let hue = if max == r {
        60.0 * ((g - b) / chroma).rem_euclid(6.0)
    } else if max == g {
        60.0 * ((b - r) / chroma + 2.0)
    } else {
        60.0 * ((r - g) / chroma + 4.0)
    };
    Some(match hue {
        h if !(15.0..345.0).contains(&h) => "red",
        h if h < 45.0 => "orange",
        h if h < 70.0 => "yellow",
        h if h < 170.0 => "green",
        h if h < 200.0 => "teal",
        h if h < 260.0 => "blue",
        h if h < 300.0 => "purple",
        _ => "pink",
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use gog_search::corpus::{Picture, Provenance, Span};

    fn picture(np: &str) -> Subject {
        Subject::Picture(np.into())
    }

    fn entity(id: &str, kind: EntityKind, title: &str, facts: &[(&str, &str)]) -> Entity {
        Entity {
            id: id.into(),
            kind,
            title: title.into(),
            aliases: vec![format!("{title} flag"), "Nippon".into()],
            description: String::new(),
            facts: facts
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            picture: Picture {
                thumbnail: Span { offset: 0, len: 0 },
                mime: "image/png".into(),
                width: 1,
                height: 1,
            },
            page: format!("page:{id}"),
            provenance: Provenance {
                package: String::new(),
                path: String::new(),
                licence: String::new(),
                attribution: String::new(),
            },
        }
    }

    #[test]
    fn questions_come_from_facts() {
        let japan = entity(
            "flag:jp",
            EntityKind::Flag,
            "Flag of Japan",
            &[("country", "Japan"), ("capital", "Tokyo"), ("currency", "")],
        );
        let asked = identity(&picture("The picture on the left"), &japan);
        assert_eq!(
            asked.question,
            "The picture on the left shows a national flag. Which country is it the flag of?"
        );
        assert_eq!(asked.answer, "Japan");
        assert_eq!(asked.aliases, ["Nippon"]);
        assert_eq!(text_facts(&japan), ["capital"]);
        let capital = fact(&picture("The image"), &japan, "capital").unwrap();
        assert_eq!(capital.answer, "Tokyo");
        assert_eq!(capital.evidence[0].subject, "Japan");
        assert_eq!(capital.evidence[0].page, "page:flag:jp");
        assert!(fact(&picture("The image"), &japan, "currency").is_none());

        let temple = entity(
            "monument:kinkaku-ji",
            EntityKind::Monument,
            "Kinkaku-ji",
            &[("country", "Japan")],
        );
        let hop = multi_hop(&picture("The largest picture"), &temple, &japan, "capital").unwrap();
        assert_eq!(
            hop.question,
            "The largest picture shows a monument. What is the capital of the country it stands in?"
        );
        assert_eq!(hop.answer, "Tokyo");
        let path: Vec<_> = hop.evidence.iter().map(|e| e.page.as_str()).collect();
        assert_eq!(path, ["page:monument:kinkaku-ji", "page:flag:jp"]);
        let elsewhere = entity(
            "flag:fr",
            EntityKind::Flag,
            "Flag of France",
            &[("country", "France"), ("capital", "Paris")],
        );
        assert!(multi_hop(&picture("The image"), &temple, &elsewhere, "capital").is_none());
        assert_eq!(count(3).aliases, ["three"]);
        let logo = entity(
            "logo:x",
            EntityKind::Logo,
            "X",
            &[("brand colour", "#000000")],
        );
        assert_eq!(
            identity(&Subject::Colour("black"), &logo).question,
            "There is a black logo in the image. Which brand is it?"
        );
    }

    #[test]
    fn colours_are_named_by_hue() {
        for (hex, name) in [
            ("#E60012", "red"),
            ("#FF9900", "orange"),
            ("#ECD53F", "yellow"),
            ("#3DDC84", "green"),
            ("#512BD4", "blue"),
            ("#000000", "black"),
            ("#FFFFFF", "white"),
            ("#777777", "grey"),
            ("#1DA1F2", "blue"),
            ("#FF0080", "pink"),
        ] {
            assert_eq!(colour_name(hex), Some(name), "{hex}");
        }
        for bad in ["", "#12345", "123456", "#GG0000", "#ÿÿÿ"] {
            assert_eq!(colour_name(bad), None, "{bad}");
        }
    }
}
