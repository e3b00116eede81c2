//! `warren schema`: the JSON Schema of the topology file, generated from
//! the model, or with `--project` that of the project file (warren.yaml).

use super::{Outcome, Status};
use crate::render;

pub fn run(project: bool) -> Outcome {
    render::show_document(&if project {
        crate::project::schema_json()
    } else {
        crate::model::json_schema::schema_json()
    });
    Ok(Status::Clean)
}
