//! The parsers of user-supplied files answer damaged input with errors, never panics: each of
//! the fixtures' real files is mutated thousands of times (bytes flipped, runs deleted, duplicated
//! or truncated, numbers replaced by extremes) with a fixed seed, and fed to the same entry points
//! the fuzz targets use (`fuzz/`).
#![cfg(not(target_family = "wasm"))]

mod fixture;

use gog_vlm::fuzzing;

const MUTATIONS: usize = 3000;

/// A small deterministic generator (SplitMix64), so a failure reproduces.
struct Mutator(u64);

impl Mutator {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn mutate(&mut self, seed: &[u8]) -> Vec<u8> {
        let mut bytes = seed.to_vec();
        for _ in 0..=self.below(4) {
            let len = bytes.len();
            match self.below(6) {
                0 if len > 0 => {
                    let at = self.below(len);
                    bytes[at] ^= 1 << self.below(8);
                }
                1 if len > 0 => {
                    let at = self.below(len);
                    let end = (at + self.below(16)).min(len);
                    bytes.drain(at..end);
                }
                2 if len > 0 => {
                    let at = self.below(len);
                    let end = (at + self.below(32)).min(len);
                    let run: Vec<u8> = bytes[at..end].to_vec();
                    let to = self.below(len);
                    bytes.splice(to..to, run);
                }
                3 => bytes.truncate(self.below(len + 1)),
                4 => {
                    // Replace a digit run with an extreme number.
                    if let Some(at) = (0..len)
                        .map(|i| (i + self.below(len)) % len)
                        .find(|&i| bytes[i].is_ascii_digit())
                    {
                        let extreme: &[u8] = match self.below(4) {
                            0 => b"0",
                            1 => b"18446744073709551615",
                            2 => b"-1",
                            _ => b"1e308",
                        };
                        let end = (at..len)
                            .find(|&i| !bytes[i].is_ascii_digit())
                            .unwrap_or(len);
                        bytes.splice(at..end, extreme.iter().copied());
                    }
                }
                _ if len > 0 => {
                    let at = self.below(len);
                    bytes[at] = self.next() as u8;
                }
                _ => {}
            }
        }
        bytes
    }
}

fn survive(name: &str, seeds: &[&[u8]], parse: impl Fn(&[u8])) {
    let mut mutator = Mutator(name.len() as u64 * 7919);
    for seed in seeds {
        parse(seed);
        for _ in 0..MUTATIONS {
            parse(&mutator.mutate(seed));
        }
    }
}

fn as_text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn model_configs() {
    let models = fixture::tiny_models();
    let seeds: Vec<&[u8]> = models.iter().map(|m| m.config.as_bytes()).collect();
    survive("config.json", &seeds, |bytes| {
        fuzzing::model_config(&as_text(bytes))
    });
}

#[test]
fn safetensors_shards() {
    let models = fixture::tiny_models();
    let seeds: Vec<&[u8]> = models.iter().map(|m| m.weights).collect();
    survive("model.safetensors", &seeds, fuzzing::checkpoint);
}

#[test]
fn preprocessor_configs() {
    let models = fixture::tiny_models();
    let seeds: Vec<&[u8]> = models
        .iter()
        .map(|m| m.preprocessor_config.as_bytes())
        .collect();
    survive("preprocessor_config.json", &seeds, |bytes| {
        fuzzing::preprocessor_config(&as_text(bytes))
    });
}

#[test]
fn chat_templates() {
    let models = fixture::tiny_models();
    let seeds: Vec<&[u8]> = models
        .iter()
        .map(|m| m.tokenizer_config.as_bytes())
        .collect();
    survive("tokenizer_config.json", &seeds, |bytes| {
        fuzzing::chat_template(&as_text(bytes))
    });
}
