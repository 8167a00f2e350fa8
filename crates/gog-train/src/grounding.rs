//! Grounding turns: every picture of a scene by kind and box, as one question and answer about
//! the image.
//!
//! The paper fine-tunes a base model that can already point at things; GoG-Tiny starts from
//! random weights and must learn that too. An agent trajectory shows at most one box, the
//! asked-about picture's, and it is mostly prompt; a grounding turn shows every picture's box
//! (one to five) at about a third of a trajectory's length, in the convention the model draws
//! gazes in (thousandths of each side for Qwen3-VL). It names kinds, never entities: which
//! picture is which is the searches' job. No system prompt: it is plainly not an agent turn.

use gog_agent::conversation::{Message, Part, Role};
use gog_scenes::Record;

use crate::scene::{Kind, to_thousandths};
use crate::trajectory::Trajectory;

/// The question of every grounding turn.
pub const QUESTION: &str = "Where is each picture? Give its kind and box.";

/// The behaviour label of a grounding turn.
pub const BEHAVIOUR: &str = "grounding";

/// The grounding turn of `record`'s scene: its pictures from top to bottom (then left to
/// right), one a line, `kind [x1,y1,x2,y2]`.
pub fn trajectory(record: &Record) -> Trajectory {
    let size = (record.width, record.height);
    let mut pictures: Vec<_> = record.entities.iter().collect();
    pictures.sort_by_key(|p| (p.bbox_2d[1], p.bbox_2d[0]));
    let answer = pictures
        .iter()
        .map(|p| {
            let [x1, y1, x2, y2] = to_thousandths(p.bbox_2d.map(f64::from), size);
            format!("{} [{x1},{y1},{x2},{y2}]", Kind::of(&p.entity).noun())
        })
        .collect::<Vec<_>>()
        .join("\n");
    Trajectory {
        id: format!("{}.{BEHAVIOUR}", record.id),
        scene: record.id.clone(),
        split: record.split,
        category: record.category,
        behaviour: BEHAVIOUR.into(),
        image: record.image.clone(),
        messages: vec![
            Message {
                role: Role::User,
                parts: vec![
                    Part::Image { index: 0 },
                    Part::Text {
                        text: QUESTION.into(),
                    },
                ],
            },
            Message::text(Role::Assistant, answer.clone()),
        ],
        learn: vec![true],
        answer,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gog_scenes::record::Pictured;

    #[test]
    fn a_grounding_turn_lists_every_picture_top_down_by_kind_in_thousandths() {
        let line = r#"{"id":"train-00007","split":"train","image":"images/train-00007.jpg",
            "width":1000,"height":500,"question":"Which country's flag is this?",
            "answer":"Japan","aliases":[],"category":"gaze","entities":[],"target":1,
            "reference":null,"evidence":[],"background":"synthetic-stripes"}"#;
        let mut record: Record = serde_json::from_str(line).expect("a record");
        record.entities = vec![
            Pictured {
                entity: "logo:gnome".into(),
                title: "GNOME".into(),
                bbox_2d: [600, 250, 800, 450],
            },
            Pictured {
                entity: "flag:jp".into(),
                title: "Flag of Japan".into(),
                bbox_2d: [100, 50, 300, 200],
            },
        ];
        let turn = trajectory(&record);
        assert_eq!(
            turn.answer,
            "flag [100,100,300,400]\nlogo [600,500,800,900]"
        );
        assert_eq!(turn.id, "train-00007.grounding");
        assert_eq!(turn.learn, [true]);
        assert_eq!(turn.messages.len(), 2);
        assert!(
            !turn.answer.contains("Japan") && !turn.answer.contains("GNOME"),
            "kinds only: naming the picture is the searches' job"
        );
    }
}
