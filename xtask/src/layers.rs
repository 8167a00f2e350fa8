//! The layering `docs/ARCHITECTURE.md` describes, checked: which workspace crate may depend on
//! which (read from `cargo metadata`), and no circle among any crate's modules (read from the
//! `crate::` paths of its sources).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::{paths, process};

/// Each workspace crate and the workspace crates it may depend on (normal and build
/// dependencies; tests and benches may use any crate that does not depend on them, which cargo
/// itself enforces). A crate missing here is an error: a new crate gets a place in the layers.
const ALLOWED: &[(&str, &[&str])] = &[
    ("gog-types", &[]),
    ("gog-webgpu", &[]),
    ("xtask", &["gog-types"]),
    ("gog-search", &["gog-types"]),
    ("gog-vlm", &["gog-types", "gog-webgpu"]),
    ("gog-agent", &["gog-types"]),
    ("gog-vlm-policy", &["gog-agent", "gog-types", "gog-vlm"]),
    ("gog-scenes", &["gog-search", "gog-types"]),
    ("gog-proxy-core", &["gog-agent", "gog-search", "gog-types"]),
    ("gog-corpus", &["gog-scenes", "gog-search", "gog-types"]),
    (
        "gog-train",
        &[
            "gog-agent",
            "gog-scenes",
            "gog-search",
            "gog-types",
            "gog-vlm",
            "gog-vlm-policy",
        ],
    ),
    (
        "gog-cli",
        &[
            "gog-agent",
            "gog-scenes",
            "gog-search",
            "gog-train",
            "gog-types",
            "gog-vlm",
            "gog-vlm-policy",
        ],
    ),
    ("gog-app", &["gog-agent", "gog-types", "gog-webgpu"]),
    (
        "gog-app-worker",
        &[
            "gog-agent",
            "gog-app",
            "gog-search",
            "gog-types",
            "gog-vlm",
            "gog-vlm-policy",
            "gog-webgpu",
        ],
    ),
    (
        "gog-proxy-worker",
        &["gog-agent", "gog-proxy-core", "gog-search", "gog-types"],
    ),
];

/// Checks both rules over the workspace; the error lists every breach.
pub fn check() -> Result<String> {
    let metadata = process::output(
        std::process::Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
            .current_dir(paths::workspace())
            .args(["metadata", "--format-version=1", "--no-deps", "--locked"]),
    )?;
    let metadata: serde_json::Value =
        serde_json::from_str(&metadata).context("cargo metadata is not JSON")?;
    let crates = workspace_crates(&metadata);
    let mut breaches = upward_dependencies(&crates);
    for krate in &crates {
        for root in &krate.roots {
            breaches.extend(
                module_circles(root)?
                    .into_iter()
                    .map(|circle| format!("{}: {circle}", krate.name)),
            );
        }
    }
    if !breaches.is_empty() {
        bail!(
            "the layers do not hold (docs/ARCHITECTURE.md, xtask/src/layers.rs):\n  {}",
            breaches.join("\n  ")
        );
    }
    Ok(format!(
        " ({} crates in their layers, no module circles)",
        crates.len()
    ))
}

/// A workspace crate: its name, the workspace crates it depends on outside tests, and the root
/// files of its library and binaries.
#[derive(Debug)]
struct Crate {
    name: String,
    dependencies: BTreeSet<String>,
    roots: Vec<PathBuf>,
}

fn workspace_crates(metadata: &serde_json::Value) -> Vec<Crate> {
    let packages = metadata["packages"].as_array().cloned().unwrap_or_default();
    let names: BTreeSet<&str> = packages.iter().filter_map(|p| p["name"].as_str()).collect();
    packages
        .iter()
        .filter_map(|package| {
            let name = package["name"].as_str()?.to_string();
            let dependencies = package["dependencies"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|d| d["kind"].as_str() != Some("dev"))
                .filter_map(|d| d["name"].as_str())
                .filter(|d| names.contains(d))
                .map(str::to_string)
                .collect();
            let roots = package["targets"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|t| {
                    t["kind"].as_array().is_some_and(|kinds| {
                        kinds
                            .iter()
                            .any(|k| matches!(k.as_str(), Some("lib" | "bin" | "cdylib" | "rlib")))
                    })
                })
                .filter_map(|t| t["src_path"].as_str().map(PathBuf::from))
                .collect();
            Some(Crate {
                name,
                dependencies,
                roots,
            })
        })
        .collect()
}

/// A line per dependency the layers do not allow, and per crate they do not place.
fn upward_dependencies(crates: &[Crate]) -> Vec<String> {
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let mut breaches = Vec::new();
    for krate in crates {
        let Some(may) = allowed.get(krate.name.as_str()) else {
            breaches.push(format!("{} has no place in the layers", krate.name));
            continue;
        };
        for dependency in &krate.dependencies {
            if !may.contains(&dependency.as_str()) {
                breaches.push(format!(
                    "{} depends on {dependency}, which its layer may not use",
                    krate.name
                ));
            }
        }
    }
    breaches
}

