//! Printing a run as it happens: each step's text as the model writes it, then what the step
//! did (the box searched, the results, the error shown to the model), then how the run ended.

use anyhow::Result;
use gog_agent::replay::{render_effects, render_outcome};
use gog_agent::trace::Step;
use gog_agent::{Agent, Event, Policy, Question, Trace};
use gog_types::SearchBackend;
use std::io::Write;
use std::path::Path;
use std::time::Instant;

use crate::trace_file::TraceFile;

/// Runs the agent with every step printed as it happens and the trace saved to `trace_out`
/// after each, then prints a line of counts.
pub fn run_live(
    agent: &Agent,
    policy: &mut impl Policy,
    backend: &impl SearchBackend,
    question: Question<'_>,
    trace_out: Option<&Path>,
) -> Result<Trace> {
    let mut sink = TraceFile::new(trace_out);
    let mut printer = LivePrinter::new();
    println!("question: {}", question.text);
    let started = Instant::now();
    let trace = pollster::block_on(
        agent.run(policy, backend, question, &mut sink, &mut |event| {
            printer.show(event)
        }),
    );
    summarise(&trace, started.elapsed().as_secs_f64());
    crate::trace_file::report(&sink, &trace.id)?;
    Ok(trace)
}

/// One line of counts for stderr.
fn summarise(trace: &Trace, seconds: f64) {
    let searches = trace.steps.iter().filter(|s| s.search.is_some()).count();
    let tokens: usize = trace.steps.iter().map(|s| s.tokens.len()).sum();
    let model_s: f64 = trace.steps.iter().map(|s| s.model_ms).sum::<f64>() / 1e3;
    eprintln!(
        "{} steps, {searches} searches, {tokens} tokens generated in {model_s:.2} s ({:.1} tokens/s); {seconds:.2} s in all",
        trace.steps.len(),
        tokens as f64 / model_s.max(1e-9),
    );
}

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
            // Natively a prompt is read in well under a second: nothing worth a line.
            Event::Reading { .. } => Ok(()),
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
