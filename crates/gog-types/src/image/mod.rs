//! Images from people and the web, read strictly: the format from the magic bytes, the size from
//! a checked header before a pixel is decoded, and transparency shown over white.

mod decode;
mod header;

pub use decode::{ImageHeader, MAX_PIXELS, MIN_SIDE, decode, encode_png, inspect};
