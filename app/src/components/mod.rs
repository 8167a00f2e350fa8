//! The app's components, one per thing it shows. [`crate::App`] holds the state as signals and
//! talks to the model's worker; everything here only shows and asks.

mod image_drop_zone;
mod image_with_boxes;
mod masthead;
mod model_picker;
mod question_box;
mod result_cards;
mod scene_gallery;
mod search_picker;
mod share_bar;
mod status_panel;
mod step_card;
mod trace_view;

pub use image_drop_zone::{ImageDropZone, PickedImage};
pub use image_with_boxes::{DrawnRegion, ImageWithBoxes, regions};
pub use masthead::Masthead;
pub use model_picker::{Download, EMBEDDED, ModelPicker, ModelState};
pub use question_box::QuestionBox;
pub use result_cards::{ImageResultCard, PageCard, TextResultCard};
pub use scene_gallery::SceneGallery;
pub use search_picker::{OFFLINE_CORPUS, RunSettingsForm, SearchPicker};
pub use share_bar::ShareBar;
pub use status_panel::{ProxyStatus, StatusPanel, WebGpuStatusRow};
pub use step_card::{StepCard, step_summary};
pub use trace_view::{TraceView, evidence};