/// The circles among the top-level modules of the crate whose root file is `root`, each as
/// `a → b → a (a.rs:3 uses crate::b; b.rs:9 uses crate::a)`.
fn module_circles(root: &Path) -> Result<Vec<String>> {
    let dir = root.parent().context("a crate root has a directory")?;
    let root_text =
        std::fs::read_to_string(root).with_context(|| format!("cannot read {}", root.display()))?;
    let modules = declared_modules(&root_text);
    let exports = root_exports(&root_text, &modules);
    // module → module it uses → where, first seen.
    let mut edges: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for module in &modules {
        for (file, top_level) in module_files(dir, module) {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let relative = file
                .strip_prefix(dir)
                .unwrap_or(&file)
                .display()
                .to_string();
            for (line, used) in crate_paths(&outside_tests(&text), top_level) {
                let target = if modules.contains(&used) {
                    used
                } else if let Some(module) = exports.get(&used) {
                    module.clone()
                } else {
                    continue;
                };
                if target != *module {
                    edges
                        .entry(module.clone())
                        .or_default()
                        .entry(target.clone())
                        .or_insert_with(|| format!("{relative}:{line} uses crate::{target}"));
                }
            }
        }
    }
    Ok(strongly_connected(&modules, &edges)
        .into_iter()
        .filter(|component| component.len() > 1)
        .map(|component| describe_circle(&component, &edges))
        .collect())
}

/// `mod name;` declarations (any visibility) of a root file.
fn declared_modules(root_text: &str) -> BTreeSet<String> {
    code_lines(root_text)
        .filter_map(|(_, line)| {
            let rest = line.trim_start();
            let rest = rest.strip_prefix("pub ").unwrap_or(rest);
            let rest = rest
                .strip_prefix("pub(crate) ")
                .unwrap_or(rest)
                .strip_prefix("mod ")?;
            let name = rest.strip_suffix(';')?.trim();
            is_identifier(name).then(|| name.to_string())
        })
        .collect()
}

/// Items the root re-exports from a module (`pub use module::{A, b::C as D};`), by the name
/// `crate::` paths use.
fn root_exports(root_text: &str, modules: &BTreeSet<String>) -> BTreeMap<String, String> {
    let code: String = code_lines(root_text)
        .map(|(_, line)| line)
        .collect::<Vec<_>>()
        .join("\n");
    let mut exports = BTreeMap::new();
    for statement in code.split(';') {
        let Some(path) = statement.trim().strip_prefix("pub use ") else {
            continue;
        };
        let path = path
            .trim()
            .trim_start_matches("crate::")
            .trim_start_matches("self::");
        let Some((module, rest)) = path.split_once("::") else {
            continue;
        };
        if !modules.contains(module) {
            continue;
        }
        let items = rest.trim().trim_start_matches('{').trim_end_matches('}');
        for item in items.split(',') {
            let item = item.trim();
            let name = match item.rsplit_once(" as ") {
                Some((_, alias)) => alias.trim(),
                None => item.rsplit("::").next().unwrap_or(item),
            };
            if is_identifier(name) {
                exports.insert(name.to_string(), module.to_string());
            }
        }
    }
    exports
}

/// The files of top-level module `module` in `dir`, each with whether it is the module's own
/// file (where `super::` is the crate root) or a submodule's.
fn module_files(dir: &Path, module: &str) -> Vec<(PathBuf, bool)> {
    let mut files = Vec::new();
    let flat = dir.join(format!("{module}.rs"));
    if flat.is_file() {
        files.push((flat, true));
    }
    let nested = dir.join(module);
    let mut stack = vec![nested.clone()];
    while let Some(folder) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let own = path == nested.join("mod.rs");
                files.push((path, own));
            }
        }
    }
    files.sort();
    files
}

/// The text before a trailing `#[cfg(test)] mod tests { … }`: unit tests may use anything.
fn outside_tests(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let end = lines
        .iter()
        .enumerate()
        .position(|(i, line)| {
            line.trim() == "#[cfg(test)]"
                && lines
                    .get(i + 1)
                    .is_some_and(|next| next.trim_start().starts_with("mod "))
        })
        .unwrap_or(lines.len());
    lines[..end].join("\n")
}

/// Lines with their 1-based numbers, `//` comments cut off.
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().map(|(i, line)| {
        let code = line.find("//").map_or(line, |at| &line[..at]);
        (i + 1, code)
    })
}

/// The first segment of every `crate::` path (and of `super::` in a module's own file), with its
/// line; a grouped `crate::{a, b::c}` gives each group's first segment.
fn crate_paths(text: &str, top_level: bool) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (number, line) in code_lines(text) {
        let prefixes: &[&str] = if top_level {
            &["crate::", "super::"]
        } else {
            &["crate::"]
        };
        for prefix in prefixes {
            let mut rest = line;
            while let Some(at) = rest.find(prefix) {
                let before = rest[..at].chars().next_back();
                rest = &rest[at + prefix.len()..];
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    continue;
                }
                if let Some(group) = rest.strip_prefix('{') {
                    let group = group.split('}').next().unwrap_or_default();
                    found.extend(
                        group
                            .split(',')
                            .filter_map(|item| first_segment(item.trim()))
                            .map(|name| (number, name)),
                    );
                } else if let Some(name) = first_segment(rest) {
                    found.push((number, name));
                }
            }
        }
    }
    found
}

