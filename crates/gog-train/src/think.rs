//! The oracle's words: short, grounded reasoning (what is seen, what is missing, which region)
//! and the text queries it searches with. Each has a few wordings, drawn at random, so the model
//! learns what they say rather than one sentence.

use rand::Rng;
use rand::seq::IndexedRandom;

use crate::scene::Kind;

fn pick<'a>(rng: &mut impl Rng, choices: &[&'a str]) -> &'a str {
    choices.choose(rng).copied().unwrap_or_default()
}

/// Fills `{name}` placeholders in `template` from `values`.
fn fill(template: &str, values: &[(&str, &str)]) -> String {
    values
        .iter()
        .fold(template.to_string(), |text, (name, value)| {
            text.replace(&format!("{{{name}}}"), value)
        })
}

pub fn count(rng: &mut impl Rng, n: usize) -> String {
    let n = n.to_string();
    fill(
        pick(
            rng,
            &[
                "I count {n} pictures on the photo.",
                "There are {n} pictures in the image.",
                "The image holds {n} pictures; nothing needs searching.",
            ],
        ),
        &[("n", &n)],
    )
}

pub fn glance(rng: &mut impl Rng, kind: Kind) -> String {
    fill(
        pick(
            rng,
            &[
                "One {kind} fills most of the image. I will search the whole image.",
                "The image is mostly one {kind}; a search of the whole image should find it.",
                "A single large {kind}. Searching the whole image.",
            ],
        ),
        &[("kind", kind.noun())],
    )
}

pub fn gaze(rng: &mut impl Rng, kind: Kind, place: &str) -> String {
    fill(
        pick(
            rng,
            &[
                "The question is about the {kind} at the {place}. I will crop it and search.",
                "The {kind} asked about is at the {place}; a crop of it will search better than the whole image.",
                "I need the {kind} at the {place}. Cropping that region.",
            ],
        ),
        &[("kind", kind.noun()), ("place", place)],
    )
}

/// After a crop of the wrong picture: the results are of another kind.
pub fn wrong_kind(rng: &mut impl Rng, top: &str, seen: Kind, kind: Kind, place: &str) -> String {
    fill(
        pick(
            rng,
            &[
                "The results show {top}, a {seen}, but the question asks about a {kind}: wrong region. The {kind} is at the {place}.",
                "{top} is a {seen}, not the {kind} asked about. That crop was wrong; the {kind} is at the {place}.",
            ],
        ),
        &[
            ("top", top),
            ("seen", seen.noun()),
            ("kind", kind.noun()),
            ("place", place),
        ],
    )
}

/// After a crop that missed, or a search whose results do not fit.
pub fn missed(rng: &mut impl Rng, top: &str, kind: Kind, place: &str) -> String {
    fill(
        pick(
            rng,
            &[
                "The results ({top}, …) do not fit the {kind}: the crop missed it. The {kind} is at the {place}; cropping it tightly.",
                "{top} does not match the {kind} in the image. The region was off; the {kind} is at the {place}.",
            ],
        ),
        &[("top", top), ("kind", kind.noun()), ("place", place)],
    )
}

/// After a whole-image search that found something else.
pub fn glance_failed(rng: &mut impl Rng, top: &str, kind: Kind, place: &str) -> String {
    fill(
        pick(
            rng,
            &[
                "The whole-image search found {top}, not the {kind} asked about. I will crop the {kind} at the {place}.",
                "{top} is not the {kind}. Searching the whole image was not enough; cropping the {place}.",
            ],
        ),
        &[("top", top), ("kind", kind.noun()), ("place", place)],
    )
}

/// A lower-ranked result is the kind asked about, the ones above it are not.
pub fn skip_to(rng: &mut impl Rng, rank: usize, title: &str, kind: Kind) -> String {
    let rank = rank.to_string();
    fill(
        pick(
            rng,
            &[
                "The results above {rank} are not a {kind}; result {rank}, {title}, is.",
                "Result {rank}, {title}, is the {kind}; the others are something else.",
            ],
        ),
        &[("rank", &rank), ("title", title), ("kind", kind.noun())],
    )
}

/// The search found `title`; for a flag the answer is its country, `name`.
pub fn identified(rng: &mut impl Rng, title: &str, kind: Kind, name: &str) -> String {
    let found = fill(
        pick(
            rng,
            &[
                "The top result is {title}.",
                "The search shows {title}.",
                "It is {title}.",
            ],
        ),
        &[("title", title)],
    );
    if name == title {
        return found;
    }
    format!("{found} The {} is {name}'s.", kind.noun())
}

pub fn need_fact(rng: &mut impl Rng, fact: &str) -> String {
    fill(
        pick(
            rng,
            &[
                "The image does not show its {fact}; searching for it.",
                "Now I need its {fact}, which only a text search can give.",
            ],
        ),
        &[("fact", fact)],
    )
}

pub fn found_fact(
    rng: &mut impl Rng,
    rank: usize,
    subject: &str,
    fact: &str,
    value: &str,
) -> String {
    let rank = rank.to_string();
    fill(
        pick(
            rng,
            &[
                "Result {rank} says the {fact} of {subject} is {value}.",
                "According to result {rank}, {subject}'s {fact} is {value}.",
            ],
        ),
        &[
            ("rank", &rank),
            ("subject", subject),
            ("fact", fact),
            ("value", value),
        ],
    )
}

pub fn found_on_page(rng: &mut impl Rng, subject: &str, fact: &str, value: &str) -> String {
    fill(
        pick(
            rng,
            &[
                "The page says the {fact} of {subject} is {value}.",
                "The page gives {subject}'s {fact}: {value}.",
            ],
        ),
        &[("subject", subject), ("fact", fact), ("value", value)],
    )
}

pub fn next_hop(rng: &mut impl Rng, value: &str, fact: &str) -> String {
    fill(
        pick(
            rng,
            &[
                "Now I need the {fact} of {value}.",
                "Next: the {fact} of {value}.",
            ],
        ),
        &[("value", value), ("fact", fact)],
    )
}

pub fn read(rng: &mut impl Rng, rank: usize, subject: &str, fact: &str) -> String {
    let rank = rank.to_string();
    fill(
        pick(
            rng,
            &[
                "Result {rank} is about {subject}, but its snippet does not give the {fact}. Reading it.",
                "The snippet of result {rank} lacks the {fact} of {subject}; I will read the page.",
            ],
        ),
        &[("rank", &rank), ("subject", subject), ("fact", fact)],
    )
}

pub fn search_again(rng: &mut impl Rng, subject: &str, fact: &str) -> String {
    fill(
        pick(
            rng,
            &[
                "No result gives the {fact} of {subject}. Searching with other words.",
                "The results miss {subject}'s {fact}; trying another query.",
            ],
        ),
        &[("subject", subject), ("fact", fact)],
    )
}

/// A text query for `fact` of `subject`; `attempt` 0 is the plain one, later ones reword it.
pub fn query(rng: &mut impl Rng, subject: &str, fact: &str, attempt: u32) -> String {
    let template = if attempt == 0 {
        pick(rng, &["{subject} {fact}", "{fact} of {subject}"])
    } else {
        pick(rng, &["{subject}", "what is the {fact} of {subject}"])
    };
    fill(template, &[("subject", subject), ("fact", fact)])
}
