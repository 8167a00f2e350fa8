//! The files inside registry archives: npm tarballs, Python wheels and sdists, Debian packages.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};

use anyhow::{Context, bail};

/// Files of an archive whose path passes `keep`, by path inside the archive.
pub type Files = BTreeMap<String, Vec<u8>>;

/// A gzip-compressed tar archive (npm packages, Python sdists).
pub fn tar_gz(bytes: &[u8], keep: impl Fn(&str) -> bool) -> anyhow::Result<Files> {
    tar_entries(flate2::read::GzDecoder::new(bytes), keep)
}

/// A zip archive (Python wheels).
pub fn zip(bytes: &[u8], keep: impl Fn(&str) -> bool) -> anyhow::Result<Files> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).context("not a zip archive")?;
    let mut out = Files::new();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i)?;
        if file.is_file() && keep(file.name()) {
            let mut data = Vec::new();
            file.read_to_end(&mut data)?;
            out.insert(file.name().to_string(), data);
        }
    }
    Ok(out)
}

/// A Debian package's data files (its `data.tar.xz` member), paths without the leading `./`.
pub fn deb(bytes: &[u8], keep: impl Fn(&str) -> bool) -> anyhow::Result<Files> {
    let mut archive = ar::Archive::new(bytes);
    while let Some(entry) = archive.next_entry() {
        let entry = entry.context("not a Debian package")?;
        if entry.header().identifier() == b"data.tar.xz" {
            return tar_entries(liblzma::read::XzDecoder::new(entry), keep);
        }
    }
    bail!("the Debian package has no data.tar.xz")
}

fn tar_entries(reader: impl Read, keep: impl Fn(&str) -> bool) -> anyhow::Result<Files> {
    let mut out = Files::new();
    for entry in tar::Archive::new(reader).entries()? {
        let mut entry = entry?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let path = entry
            .path()?
            .to_string_lossy()
            .trim_start_matches("./")
            .to_string();
        if keep(&path) {
            let mut data = Vec::new();
            entry.read_to_end(&mut data)?;
            out.insert(path, data);
        }
    }
    Ok(out)
}