fn first_segment(path: &str) -> Option<String> {
    let name: String = path
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    is_identifier(&name).then_some(name)
}

fn is_identifier(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_alphanumeric() || c == '_')
}

/// Tarjan's strongly connected components of the module graph.
fn strongly_connected(
    nodes: &BTreeSet<String>,
    edges: &BTreeMap<String, BTreeMap<String, String>>,
) -> Vec<Vec<String>> {
    struct Search<'g> {
        edges: &'g BTreeMap<String, BTreeMap<String, String>>,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on_stack: BTreeSet<&'g str>,
        components: Vec<Vec<String>>,
    }
    impl<'g> Search<'g> {
        fn visit(&mut self, node: &'g str) {
            let number = self.index.len();
            self.index.insert(node, number);
            self.low.insert(node, number);
            self.stack.push(node);
            self.on_stack.insert(node);
            for next in self.edges.get(node).into_iter().flat_map(|m| m.keys()) {
                let next = next.as_str();
                if !self.index.contains_key(next) {
                    self.visit(next);
                    let low = self.low[node].min(self.low[next]);
                    self.low.insert(node, low);
                } else if self.on_stack.contains(next) {
                    let low = self.low[node].min(self.index[next]);
                    self.low.insert(node, low);
                }
            }
            if self.low[node] == self.index[node] {
                let mut component = Vec::new();
                while let Some(member) = self.stack.pop() {
                    self.on_stack.remove(member);
                    component.push(member.to_string());
                    if member == node {
                        break;
                    }
                }
                component.sort();
                self.components.push(component);
            }
        }
    }
    let mut search = Search {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        components: Vec::new(),
    };
    for node in nodes {
        if !search.index.contains_key(node.as_str()) {
            search.visit(node);
        }
    }
    search.components
}

/// `a → b → a (where each step is)` for a component of two or more modules.
fn describe_circle(
    component: &[String],
    edges: &BTreeMap<String, BTreeMap<String, String>>,
) -> String {
    let members: BTreeSet<&str> = component.iter().map(String::as_str).collect();
    let sites: Vec<&str> = component
        .iter()
        .flat_map(|from| {
            edges
                .get(from)
                .into_iter()
                .flatten()
                .filter(|(to, _)| members.contains(to.as_str()))
                .map(|(_, site)| site.as_str())
        })
        .collect();
    format!(
        "modules {} form a circle ({})",
        component.join(", "),
        sites.join("; ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, files: &[(&str, &str)]) {
        for (name, text) in files {
            let path = dir.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
    }

    #[test]
    fn a_circle_through_a_re_export_or_a_group_is_found_and_tests_are_not_counted() -> Result<()> {
        let dir = std::env::temp_dir().join(format!("gog-layers-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        write(
            &dir,
            &[
                (
                    "lib.rs",
                    "mod a;\npub mod b;\nmod c;\nmod d;\npub use c::{Thing, other::Alias as Named};\n",
                ),
                ("a.rs", "use crate::{b::B, d};\n// crate::c in a comment\n"),
                ("b/mod.rs", "pub struct B;\n"),
                ("b/inner.rs", "use crate::Named;\n"),
                (
                    "c.rs",
                    "pub struct Thing;\nfn f() -> super::a::A { todo!() }\n",
                ),
                (
                    "d.rs",
                    "pub fn d() {}\n#[cfg(test)]\nmod tests {\n    use crate::a;\n}\n",
                ),
            ],
        );
        let circles = module_circles(&dir.join("lib.rs"))?;
        std::fs::remove_dir_all(&dir)?;
        assert_eq!(
            circles,
            vec![
                "modules a, b, c form a circle (a.rs:1 uses crate::b; b/inner.rs:1 uses crate::c; \
                 c.rs:2 uses crate::a)"
                    .to_string()
            ]
        );
        Ok(())
    }

    #[test]
    fn an_upward_dependency_and_an_unplaced_crate_are_breaches() {
        let krate = |name: &str, dependencies: &[&str]| Crate {
            name: name.into(),
            dependencies: dependencies.iter().map(|d| d.to_string()).collect(),
            roots: Vec::new(),
        };
        let breaches = upward_dependencies(&[
            krate("gog-agent", &["gog-types"]),
            krate("gog-search", &["gog-types", "gog-agent"]),
            krate("gog-new", &[]),
        ]);
        assert_eq!(
            breaches,
            vec![
                "gog-search depends on gog-agent, which its layer may not use",
                "gog-new has no place in the layers",
            ]
        );
    }
}
