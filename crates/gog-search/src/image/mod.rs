//! Reverse image search: an image (a whole scene or a crop of it) in, the corpus entities whose
//! pictures it shows out.
//!
//! The descriptor and why it was chosen are in `docs/SEARCH.md`; in short, each picture is
//! described by a colour layout, a colour histogram and a grid of gradient-orientation
//! histograms, and a query is compared through several sub-windows so a loose crop still lines
//! up with the picture inside it.

mod descriptor;
mod index;

pub use descriptor::{DESCRIPTOR_LEN, Descriptor, Prepared, QUERY_WINDOWS};
pub use gog_types::image::{ImageHeader, MAX_PIXELS, MIN_SIDE, decode, encode_png, inspect};
pub use index::{ImageHit, ImageIndex};
