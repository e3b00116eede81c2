//! Whether a plan saved by `plan --out` may still be applied: the right
//! document, made against a broker (this one), and exactly the plan that
//! its files and the live state give now. Nothing in a saved plan is
//! trusted: the caller plans again and [`check_same_plan`] refuses any
//! difference, naming it, so an edited change, summary or fingerprint
//! cannot carry anything past the safety checks, which then run on the
//! plan made now. Each refusal is a [`SavedPlanRefusal`] that names the
//! file and says what to do.
//!
//! No I/O: the caller reads the file, the files and the broker, and hands
//! over what it read.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{FORMAT_VERSION, Plan, Summary};
use crate::diff::{Action, Change};
use crate::model::ObjectId;

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
    #[error(
        "the plan {} cannot be checked: the files it was made from are not here ({}); run apply --plan where they are, or plan again",
        path.display(),
        missing.join(", ")
    )]
    FilesMissing { path: PathBuf, missing: Vec<String> },
    #[error(
        "the plan {} is not the plan its files and the broker give now (was it edited?); nothing was changed; plan again:{}",
        path.display(),
        differences.iter().map(|d| format!("\n  {d}")).collect::<String>()
    )]
    Edited {
        path: PathBuf,
        differences: Vec<String>,
    },
}

/// The plan in `text`, read from `path`, if it is one this warren reads
/// and was made against a broker whose URL is `url`, or one of the nodes
/// of `url` when it lists several (comma-separated, as `--url` does: the
/// plan names the node it was made through).
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
    if !url.split(',').any(|node| node == broker.url) {
        return Err(SavedPlanRefusal::OtherBroker {
            path: path_buf(),
            planned_for: broker.url.clone(),
            url: url.to_string(),
        });
    }
    Ok(plan)
}

/// A saved plan is for the files it was made from: drawn against other
/// files (`warren graph --plan`), it would show what no apply does.
pub fn check_files(
    plan: &Plan,
    path: &Path,
    files: &impl crate::normalize::AsNormal,
) -> Result<(), SavedPlanRefusal> {
    if super::fingerprint(files, &BTreeMap::new()) != plan.desired_fingerprint {
        return Err(SavedPlanRefusal::OtherFiles {
            path: path.to_path_buf(),
            files: plan.files.clone(),
        });
    }
    Ok(())
}

/// A saved plan is applied only when it is exactly `now`, the plan its
/// files and the live state give at this moment; message and consumer
/// counts aside, which move all the time and are read again for `now`. When the changes
/// differ and a fingerprint says why, the refusal says the files or the
/// broker changed; anything else that differs (a change added, removed,
/// altered or renamed, another vhost, the summary, a fingerprint) is
/// listed.
pub fn check_same_plan(saved: &Plan, now: &Plan, path: &Path) -> Result<(), SavedPlanRefusal> {
    let differences = plan_differences(saved, now);
    if differences.is_empty() {
        return Ok(());
    }
    let path = path.to_path_buf();
    let changes_differ = !change_differences(&saved.changes, &now.changes).is_empty();
    Err(
        if changes_differ && saved.desired_fingerprint != now.desired_fingerprint {
            SavedPlanRefusal::OtherFiles {
                path,
                files: saved.files.clone(),
            }
        } else if changes_differ && saved.live_fingerprint != now.live_fingerprint {
            SavedPlanRefusal::Stale { path }
        } else {
            SavedPlanRefusal::Edited { path, differences }
        },
    )
}

/// Every way `saved` differs from `now`, in words; empty when they are
/// the same plan.
fn plan_differences(saved: &Plan, now: &Plan) -> Vec<String> {
    let mut differences = Vec::new();
    let mut field = |name: &str, saved: String, now: String| {
        if saved != now {
            differences.push(format!("{name}: the plan says {saved}, now {now}"));
        }
    };
    field(
        "format_version",
        json(&saved.format_version),
        json(&now.format_version),
    );
    field("broker", json(&saved.broker), json(&now.broker));
    field("files", json(&saved.files), json(&now.files));
    field("vhosts", json(&saved.vhosts), json(&now.vhosts));
    field(
        "desired_fingerprint",
        json(&saved.desired_fingerprint),
        json(&now.desired_fingerprint),
    );
    field(
        "live_fingerprint",
        json(&saved.live_fingerprint),
        json(&now.live_fingerprint),
    );
    field("prune", json(&saved.prune), json(&now.prune));
    field(
        "summary",
        describe_summary(&saved.summary),
        describe_summary(&now.summary),
    );
    differences.extend(change_differences(&saved.changes, &now.changes));
    differences
}

/// `4 create, 0 update, …`: every count of a summary.
fn describe_summary(summary: &Summary) -> String {
    let Summary {
        create,
        update,
        replace,
        delete,
        unmanaged,
        unsupported,
        unreadable,
        unfinished_migrations,
    } = summary;
    format!(
        "{create} create, {update} update, {replace} replace, {delete} delete, {unmanaged} unmanaged, {unsupported} unsupported{}{}",
        if *unreadable > 0 {
            format!(", {unreadable} unreadable")
        } else {
            String::new()
        },
        if *unfinished_migrations > 0 {
            format!(", {unfinished_migrations} unfinished migrations")
        } else {
            String::new()
        }
    )
}

