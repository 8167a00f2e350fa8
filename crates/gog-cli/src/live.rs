//! Printing a run as it happens: each step's text as the model writes it, then what the step
//! did (the box searched, the results, the error shown to the model), then how the run ended.

use gog_agent::Event;
use gog_agent::replay::{render_effects, render_outcome};
use gog_agent::trace::Step;
use std::io::Write;

/// Prints events to stdout; a closed pipe ends the output, not the run.
#[derive(Debug, Default)]
pub struct LivePrinter {
    /// The model's text of the step under way is being printed.
    streaming: bool,
    /// Number of the next step, from 1.
    next: usize,
}

impl LivePrinter {
    pub fn new() -> Self {
        LivePrinter {
            streaming: false,
            next: 1,
        }
    }

    pub fn show(&mut self, event: Event<'_>) {
        let mut out = std::io::stdout().lock();
        let _ = match event {
            Event::Text(text) => {
                if !self.streaming {
                    self.streaming = true;
                    let _ = writeln!(out, "\n[{}] model", self.next);
                }
                out.write_all(text.as_bytes())
            }
            Event::Step(step) => {
                self.header_or_newline(&mut out, step);
                self.streaming = false;
                self.next = step.index + 2;
                out.write_all(render_effects(step).as_bytes())
            }
            Event::Finished(outcome) => writeln!(out, "\n{}", render_outcome(Some(outcome))),
        };
        let _ = out.flush();
    }

    /// A step without streamed text (the harness's glance) gets its header now; a streamed one
    /// ends its text's line.
    fn header_or_newline(&self, out: &mut impl Write, step: &Step) {
        let _ = if self.streaming {
            writeln!(out)
        } else {
            writeln!(out, "\n[{}] {:?}", step.index + 1, step.actor)
        };
    }
}
