//! The image with the regions a run searched drawn over it, in original pixels.

use gog_agent::trace::{SearchRequest, Step};
use gog_agent::{PixelBox, Trace};
use leptos::prelude::*;

/// A region the agent searched, as drawn: the whole image (a glance) or a numbered crop (a gaze).
#[derive(Debug, Clone, PartialEq)]
pub struct DrawnRegion {
    /// The step that searched it.
    pub step: usize,
    /// 1, 2, … for gazes in order; `None` for a glance.
    pub gaze_number: Option<usize>,
    pub region: PixelBox,
}

/// Every image search of a trace, in order, as regions of the original image.
pub fn regions(trace: &Trace) -> Vec<DrawnRegion> {
    let whole = PixelBox {
        x1: 0,
        y1: 0,
        x2: trace.image.width,
        y2: trace.image.height,
    };
    let mut gazes = 0;
    trace
        .steps
        .iter()
        .filter_map(|step: &Step| match step.search.as_ref()?.request {
            SearchRequest::Image { crop, .. } => Some((step.index, crop)),
            _ => None,
        })
        .map(|(step, crop)| match crop {
            Some(region) => {
                gazes += 1;
                DrawnRegion {
                    step,
                    gaze_number: Some(gazes),
                    region,
                }
            }
            None => DrawnRegion {
                step,
                gaze_number: None,
                region: whole,
            },
        })
        .collect()
}

/// The question's image with the glance frame and each gaze box drawn and numbered in order,
/// in the image's own pixels (the SVG's view box), so boxes stay put at any display size.
#[component]
pub fn ImageWithBoxes(
    trace: Signal<Option<Trace>>,
    image_url: Signal<Option<String>>,
) -> impl IntoView {
    let size = move || trace.with(|t| t.as_ref().map(|t| (t.image.width, t.image.height)));
    view! {
        <figure class="trace-image" id="trace-image">
            {move || image_url.get().map(|url| view! {
                <img src=url alt="The image the question is about" />
            })}
            {move || size().filter(|(w, h)| *w > 0 && *h > 0).map(|(width, height)| {
                let drawn = trace.with(|t| t.as_ref().map(regions).unwrap_or_default());
                let label = format!("{} regions searched", drawn.len());
                // Labels in the image's own units, so they read the same at any image size.
                let font_size = f64::from(width.max(height)) / 24.0;
                view! {
                    <svg
                        class="boxes"
                        viewBox=format!("0 0 {width} {height}")
                        preserveAspectRatio="none"
                        role="img"
                        aria-label=label
                        font-size=font_size
                    >
                        {drawn.into_iter().map(|drawn| {
                            let PixelBox { x1, y1, x2, y2 } = drawn.region;
                            let label = drawn.gaze_number.map_or_else(|| "glance".to_owned(), |n| n.to_string());
                            view! {
                                <g
                                    class=if drawn.gaze_number.is_some() { "gaze" } else { "glance" }
                                    data-step=drawn.step
                                    data-box=format!("{x1},{y1},{x2},{y2}")
                                >
                                    <rect x=x1 y=y1 width=x2 - x1 height=y2 - y1 vector-effect="non-scaling-stroke" />
                                    <text x=x1 y=y1 dy="1em" dx="0.3em">{label}</text>
                                </g>
                            }
                        }).collect_view()}
                    </svg>
                }
            })}
        </figure>
    }
}
