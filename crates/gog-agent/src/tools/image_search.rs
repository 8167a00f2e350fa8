//! `image_search`: reverse image search of the whole image (a glance) or of a region the model
//! bounds with `bbox_2d`, in its family's coordinates (a gaze). The region is cropped from the
//! original pixels and searched as PNG.

use base64::Engine as _;
use gog_types::{ImageResult, SearchBackend};
use image::RgbImage;
use serde::Deserialize;

use super::{Context, Ran, arguments_of, one_entry};
use crate::boxes::{self, PixelBox};
use crate::conversation::Part;
use crate::settings::Budgets;
use crate::trace::{SearchRequest, SearchResults};
use crate::turn::{Action, ProtocolError};

/// The tool's name as the model calls it.
pub const NAME: &str = "image_search";

#[derive(Debug, Deserialize)]
struct Arguments {
    #[serde(default)]
    bbox_2d: Option<Vec<f64>>,
    #[serde(default)]
    label: Option<String>,
}

/// The call's action: a box must be four numbers; a blank label counts as none.
pub(super) fn parse(arguments: serde_json::Value) -> Result<Action, ProtocolError> {
    let args: Arguments = arguments_of(NAME, arguments)?;
    let bbox_2d = args
        .bbox_2d
        .map(|values| {
            <[f64; 4]>::try_from(values.as_slice()).map_err(|_| ProtocolError::BadArguments {
                tool: NAME,
                reason: format!(
                    "bbox_2d must be four numbers [x1, y1, x2, y2], not {}",
                    values.len()
                ),
            })
        })
        .transpose()?;
    let label = args
        .label
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty());
    Ok(Action::ImageSearch { bbox_2d, label })
}

/// Glances and gazes share one budget.
pub(super) fn uses(budgets: &mut Budgets) -> &mut u32 {
    &mut budgets.image_search
}

/// Searches the whole image, or the region `bbox_2d` bounds. `Err`: the box cannot be used.
pub(super) async fn run<B: SearchBackend>(
    mut context: Context<'_, B>,
    bbox_2d: Option<[f64; 4]>,
    label: Option<&str>,
) -> Result<Ran, String> {
    let question_image = &context.conversation.images[0];
    let (crop, bytes) = match bbox_2d {
        None => (None, context.original.to_vec()),
        Some(bbox) => {
            let pixels = boxes::to_original(
                bbox,
                context.settings.box_convention,
                question_image.dimensions(),
                context.config.crop,
            )
            .map_err(|e| e.to_string())?;
            let region = crop_of(question_image, pixels);
            (Some(pixels), gog_types::image::encode_png(&region))
        }
    };
    let request = SearchRequest::Image {
        crop,
        sha256: gog_types::sha256_hex(&bytes),
    };
    let heading = match (crop, label) {
        (None, _) => "Image search of the whole image:".to_string(),
        (Some(c), Some(label)) => format!(
            "Image search of the region [{}, {}, {}, {}] ({label}):",
            c.x1, c.y1, c.x2, c.y2
        ),
        (Some(c), None) => format!(
            "Image search of the region [{}, {}, {}, {}]:",
            c.x1, c.y1, c.x2, c.y2
        ),
    };
    let k = context.config.results_per_search;
    Ok(match context.backend.search_image(&bytes, k).await {
        Ok(found) => {
            *context.last_pages = found.iter().map(|r| r.page.clone()).collect();
            let shown = shown(&mut context, &heading, &found);
            Ran {
                request,
                results: SearchResults::Images(found),
                shown,
            }
        }
        Err(e) => Ran::failed(request, &e),
    })
}

/// The results as the model sees them: a heading, one line each, and each thumbnail as a
/// picture when the run shows them.
fn shown<B>(context: &mut Context<'_, B>, heading: &str, found: &[ImageResult]) -> Vec<Part> {
    let mut parts = vec![Part::Text {
        text: format!("{heading}\n"),
    }];
    if found.is_empty() {
        parts.push(Part::Text {
            text: "No results.\n".into(),
        });
    }
    for (i, result) in found.iter().enumerate() {
        let line = context.prompts.fill(
            "image_result.txt",
            &[
                ("rank", &(i + 1).to_string()),
                ("title", &result.title),
                ("similarity", &format!("{:.2}", result.score)),
                ("source", &result.source),
            ],
        );
        parts.push(Part::Text {
            text: one_entry(&line),
        });
        if context.config.show_thumbnails
            && let Some(picture) = result.thumbnail.as_deref().and_then(thumbnail)
        {
            parts.push(context.conversation.add_image(picture));
        }
    }
    parts
}

/// A `data:` URL's picture.
fn thumbnail(url: &str) -> Option<RgbImage> {
    let (_, data) = url.split_once(";base64,")?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data)
        .ok()?;
    gog_types::image::decode(&bytes).ok()
}

fn crop_of(image: &RgbImage, pixels: PixelBox) -> RgbImage {
    image::imageops::crop_imm(image, pixels.x1, pixels.y1, pixels.width(), pixels.height())
        .to_image()
}
