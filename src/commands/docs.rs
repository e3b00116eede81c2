//! `warren completions SHELL` and `warren man`: shell completion scripts
//! and the man page, generated from the command-line definitions.

use super::{Failure, Outcome, Status};
use crate::cli;
use crate::render;

pub fn completions(shell: clap_complete::Shell) -> Outcome {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cli::completion_command(), "warren", &mut script);
    render::show_document(&String::from_utf8_lossy(&script));
    Ok(Status::Clean)
}

pub fn man() -> Outcome {
    let mut page = Vec::new();
    clap_mangen::Man::new(cli::command())
        .render(&mut page)
        .map_err(|e| Failure::new(format!("cannot render the man page: {e}")))?;
    render::show_document(&String::from_utf8_lossy(&page));
    Ok(Status::Clean)
}
