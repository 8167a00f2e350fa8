//! How questions are worded. Each template has several wordings, from the formal ("The picture
//! on the left shows a national flag. Which country is it the flag of?") to what a person
//! types ("which country is the flag on the left from"), so that a model learns the question,
//! not one sentence. A wording names the picture by `{opening}`, a sentence saying what the
//! picture shows, or by `{np}`, a noun phrase for it ("the flag on the left", "this monument",
//! "the red logo").

use gog_search::corpus::EntityKind;
use rand::Rng;

use crate::draw;
use crate::question::{CountryFact, Template, TextFact};
use crate::refer::Subject;

/// Which wordings a generator version uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phrasing {
    /// One formal wording per template: version 1's questions.
    Single,
    /// Every wording.
    Varied,
}

/// A wording for `template`, drawn from those `phrasing` allows.
pub fn pick(template: Template, phrasing: Phrasing, rng: &mut impl Rng) -> &'static str {
    draw::one_of(rng, wordings(template, phrasing))
}

/// `wording` filled in for the picture `about` names (its subject and kind), or as it is when
/// the question is about the whole scene.
pub fn fill(wording: &str, about: Option<(Subject, EntityKind)>) -> String {
    match about {
        None => wording.to_string(),
        Some((subject, kind)) => wording
            .replace("{opening}", &opening(subject, kind))
            .replace("{np}", &noun_phrase(subject, kind)),
    }
}

/// The wordings of `template`; with [`Phrasing::Single`], only the first (the formal one).
pub fn wordings(template: Template, phrasing: Phrasing) -> &'static [&'static str] {
    let all: &'static [&'static str] = match template {
        Template::Identity(EntityKind::Flag) => &[
            "{opening} Which country is it the flag of?",
            "Which country is {np} from?",
            "which country is {np} from",
            "What country does {np} belong to?",
            "name the country of {np}",
            "{np} - which country?",
        ],
        Template::Identity(EntityKind::Monument) => &[
            "{opening} What is it called?",
            "What is {np} called?",
            "whats {np} called",
            "What is the name of {np}?",
            "name of {np}?",
        ],
        Template::Identity(EntityKind::Animal) => &[
            "{opening} What animal is it?",
            "What species is {np}?",
            "what is {np}",
            "Name {np}.",
            "what kind of animal is {np}?",
        ],
        Template::Identity(EntityKind::Logo) => &[
            "{opening} Which brand is it?",
            "What brand is {np}?",
            "Which brand does {np} belong to?",
            "which company is {np} for",
            "brand of {np}?",
        ],
        Template::Fact(TextFact::OfCountry(CountryFact::Capital)) => &[
            "{opening} What is the capital of that country?",
            "What is the capital of the country {np} belongs to?",
            "capital of the country of {np}?",
            "whats the capital of the country {np} is from",
        ],
        Template::Fact(TextFact::OfCountry(CountryFact::Currency)) => &[
            "{opening} Which currency is used in that country?",
            "Which currency is used in the country {np} belongs to?",
            "currency of the country of {np}?",
            "what money do they use in the country {np} is from",
        ],
        Template::Fact(TextFact::OfCountry(CountryFact::Continent)) => &[
            "{opening} On which continent is that country?",
            "On which continent is the country {np} belongs to?",
            "continent of the country of {np}?",
            "which continent is the country of {np} in",
        ],
        Template::Fact(TextFact::MonumentCountry) => &[
            "{opening} In which country is it?",
            "In which country is {np}?",
            "which country is {np} in",
            "What country is {np} located in?",
        ],
        Template::MultiHop(CountryFact::Capital) => &[
            "{opening} What is the capital of the country it stands in?",
            "What is the capital of the country where {np} stands?",
            "capital of the country {np} is in?",
            "whats the capital of the country {np} is located in",
        ],
        Template::MultiHop(CountryFact::Currency) => &[
            "{opening} Which currency is used in the country it stands in?",
            "Which currency is used in the country where {np} stands?",
            "currency of the country {np} is in?",
            "what money is used in the country {np} is in",
        ],
        Template::MultiHop(CountryFact::Continent) => &[
            "{opening} On which continent is the country it stands in?",
            "On which continent is the country where {np} stands?",
            "continent of the country {np} is in?",
        ],
        // Version 1's pictures were all framed prints on photos; later ones need not be.
        Template::Count => {
            return match phrasing {
                Phrasing::Single => &["How many framed pictures are placed on the photo?"],
                Phrasing::Varied => &[
                    "How many pictures are in the image?",
                    "how many pictures are there",
                    "Count the pictures in this image.",
                    "how many pictures can you see?",
                    "How many pictures does the image contain?",
                    "number of pictures?",
                ],
            };
        }
    };
    match phrasing {
        Phrasing::Single => &all[..1],
        Phrasing::Varied => all,
    }
}

