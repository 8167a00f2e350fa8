//! Qt's binary resource format (`.rcc`), in which GCompris ships its pictures and texts.
//!
//! Layout (big-endian): a header `qres`, version, then offsets of the tree, data and names
//! sections (version 3 adds a flags word). Tree entries are 14 bytes (version 1) or 22 bytes
//! (later versions add a modification time): a name offset, flags (1 zlib-compressed,
//! 2 directory, 4 zstd-compressed), then for a directory its child count and first child, for a
//! file its locale and data offset. A name is a u16 length, a u32 hash and UTF-16 code units; a
//! data entry is a u32 length and the bytes, which when compressed with zlib start with the u32
//! uncompressed size.

use std::collections::BTreeMap;
use std::io::Read;

use thiserror::Error;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum RccError {
    #[error("not a Qt resource file (no `qres` header)")]
    NotRcc,
    #[error("Qt resource version {0} is not supported (1 to 3 are)")]
    Version(u32),
    #[error("the resource file ends early: {0} lies outside its {1} bytes")]
    Truncated(&'static str, usize),
    #[error("resource `{0}` is zstd-compressed, which this reader does not decode")]
    Zstd(String),
    #[error("resource `{0}` does not inflate: {1}")]
    Inflate(String, String),
    #[error("the resource tree is malformed: {0}")]
    Tree(String),
}

const FLAG_ZLIB: u16 = 1;
const FLAG_DIRECTORY: u16 = 2;
const FLAG_ZSTD: u16 = 4;
/// Deeper trees than this are taken as a loop in a damaged file.
const MAX_DEPTH: usize = 64;
/// Larger inflated files than this are refused rather than allocated.
const MAX_INFLATED: u64 = 256 << 20;

struct Reader<'a> {
    bytes: &'a [u8],
    version: u32,
    tree: usize,
    data: usize,
    names: usize,
    /// Entries visited so far: a well-formed tree visits each entry once, so more visits than
    /// the file has room for entries means directories share children (a damaged file).
    visited: std::cell::Cell<usize>,
}

