//! `warren schema`: the JSON Schema of the topology file, generated from the model.

use super::{Outcome, Status, print_stdout};

pub fn run() -> Outcome {
    print_stdout(&crate::load::schema_json());
    Ok(Status::Clean)
}
