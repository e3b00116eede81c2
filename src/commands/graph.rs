//! `warren graph`: the routing of the files drawn, offline; with `--plan
//! FILE`, marked with what a plan saved by `warren plan --out` adds,
//! changes and removes. It never reads a broker: a plan against the live
//! broker is `warren plan --out`'s to make, and drawing it needs no
//! credentials.

use std::path::{Path, PathBuf};

use super::{Failure, Outcome, Sources, Status, load_sources};
use crate::cli::GlobalArgs;
use crate::graph::{Graph, REVIEW_NODES, sides_of_plan};
use crate::normalize::normalize;
use crate::plan::{FORMAT_VERSION, Plan, SavedPlanRefusal, check_files};
use crate::render::show_graph;

pub fn run(
    global: &GlobalArgs,
    sources: Sources<'_>,
    vhosts: &[String],
    plan_file: Option<&Path>,
) -> Outcome {
    let graph = match plan_file {
        None => Graph::of(&load_sources(sources)?.topology).in_vhosts(vhosts),
        Some(path) => {
            let plan = read_plan(path)?;
            let paths = if sources.paths.is_empty() {
                plan_files(&plan, path)?
            } else {
                sources.paths.to_vec()
            };
            let files = load_sources(Sources {
                paths: &paths,
                ..sources
            })?;
            check_files(&plan, path, &files.topology)?;
            let (before, after) = sides_of_plan(&normalize(&files.topology), &plan);
            Graph::compare(&before, &after, &plan)
                .in_vhosts(vhosts)
                .fit(REVIEW_NODES)
        }
    };
    show_graph(&graph, global.format.into());
    Ok(Status::Clean)
}

/// A plan saved by `warren plan --out`, from any broker: it is only drawn.
fn read_plan(path: &Path) -> Result<Plan, SavedPlanRefusal> {
    let text = std::fs::read_to_string(path).map_err(|e| SavedPlanRefusal::Unreadable {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    let plan: Plan = serde_json::from_str(&text).map_err(|e| SavedPlanRefusal::NotAPlan {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    if plan.format_version != FORMAT_VERSION {
        return Err(SavedPlanRefusal::FormatVersion {
            path: path.to_path_buf(),
            found: plan.format_version,
        });
    }
    Ok(plan)
}

/// The files `plan` was made from, when they are all here.
fn plan_files(plan: &Plan, path: &Path) -> Result<Vec<PathBuf>, Failure> {
    let files: Vec<PathBuf> = plan.files.iter().map(PathBuf::from).collect();
    match files.iter().find(|f| !f.exists()) {
        None if !files.is_empty() => Ok(files),
        missing => Err(Failure::new(format!(
            "the files the plan {} was made from are not here{}: name them (warren graph --plan {} PATHS)",
            path.display(),
            missing.map_or(String::new(), |f| format!(" ({})", f.display())),
            path.display()
        ))),
    }
}