impl Reader<'_> {
    fn slice(&self, at: usize, len: usize, what: &'static str) -> Result<&[u8], RccError> {
        at.checked_add(len)
            .and_then(|end| self.bytes.get(at..end))
            .ok_or(RccError::Truncated(what, self.bytes.len()))
    }

    fn u16(&self, at: usize, what: &'static str) -> Result<u16, RccError> {
        let b = self.slice(at, 2, what)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn u32(&self, at: usize, what: &'static str) -> Result<u32, RccError> {
        let b = self.slice(at, 4, what)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn entry(&self, index: u32) -> Result<usize, RccError> {
        let size = if self.version >= 2 { 22 } else { 14 };
        (index as usize)
            .checked_mul(size)
            .and_then(|o| o.checked_add(self.tree))
            .ok_or(RccError::Truncated("a tree entry", self.bytes.len()))
    }

    fn name(&self, offset: u32) -> Result<String, RccError> {
        let at = self.names + offset as usize;
        let len = self.u16(at, "a name")? as usize;
        let units: Vec<u16> = self
            .slice(at + 6, len * 2, "a name")?
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16(&units)
            .map_err(|_| RccError::Tree(format!("name at {offset} is not UTF-16")))
    }

    fn walk(
        &self,
        index: u32,
        path: &str,
        depth: usize,
        out: &mut BTreeMap<String, Vec<u8>>,
    ) -> Result<(), RccError> {
        if depth > MAX_DEPTH {
            return Err(RccError::Tree(
                "directories nest deeper than 64 levels".into(),
            ));
        }
        self.visited.set(self.visited.get() + 1);
        if self.visited.get() > self.bytes.len() / 14 {
            return Err(RccError::Tree("directories share entries".into()));
        }
        let at = self.entry(index)?;
        let flags = self.u16(at + 4, "a tree entry")?;
        let name = if index == 0 {
            String::new()
        } else {
            self.name(self.u32(at, "a tree entry")?)?
        };
        let path = if path.is_empty() {
            name
        } else {
            format!("{path}/{name}")
        };
        if flags & FLAG_DIRECTORY != 0 {
            let count = self.u32(at + 6, "a tree entry")?;
            let first = self.u32(at + 10, "a tree entry")?;
            if first <= index && count > 0 {
                return Err(RccError::Tree(format!(
                    "directory `{path}` points back at entry {first}"
                )));
            }
            for child in 0..count {
                self.walk(
                    first
                        .checked_add(child)
                        .ok_or_else(|| RccError::Tree("child index overflows".into()))?,
                    &path,
                    depth + 1,
                    out,
                )?;
            }
            return Ok(());
        }
        let at = self.data + self.u32(at + 10, "a tree entry")? as usize;
        let len = self.u32(at, "a data entry")? as usize;
        let raw = self.slice(at + 4, len, "a data entry")?;
        let bytes = if flags & FLAG_ZSTD != 0 {
            return Err(RccError::Zstd(path));
        } else if flags & FLAG_ZLIB != 0 {
            let stream = raw
                .get(4..)
                .ok_or(RccError::Truncated("a compressed entry", self.bytes.len()))?;
            let mut inflated = Vec::new();
            flate2::read::ZlibDecoder::new(stream)
                .take(MAX_INFLATED)
                .read_to_end(&mut inflated)
                .map_err(|e| RccError::Inflate(path.clone(), e.to_string()))?;
            inflated
        } else {
            raw.to_vec()
        };
        out.insert(path, bytes);
        Ok(())
    }
}

/// Every file in a Qt resource file, by path (`gcompris/src/activities/…`).
pub fn files(bytes: &[u8]) -> Result<BTreeMap<String, Vec<u8>>, RccError> {
    if bytes.get(..4) != Some(b"qres") {
        return Err(RccError::NotRcc);
    }
    let mut reader = Reader {
        bytes,
        version: 0,
        tree: 0,
        data: 0,
        names: 0,
        visited: Default::default(),
    };
    reader.version = reader.u32(4, "the header")?;
    if !(1..=3).contains(&reader.version) {
        return Err(RccError::Version(reader.version));
    }
    reader.tree = reader.u32(8, "the header")? as usize;
    reader.data = reader.u32(12, "the header")? as usize;
    reader.names = reader.u32(16, "the header")? as usize;
    let mut out = BTreeMap::new();
    reader.walk(0, "", 0, &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    /// A version-3 resource file with `dir/a.txt` (stored) and `dir/b.txt` (zlib), written the
    /// way Qt's rcc lays it out.
    fn sample() -> Vec<u8> {
        let mut names = Vec::new();
        let mut name = |s: &str| {
            let offset = names.len() as u32;
            let units: Vec<u16> = s.encode_utf16().collect();
            names.extend_from_slice(&(units.len() as u16).to_be_bytes());
            names.extend_from_slice(&0u32.to_be_bytes());
            units
                .iter()
                .for_each(|u| names.extend_from_slice(&u.to_be_bytes()));
            offset
        };
        let (n_dir, n_a, n_b) = (name("dir"), name("a.txt"), name("b.txt"));
        let mut data = Vec::new();
        data.extend_from_slice(&5u32.to_be_bytes());
        data.extend_from_slice(b"hello");
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(b"compressed world").unwrap();
        let z = z.finish().unwrap();
        let b_offset = data.len() as u32;
        data.extend_from_slice(&(z.len() as u32 + 4).to_be_bytes());
        data.extend_from_slice(&16u32.to_be_bytes());
        data.extend_from_slice(&z);
        let entry = |name: u32, flags: u16, a: u32, b: u32| {
            let mut e = Vec::new();
            e.extend_from_slice(&name.to_be_bytes());
            e.extend_from_slice(&flags.to_be_bytes());
            e.extend_from_slice(&a.to_be_bytes());
            e.extend_from_slice(&b.to_be_bytes());
            e.extend_from_slice(&0u64.to_be_bytes());
            e
        };
        let mut tree = Vec::new();
        tree.extend(entry(0, FLAG_DIRECTORY, 1, 1)); // root → dir
        tree.extend(entry(n_dir, FLAG_DIRECTORY, 2, 2)); // dir → a, b
        tree.extend(entry(n_a, 0, 0, 0)); // locale 0, data offset 0
        tree.extend(entry(n_b, FLAG_ZLIB, 0, b_offset));
        let header = 24u32;
        let mut out = b"qres".to_vec();
        for v in [
            3,
            header + data.len() as u32 + names.len() as u32,
            header,
            header + data.len() as u32,
            0,
        ] {
            out.extend_from_slice(&v.to_be_bytes());
        }
        out.extend(data);
        out.extend(names);
        out.extend(tree);
        out
    }

    #[test]
    fn reads_stored_and_compressed_files() {
        let files = files(&sample()).unwrap();
        assert_eq!(files.keys().collect::<Vec<_>>(), ["dir/a.txt", "dir/b.txt"]);
        assert_eq!(files["dir/a.txt"], b"hello");
        assert_eq!(files["dir/b.txt"], b"compressed world");
    }

    #[test]
    fn damaged_files_give_errors_not_panics() {
        assert_eq!(files(b"nope"), Err(RccError::NotRcc));
        let whole = sample();
        for cut in 0..whole.len() {
            let _ = files(&whole[..cut]);
        }
        let mut looped = whole.clone();
        // Point `dir` at itself as its first child.
        let tree = u32::from_be_bytes(whole[8..12].try_into().unwrap()) as usize;
        looped[tree + 22 + 10..tree + 22 + 14].copy_from_slice(&1u32.to_be_bytes());
        assert!(matches!(files(&looped), Err(RccError::Tree(_))));
    }
}