/// The changes of `saved` that are not in `now` and the other way round,
/// matched by action and identity: an altered change is named once.
fn change_differences(saved: &[Change], now: &[Change]) -> Vec<String> {
    let (saved_by_key, now_by_key) = (by_key(saved), by_key(now));
    let describe =
        |(action, id): &Key<'_>| format!("{} {id} in vhost '{}'", action.as_str(), id.vhost());
    let mut differences = Vec::new();
    for (key, changes) in &saved_by_key {
        match now_by_key.get(key) {
            None => differences.push(format!("{}: not in the plan now", describe(key))),
            Some(now) if now != changes => {
                differences.push(format!("{}: differs from the plan now", describe(key)))
            }
            Some(_) => {}
        }
    }
    for key in now_by_key.keys() {
        if !saved_by_key.contains_key(key) {
            differences.push(format!("{}: missing from the saved plan", describe(key)));
        }
    }
    let same_order = saved
        .iter()
        .map(without_counts)
        .eq(now.iter().map(without_counts));
    if differences.is_empty() && !same_order {
        differences.push("the changes are in another order than the plan now".to_string());
    }
    differences
}

/// A change's action and identity.
type Key<'c> = (Action, &'c ObjectId);

/// The changes by action and identity, without their counts.
fn by_key(changes: &[Change]) -> BTreeMap<Key<'_>, Vec<serde_json::Value>> {
    let mut map: BTreeMap<Key<'_>, Vec<serde_json::Value>> = BTreeMap::new();
    for change in changes {
        map.entry((change.action, &change.id))
            .or_default()
            .push(without_counts(change));
    }
    map
}

/// A value as compact JSON, to show it in a difference.
fn json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).expect("plan values serialise")
}

/// A change as a saved plan holds it, without what moves all the time on
/// a live broker: its JSON, which holds no secret (a password, a hash, a
/// URI's credentials), so a saved plan is matched on what it shows.
fn without_counts(change: &Change) -> serde_json::Value {
    json_value(&Change {
        messages: None,
        consumers: None,
        ..change.clone()
    })
}

fn json_value(change: &Change) -> serde_json::Value {
    serde_json::to_value(change).expect("plan values serialise")
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
        assert_eq!(
            read_saved(path, &text, "http://localhost:15672"),
            Ok(plan.clone())
        );
        assert_eq!(
            read_saved(path, &text, "http://other:15672,http://localhost:15672"),
            Ok(plan),
            "a node of the list"
        );
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
    fn the_plan_made_now_is_the_saved_plan_message_counts_aside() {
        let (saved, _) = saved();
        let mut now = saved.clone();
        now.changes[0].messages = Some(3);
        assert_eq!(check_same_plan(&saved, &now, Path::new("p.json")), Ok(()));
    }

    #[test]
    fn changed_files_or_a_changed_broker_are_named_as_such() {
        let (saved, _) = saved();
        let path = Path::new("p.json");
        let other_files = plan_changes(
            &topology("vhosts: [{name: /}]"),
            &Topology::default(),
            broker("3.10.8"),
        );
        assert_eq!(
            check_same_plan(&saved, &other_files, path),
            Err(SavedPlanRefusal::OtherFiles {
                path: path.into(),
                files: vec![]
            })
        );
        let other_live = plan_changes(&topology(FULL), &topology(FULL), broker("3.10.8"));
        assert_eq!(
            check_same_plan(&saved, &other_live, path)
                .unwrap_err()
                .to_string(),
            "the plan p.json is stale: the broker changed since it was made; plan again"
        );
    }

    /// Every kind of edit to a saved plan is refused and named.
    #[test]
    fn every_edit_of_a_saved_plan_is_refused_and_named() {
        let (now, _) = saved();
        let path = Path::new("p.json");
        let edited = |edit: &dyn Fn(&mut Plan)| {
            let mut saved = now.clone();
            edit(&mut saved);
            match check_same_plan(&saved, &now, path) {
                Err(SavedPlanRefusal::Edited { differences, .. }) => differences,
                other => panic!("{other:?}"),
            }
        };
        let queue = now
            .changes
            .iter()
            .position(|c| matches!(c.id, ObjectId::Queue { .. }))
            .unwrap();
        assert_eq!(
            edited(&|p| p.changes.remove(queue).action = Action::Create),
            ["create queue q in vhost '/': missing from the saved plan"]
        );
        assert_eq!(
            edited(&|p| {
                let mut extra = p.changes[queue].clone();
                extra.id = ObjectId::Queue {
                    vhost: "other".into(),
                    name: "q".into(),
                };
                p.changes.push(extra);
            }),
            ["create queue q in vhost 'other': not in the plan now"]
        );
        assert_eq!(
            edited(&|p| p.changes[queue].after = None),
            ["create queue q in vhost '/': differs from the plan now"]
        );
        assert_eq!(
            edited(&|p| p.changes[queue].action = Action::Delete),
            [
                "delete queue q in vhost '/': not in the plan now",
                "create queue q in vhost '/': missing from the saved plan"
            ]
        );
        assert_eq!(
            edited(&|p| p.changes.reverse()),
            ["the changes are in another order than the plan now"]
        );
        assert_eq!(
            edited(&|p| p.summary = Summary::default()),
            [
                "summary: the plan says 0 create, 0 update, 0 replace, 0 delete, 0 unmanaged, 0 unsupported, now 5 create, 0 update, 0 replace, 0 delete, 0 unmanaged, 0 unsupported"
            ]
        );
        assert_eq!(
            edited(&|p| p.vhosts.push("other".into())),
            ["vhosts: the plan says [\"/\",\"other\"], now [\"/\"]"]
        );
        assert_eq!(
            edited(&|p| p.prune = true),
            ["prune: the plan says true, now false"]
        );
        assert_eq!(
            edited(&|p| p.desired_fingerprint = "0".into()),
            [format!(
                "desired_fingerprint: the plan says \"0\", now \"{}\"",
                now.desired_fingerprint
            )]
        );
        assert_eq!(
            edited(&|p| p.live_fingerprint = None),
            [format!(
                "live_fingerprint: the plan says null, now \"{}\"",
                now.live_fingerprint.as_deref().unwrap()
            )]
        );
    }
}
