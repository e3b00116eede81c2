//! `warren schema`: the JSON Schema of the topology file, generated from the model.

use super::{Outcome, Status};
use crate::render;

pub fn run() -> Outcome {
    render::show_document(&crate::model::json_schema::schema_json());
    Ok(Status::Clean)
}
