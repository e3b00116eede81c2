//! Whether a plan saved by `plan --out` may still be applied: the right
//! document, made against a broker (this one), from the files at hand,
//! and against a live state that has not changed since. Each refusal is a
//! [`SavedPlanRefusal`] that names the file and says what to do.
//!
//! No I/O: the caller reads the file, the files and the broker, and hands
//! over what it read.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{FORMAT_VERSION, Plan, fingerprint};
use crate::model::ObjectId;
use crate::normalize::AsNormal;

/// Why a saved plan is not applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SavedPlanRefusal {
    #[error("cannot read the plan {}: {reason}", path.display())]
    Unreadable { path: PathBuf, reason: String },
    #[error("{} is not a plan saved by `warren plan --out`: {reason}", path.display())]
    NotAPlan { path: PathBuf, reason: String },
    #[error(
        "{} has plan format version {found}, this warren reads version {FORMAT_VERSION}; plan again",
        path.display()
    )]
    FormatVersion { path: PathBuf, found: u32 },
    #[error(
        "{} was made offline (warren diff) and cannot be applied; run warren plan --out",
        path.display()
    )]
    MadeOffline { path: PathBuf },
    #[error(
        "the plan {} was made for {planned_for}, not {url}; plan again against this broker",
        path.display()
    )]
    OtherBroker {
        path: PathBuf,
        planned_for: String,
        url: String,
    },
    #[error(
        "the plan {} was made from other files: {} changed since; plan again",
        path.display(),
        files.join(", ")
    )]
    OtherFiles { path: PathBuf, files: Vec<String> },
    #[error(
        "the plan {} is stale: the broker changed since it was made; plan again",
        path.display()
    )]
    Stale { path: PathBuf },
}

/// The plan in `text`, read from `path`, if it is one this warren reads
/// and was made against a broker whose URL is `url`.
pub fn read_saved(path: &Path, text: &str, url: &str) -> Result<Plan, SavedPlanRefusal> {
    let path_buf = || path.to_path_buf();
    let plan: Plan = serde_json::from_str(text).map_err(|e| SavedPlanRefusal::NotAPlan {
        path: path_buf(),
        reason: e.to_string(),
    })?;
    if plan.format_version != FORMAT_VERSION {
        return Err(SavedPlanRefusal::FormatVersion {
            path: path_buf(),
            found: plan.format_version,
        });
    }
    let Some(broker) = &plan.broker else {
        return Err(SavedPlanRefusal::MadeOffline { path: path_buf() });
    };
    if broker.url != url {
        return Err(SavedPlanRefusal::OtherBroker {
            path: path_buf(),
            planned_for: broker.url.clone(),
            url: url.to_string(),
        });
    }
    Ok(plan)
}

/// A saved plan is for the files it was made from: `files` is their
/// topology as it reads now.
pub fn check_files(
    plan: &Plan,
    path: &Path,
    files: &impl AsNormal,
) -> Result<(), SavedPlanRefusal> {
    if fingerprint(files, &BTreeMap::new()) != plan.desired_fingerprint {
        return Err(SavedPlanRefusal::OtherFiles {
            path: path.to_path_buf(),
            files: plan.files.clone(),
        });
    }
    Ok(())
}

/// A saved plan is for the live state it was computed from: `live` and
/// `binding_keys` are the broker's state now.
pub fn check_live(
    plan: &Plan,
    path: &Path,
    live: &impl AsNormal,
    binding_keys: &BTreeMap<ObjectId, String>,
) -> Result<(), SavedPlanRefusal> {
    if plan.live_fingerprint.as_deref() != Some(&fingerprint(live, binding_keys)) {
        return Err(SavedPlanRefusal::Stale {
            path: path.to_path_buf(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Topology;
    use crate::plan::fixtures::{FULL, broker, topology};
    use crate::plan::plan_changes;

    fn saved() -> (Plan, String) {
        let plan = plan_changes(&topology(FULL), &Topology::default(), broker("3.10.8"));
        let text = serde_json::to_string(&plan).unwrap();
        (plan, text)
    }

    #[test]
    fn a_saved_plan_reads_back_for_its_broker_only() {
        let (plan, text) = saved();
        let path = Path::new("p.json");
        assert_eq!(read_saved(path, &text, "http://localhost:15672"), Ok(plan));
        assert_eq!(
            read_saved(path, &text, "http://other:15672")
                .unwrap_err()
                .to_string(),
            "the plan p.json was made for http://localhost:15672, not http://other:15672; plan again against this broker"
        );
    }

    #[test]
    fn refusals_name_the_file_and_what_to_do() {
        let path = Path::new("p.json");
        let (mut plan, _) = saved();
        plan.format_version = 9;
        let text = serde_json::to_string(&plan).unwrap();
        assert_eq!(
            read_saved(path, &text, "").unwrap_err().to_string(),
            "p.json has plan format version 9, this warren reads version 1; plan again"
        );
        plan.format_version = FORMAT_VERSION;
        plan.broker = None;
        let text = serde_json::to_string(&plan).unwrap();
        assert_eq!(
            read_saved(path, &text, "").unwrap_err(),
            SavedPlanRefusal::MadeOffline { path: path.into() }
        );
        assert!(matches!(
            read_saved(path, "{", ""),
            Err(SavedPlanRefusal::NotAPlan { .. })
        ));
    }

    #[test]
    fn a_changed_broker_or_changed_files_refuse_the_plan() {
        let (plan, _) = saved();
        let path = Path::new("p.json");
        assert_eq!(
            check_live(&plan, path, &topology(FULL), &BTreeMap::new())
                .unwrap_err()
                .to_string(),
            "the plan p.json is stale: the broker changed since it was made; plan again"
        );
        assert_eq!(
            check_live(&plan, path, &Topology::default(), &BTreeMap::new()),
            Ok(())
        );
        assert_eq!(check_files(&plan, path, &topology(FULL)), Ok(()));
        assert!(check_files(&plan, path, &Topology::default()).is_err());
    }
}
