//! Answers and evidence, all drawn from entity facts: nothing is written per entity.
//!
//! What a question asks decides its category: the entity itself (glance, gaze), one of its
//! facts (text), or a fact of the entity one of its facts names (multi-hop: a monument's
//! country, then that country's capital from the country's flag). How it is worded is
//! [`crate::phrasing`]'s business; this module fixes what it asks and what answers it.

use gog_search::corpus::{Entity, EntityKind};

use crate::record::Evidence;

/// Facts of a country (a flag entity) that questions ask about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountryFact {
    Capital,
    Currency,
    Continent,
}

/// Every [`CountryFact`], in the order questions draw them from.
pub const COUNTRY_FACTS: [CountryFact; 3] = [
    CountryFact::Capital,
    CountryFact::Currency,
    CountryFact::Continent,
];

impl CountryFact {
    /// The fact's key in a flag entity's facts.
    pub fn key(self) -> &'static str {
        match self {
            CountryFact::Capital => "capital",
            CountryFact::Currency => "currency",
            CountryFact::Continent => "continent",
        }
    }
}

/// A fact a text question asks of a pictured entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextFact {
    /// A flag's country's capital, currency or continent.
    OfCountry(CountryFact),
    /// The country a monument stands in.
    MonumentCountry,
}

impl TextFact {
    pub fn key(self) -> &'static str {
        match self {
            TextFact::OfCountry(fact) => fact.key(),
            TextFact::MonumentCountry => "country",
        }
    }
}

/// What a question asks, which picks its wordings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Template {
    /// What the pictured entity of this kind is.
    Identity(EntityKind),
    Fact(TextFact),
    /// A fact of the country the pictured monument stands in.
    MultiHop(CountryFact),
    /// How many pictures there are.
    Count,
}

/// A question's template with its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asked {
    pub template: Template,
    pub answer: String,
    pub aliases: Vec<String>,
    pub evidence: Vec<Evidence>,
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

/// Asks what the pictured entity is.
pub fn identity(entity: &Entity) -> Asked {
    let answer = answer_name(entity).to_string();
    Asked {
        template: Template::Identity(entity.kind),
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

/// The facts a text question may ask of an entity: the [`COUNTRY_FACTS`] a flag has, or its
/// country for a monument that has one.
pub fn text_facts(entity: &Entity) -> Vec<TextFact> {
    match entity.kind {
        EntityKind::Flag => COUNTRY_FACTS
            .into_iter()
            .filter(|fact| evidence(entity, fact.key()).is_some())
            .map(TextFact::OfCountry)
            .collect(),
        EntityKind::Monument if evidence(entity, "country").is_some() => {
            vec![TextFact::MonumentCountry]
        }
        _ => Vec::new(),
    }
}

/// Asks for one of the entity's facts (one of [`text_facts`]); `None` if it lacks it.
pub fn fact(entity: &Entity, fact: TextFact) -> Option<Asked> {
    let fits = matches!(
        (entity.kind, fact),
        (EntityKind::Flag, TextFact::OfCountry(_))
            | (EntityKind::Monument, TextFact::MonumentCountry)
    );
    let found = evidence(entity, fact.key()).filter(|_| fits)?;
    Some(Asked {
        template: Template::Fact(fact),
        answer: found.value.clone(),
        aliases: Vec::new(),
        evidence: vec![found],
    })
}

/// Asks for a fact of the country a monument stands in, found on that country's flag entity.
pub fn multi_hop(monument: &Entity, country: &Entity, fact: CountryFact) -> Option<Asked> {
    let first = evidence(monument, "country")?;
    if answer_name(country) != first.value {
        return None;
    }
    let second = evidence(country, fact.key())?;
    Some(Asked {
        template: Template::MultiHop(fact),
        answer: second.value.clone(),
        aliases: Vec::new(),
        evidence: vec![first, second],
    })
}

/// Asks how many pictures the scene holds.
pub fn count(pictures: usize) -> Asked {
    const WORDS: [&str; 6] = ["zero", "one", "two", "three", "four", "five"];
    Asked {
        template: Template::Count,
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
pub(crate) mod tests {
    use super::*;
    use gog_search::corpus::{Picture, Provenance, Span};

    pub(crate) fn entity(
        id: &str,
        kind: EntityKind,
        title: &str,
        facts: &[(&str, &str)],
    ) -> Entity {
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

    pub(crate) fn japan() -> Entity {
        entity(
            "flag:jp",
            EntityKind::Flag,
            "Flag of Japan",
            &[("country", "Japan"), ("capital", "Tokyo"), ("currency", "")],
        )
    }

    pub(crate) fn kinkaku_ji() -> Entity {
        entity(
            "monument:kinkaku-ji",
            EntityKind::Monument,
            "Kinkaku-ji",
            &[("country", "Japan")],
        )
    }

    #[test]
    fn answers_come_from_facts() {
        let japan = japan();
        let asked = identity(&japan);
        assert_eq!(asked.template, Template::Identity(EntityKind::Flag));
        assert_eq!(asked.answer, "Japan");
        assert_eq!(asked.aliases, ["Nippon"]);
        let capital = TextFact::OfCountry(CountryFact::Capital);
        assert_eq!(text_facts(&japan), [capital]);
        let asked = fact(&japan, capital).unwrap();
        assert_eq!(asked.answer, "Tokyo");
        assert_eq!(asked.evidence[0].subject, "Japan");
        assert_eq!(asked.evidence[0].page, "page:flag:jp");
        assert!(fact(&japan, TextFact::OfCountry(CountryFact::Currency)).is_none());
        assert!(fact(&japan, TextFact::MonumentCountry).is_none());

        let temple = kinkaku_ji();
        assert_eq!(text_facts(&temple), [TextFact::MonumentCountry]);
        let hop = multi_hop(&temple, &japan, CountryFact::Capital).unwrap();
        assert_eq!(hop.answer, "Tokyo");
        let path: Vec<_> = hop.evidence.iter().map(|e| e.page.as_str()).collect();
        assert_eq!(path, ["page:monument:kinkaku-ji", "page:flag:jp"]);
        let elsewhere = entity(
            "flag:fr",
            EntityKind::Flag,
            "Flag of France",
            &[("country", "France"), ("capital", "Paris")],
        );
        assert!(multi_hop(&temple, &elsewhere, CountryFact::Capital).is_none());
        assert_eq!(count(3).aliases, ["three"]);
        assert_eq!(count(5).aliases, ["five"]);
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
