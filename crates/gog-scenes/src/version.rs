//! Generator versions. A version is frozen once scenes measured with it exist: the same seed
//! and version always give the same bytes, and a new way of making scenes is a new version.

use std::fmt;
use std::str::FromStr;

use crate::SceneError;
use crate::params::{self, Params};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GeneratorVersion {
    /// 800 × 600 photos with one to four framed prints, each in its own cell.
    V1,
    /// Canvases, pictures, looks, backgrounds and wordings varied (see [`params::V2`]).
    V2,
}

impl GeneratorVersion {
    pub const ALL: [GeneratorVersion; 2] = [GeneratorVersion::V1, GeneratorVersion::V2];
    /// What scenes are made with unless a version is asked for.
    pub const LATEST: GeneratorVersion = GeneratorVersion::V2;

    pub fn number(self) -> u32 {
        match self {
            GeneratorVersion::V1 => 1,
            GeneratorVersion::V2 => 2,
        }
    }

    pub fn from_number(number: u32) -> Result<Self, SceneError> {
        Self::ALL
            .into_iter()
            .find(|v| v.number() == number)
            .ok_or(SceneError::UnknownVersion(number.to_string()))
    }

    pub fn params(self) -> &'static Params {
        match self {
            GeneratorVersion::V1 => &params::V1,
            GeneratorVersion::V2 => &params::V2,
        }
    }
}

impl fmt::Display for GeneratorVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.number())
    }
}

impl FromStr for GeneratorVersion {
    type Err = SceneError;

    fn from_str(text: &str) -> Result<Self, SceneError> {
        text.trim()
            .parse()
            .map_err(|_| SceneError::UnknownVersion(text.to_string()))
            .and_then(Self::from_number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_by_number() {
        for version in GeneratorVersion::ALL {
            assert_eq!(
                version.to_string().parse::<GeneratorVersion>().unwrap(),
                version
            );
        }
        assert!(matches!(
            "3".parse::<GeneratorVersion>(),
            Err(SceneError::UnknownVersion(_))
        ));
        assert!(matches!(
            "two".parse::<GeneratorVersion>(),
            Err(SceneError::UnknownVersion(_))
        ));
    }
}