/// "a national flag", "a monument", …: how an opening says what the picture shows.
fn kind_phrase(kind: EntityKind) -> &'static str {
    match kind {
        EntityKind::Flag => "a national flag",
        EntityKind::Monument => "a monument",
        EntityKind::Animal => "an animal",
        EntityKind::Logo => "a logo",
    }
}

/// "flag", "monument", …: the noun a noun phrase names the picture by.
fn kind_noun(kind: EntityKind) -> &'static str {
    match kind {
        EntityKind::Flag => "flag",
        EntityKind::Monument => "monument",
        EntityKind::Animal => "animal",
        EntityKind::Logo => "logo",
    }
}

/// The opening sentence: "The picture on the left shows a monument.", "There is a red logo in
/// the image."
fn opening(subject: Subject, kind: EntityKind) -> String {
    let shows = |picture: &str| format!("{picture} shows {}.", kind_phrase(kind));
    match subject {
        Subject::Whole => shows("The image"),
        Subject::Position(position) => shows(&format!("The picture {position}")),
        Subject::Largest => shows("The largest picture"),
        Subject::Smallest => shows("The smallest picture"),
        Subject::Kind => shows("Only one picture"),
        Subject::Colour(colour) => {
            let article = if colour.starts_with(['a', 'e', 'i', 'o', 'u']) {
                "an"
            } else {
                "a"
            };
            format!(
                "There is {article} {colour} {} in the image.",
                kind_noun(kind)
            )
        }
    }
}

/// The noun phrase: "this flag", "the flag on the left", "the flag in the largest picture",
/// "the red logo", "the flag".
fn noun_phrase(subject: Subject, kind: EntityKind) -> String {
    let noun = kind_noun(kind);
    match subject {
        Subject::Whole => format!("this {noun}"),
        Subject::Position(position) => format!("the {noun} {position}"),
        Subject::Largest => format!("the {noun} in the largest picture"),
        Subject::Smallest => format!("the {noun} in the smallest picture"),
        Subject::Colour(colour) => format!("the {colour} {noun}"),
        Subject::Kind => format!("the {noun}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::question::COUNTRY_FACTS;
    use rand::SeedableRng;

    fn templates() -> Vec<Template> {
        let mut all: Vec<Template> = [
            EntityKind::Flag,
            EntityKind::Monument,
            EntityKind::Animal,
            EntityKind::Logo,
        ]
        .map(Template::Identity)
        .to_vec();
        all.push(Template::Fact(TextFact::MonumentCountry));
        for fact in COUNTRY_FACTS {
            all.push(Template::Fact(TextFact::OfCountry(fact)));
            all.push(Template::MultiHop(fact));
        }
        all.push(Template::Count);
        all
    }

    #[test]
    fn version_one_questions_read_as_they_did() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
        let mut ask = |template, about| fill(pick(template, Phrasing::Single, &mut rng), about);
        assert_eq!(
            ask(
                Template::Identity(EntityKind::Flag),
                Some((Subject::Position("on the left"), EntityKind::Flag))
            ),
            "The picture on the left shows a national flag. Which country is it the flag of?"
        );
        assert_eq!(
            ask(
                Template::MultiHop(CountryFact::Capital),
                Some((Subject::Largest, EntityKind::Monument))
            ),
            "The largest picture shows a monument. What is the capital of the country it stands in?"
        );
        assert_eq!(
            ask(
                Template::Identity(EntityKind::Logo),
                Some((Subject::Colour("orange"), EntityKind::Logo))
            ),
            "There is an orange logo in the image. Which brand is it?"
        );
        assert_eq!(
            ask(Template::Count, None),
            "How many framed pictures are placed on the photo?"
        );
    }

    #[test]
    fn every_wording_fills_for_every_subject() {
        let subjects = [
            Subject::Whole,
            Subject::Position("at the top"),
            Subject::Largest,
            Subject::Smallest,
            Subject::Colour("red"),
            Subject::Kind,
        ];
        for template in templates() {
            let kind = match template {
                Template::Identity(kind) => kind,
                Template::Fact(TextFact::OfCountry(_)) => EntityKind::Flag,
                _ => EntityKind::Monument,
            };
            let varied = wordings(template, Phrasing::Varied);
            assert!(varied.len() >= 3, "{template:?} has few wordings");
            assert!(
                varied
                    .iter()
                    .any(|w| w.chars().next().is_some_and(char::is_lowercase))
            );
            for wording in varied {
                for subject in subjects {
                    let about = (template != Template::Count).then_some((subject, kind));
                    let filled = fill(wording, about);
                    assert!(!filled.contains(['{', '}']), "{filled}");
                    assert!(!filled.contains("  "), "{filled}");
                }
            }
        }
        assert!(
            !wordings(Template::Count, Phrasing::Varied)
                .iter()
                .any(|w| w.contains("framed")),
            "unframed pictures count too"
        );
    }
}
