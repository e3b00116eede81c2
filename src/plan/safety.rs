//! The safety policy: which changes need `--allow-recreate`,
//! `--allow-data-loss` or `--allow-consumer-cancel`, and why, in words.
//! No I/O.

use serde::{Deserialize, Serialize};

use super::{Plan, consumers, messages};
use crate::diff::{Action, Change, Object};
use std::collections::BTreeMap;

use crate::model::{ObjectId, QueueType, Topology, User};

impl Plan {
    /// `Ok` when the flags allow every change, else every change they do not.
    pub fn check_allowed(&self, allow: Allow) -> Result<(), ApplyRefusal> {
        let unfinished: Vec<String> = self
            .migrations
            .iter()
            .filter(|m| m.unfinished)
            .map(|m| {
                format!(
                    "queue {} in vhost '{}': its migration is unfinished (temporary queue '{}'): pass --migrate to finish it",
                    m.queue, m.vhost, m.temporary.name
                )
            })
            .collect();
        if !allow.migrate && !unfinished.is_empty() {
            return Err(ApplyRefusal::CannotMigrate(unfinished));
        }
        if allow.migrate {
            let unmovable: Vec<String> = self
                .migrations
                .iter()
                .flat_map(|m| {
                    m.refusals.iter().map(move |r| {
                        format!(
                            "queue {} in vhost '{}' cannot be migrated: {}",
                            m.queue,
                            m.vhost,
                            r.describe()
                        )
                    })
                })
                .collect();
            if !unmovable.is_empty() {
                return Err(ApplyRefusal::CannotMigrate(unmovable));
            }
        }
        let refusals = self.refusals(allow);
        if refusals.is_empty() {
            Ok(())
        } else {
            Err(ApplyRefusal::NeedsFlags(refusals))
        }
    }

    /// Every change the flags do not allow, with the flag that would.
    pub fn refusals(&self, allow: Allow) -> Vec<Refusal> {
        self.changes
            .iter()
            .flat_map(|c| {
                let migrated = allow.migrate && self.migration_of(&c.id).is_some();
                c.required_flags()
                    .into_iter()
                    // Its messages move: none is lost.
                    .filter(move |flag| !(migrated && *flag == Flag::AllowDataLoss))
                    .filter(move |flag| !allow.permits(*flag))
                    .map(move |flag| Refusal {
                        id: c.id.clone(),
                        flag,
                        why: refusal_reason(c, flag),
                    })
            })
            .collect()
    }
}

impl Plan {
    /// `Ok` unless the plan would lock out the user warren is connected as
    /// (delete it, take a tag from it, change or delete its permissions) or
    /// leave the broker without an administrator (`live` is the topology
    /// the plan was made against): no flag allows either.
    pub fn check_access(&self, connected: &str, live: &Topology) -> Result<(), ApplyRefusal> {
        let mut why = Vec::new();
        let is_me = |user: &str| user == connected;
        let is_admin = |u: &User| u.tags.iter().any(|t| t == "administrator");
        let mut admins: BTreeMap<&str, bool> = live
            .users()
            .iter()
            .map(|u| (u.name.as_str(), is_admin(u)))
            .collect();
        // The broker grants the user that creates a vhost `.*` on all
        // three: a narrower permission created there narrows that.
        let created_vhosts: Vec<&str> = self
            .changes
            .iter()
            .filter(|c| c.action == Action::Create)
            .filter_map(|c| match &c.id {
                ObjectId::Vhost { name } => Some(name.as_str()),
                _ => None,
            })
            .collect();
        for change in &self.changes {
            match (&change.id, change.action) {
                (ObjectId::User { name }, Action::Delete) if is_me(name) => why.push(format!(
                    "it deletes user '{name}', the user warren is connected as"
                )),
                (ObjectId::User { name }, Action::Update)
                    if is_me(name) && change.reasons.iter().any(|r| r.field == "password") =>
                {
                    why.push(format!(
                        "it changes the password of user '{name}', the user warren is connected \
                         as (the rest of the apply would be refused): change it connected as \
                         another administrator"
                    ))
                }
                (ObjectId::User { name }, Action::Update) if is_me(name) => {
                    if let (Some(Object::User(before)), Some(Object::User(after))) =
                        (&change.before, &change.after)
                    {
                        let lost: Vec<&str> = before
                            .tags
                            .iter()
                            .filter(|t| !after.tags.contains(t))
                            .map(String::as_str)
                            .collect();
                        if !lost.is_empty() {
                            why.push(format!(
                                "it takes the tags {} from user '{name}', the user warren is \
                                 connected as",
                                lost.join(", ")
                            ));
                        }
                    }
                }
                (ObjectId::Permission { user, vhost }, Action::Create)
                    if is_me(user)
                        && created_vhosts.contains(&vhost.as_str())
                        && matches!(&change.after, Some(Object::Permission(p))
                            if [&p.configure, &p.write, &p.read].iter().any(|r| r.as_str() != ".*")) =>
                {
                    why.push(format!(
                        "it narrows the permission of user '{user}' in vhost '{vhost}', the user \
                         warren is connected as: the broker grants it .* on all three when it \
                         creates the vhost, and the rest of the apply there would be refused; \
                         apply it connected as another administrator"
                    ))
                }
                (
                    ObjectId::Permission { user, vhost }
                    | ObjectId::TopicPermission { user, vhost, .. },
                    Action::Update | Action::Delete,
                ) if is_me(user) => why.push(format!(
                    "it changes the {} of user '{user}' in vhost '{vhost}', the user warren is \
                     connected as",
                    change.id.kind()
                )),
                _ => {}
            }
            if let ObjectId::User { name } = &change.id {
                match (change.action, &change.after) {
                    (Action::Delete, _) => {
                        admins.remove(name.as_str());
                    }
                    (Action::Create | Action::Update, Some(Object::User(after))) => {
                        admins.insert(name, is_admin(after));
                    }
                    _ => {}
                }
            }
        }
        if live.users.is_some() && !admins.values().any(|&admin| admin) {
            why.push("it leaves the broker without a user tagged administrator".to_string());
        }
        if why.is_empty() {
            Ok(())
        } else {
            Err(ApplyRefusal::LocksOut(why))
        }
    }
}

/// The flags given to `apply`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Allow {
    pub recreate: bool,
    pub data_loss: bool,
    pub consumer_cancel: bool,
    /// `--migrate`: a replaced queue's messages move instead of being lost.
    pub migrate: bool,
}

impl Allow {
    /// Every flag given.
    pub const ALL: Allow = Allow {
        recreate: true,
        data_loss: true,
        consumer_cancel: true,
        migrate: false,
    };

    fn permits(&self, flag: Flag) -> bool {
        match flag {
            Flag::AllowRecreate => self.recreate,
            Flag::AllowDataLoss => self.data_loss,
            Flag::AllowConsumerCancel => self.consumer_cancel,
        }
    }
}

/// A flag that an unsafe change needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Flag {
    #[serde(rename = "--allow-recreate")]
    AllowRecreate,
    #[serde(rename = "--allow-data-loss")]
    AllowDataLoss,
    #[serde(rename = "--allow-consumer-cancel")]
    AllowConsumerCancel,
}

impl Flag {
    pub fn as_str(self) -> &'static str {
        match self {
            Flag::AllowRecreate => "--allow-recreate",
            Flag::AllowDataLoss => "--allow-data-loss",
            Flag::AllowConsumerCancel => "--allow-consumer-cancel",
        }
    }
}

/// Why `apply` changes nothing: changes the flags do not allow, or no
/// "yes" to its question.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplyRefusal {
    #[error("apply refused, nothing was changed:{}", refusal_lines(.0))]
    NeedsFlags(Vec<Refusal>),
    #[error(
        "apply needs confirmation and there is no terminal to ask on; review the plan and pass --auto-approve. Nothing was changed."
    )]
    NoTerminal,
    #[error("cannot read the answer: {0}")]
    AnswerUnreadable(String),
    #[error("apply cancelled; nothing was changed")]
    Cancelled,
    #[error("the plan is refused, nothing was changed:{}", lockout_lines(.0))]
    LocksOut(Vec<String>),
    #[error("apply refused, nothing was changed:{}", lockout_lines(.0))]
    CannotMigrate(Vec<String>),
}

fn lockout_lines(why: &[String]) -> String {
    why.iter().map(|w| format!("\n  {w}")).collect()
}

/// One line per refused change: `queue q in vhost '/' is replaced (…): needs --allow-recreate`.
fn refusal_lines(refusals: &[Refusal]) -> String {
    refusals
        .iter()
        .map(|r| {
            format!(
                "\n  {} in vhost '{}' {}: needs {}",
                r.id,
                r.id.vhost(),
                r.why,
                r.flag.as_str()
            )
        })
        .collect()
}

/// A change `apply` refuses without a flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub id: ObjectId,
    pub flag: Flag,
    pub why: String,
}

fn refusal_reason(change: &Change, flag: Flag) -> String {
    match flag {
        Flag::AllowRecreate => {
            "is replaced (deleted and created again, with its bindings)".to_string()
        }
        Flag::AllowDataLoss => match change.messages {
            Some(n) => format!("holds {} that would be lost", messages(n)),
            None if is_quorum_queue(change) => {
                "may hold messages that would be lost (a quorum queue counts them up to 5 s late)"
                    .to_string()
            }
            None => {
                "may hold messages (their count could not be read) that would be lost".to_string()
            }
        },
        Flag::AllowConsumerCancel => format!(
            "has {} that would be cancelled",
            consumers(change.consumers.unwrap_or_default())
        ),
    }
}

/// True when `change` is about a live quorum queue.
pub(super) fn is_quorum_queue(change: &Change) -> bool {
    matches!(&change.before, Some(Object::Queue(q)) if QueueType::of_normal(q) == Some(QueueType::Quorum))
}

impl Plan {
    /// The flags `apply` needs to carry `change` out, as the plan shows
    /// them: a queue whose messages the plan moves (`--migrate`) needs no
    /// `--allow-data-loss`. The second value is true for such a queue.
    pub fn flags_shown(&self, change: &Change) -> (Vec<Flag>, bool) {
        let migrated = self
            .migration_of(&change.id)
            .is_some_and(|m| m.refusals.is_empty() && change.action == Action::Replace);
        let flags = change
            .required_flags()
            .into_iter()
            .filter(|f| !(migrated && *f == Flag::AllowDataLoss))
            .collect();
        (flags, migrated)
    }
}

impl Change {
    /// The flags `apply` needs to carry this change out.
    pub fn required_flags(&self) -> Vec<Flag> {
        let mut flags = Vec::new();
        if self.action == Action::Replace {
            flags.push(Flag::AllowRecreate);
        }
        if self.drops_queue() && self.messages != Some(0) {
            flags.push(Flag::AllowDataLoss);
        }
        // The count is the broker's statistics, up to 5 s late, and an
        // unknown one (the queue vanished) needs no flag: a classic queue is
        // deleted with `if-unused`, which the broker checks live.
        if self.drops_queue() && self.consumers.is_some_and(|n| n > 0) {
            flags.push(Flag::AllowConsumerCancel);
        }
        flags
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::model::Topology;
    use crate::plan::fixtures::{FULL, broker, topology};
    use crate::plan::{PlanInputs, plan_changes};

    #[test]
    fn a_replace_needs_allow_recreate_and_messages_need_allow_data_loss() {
        let live = topology(FULL);
        let mut desired = live.clone();
        desired.queues[0].durable = false;
        let mut plan = plan_changes(&desired, &live, broker("3.10.8"));
        plan.set_message_counts(&BTreeMap::from([(("/".into(), "q".into()), Some(7))]));
        let refusals = plan.refusals(Allow::default());
        let flags: Vec<Flag> = refusals.iter().map(|r| r.flag).collect();
        assert_eq!(flags, [Flag::AllowRecreate, Flag::AllowDataLoss]);
        assert_eq!(refusals[1].why, "holds 7 messages that would be lost");
        assert!(plan.refusals(Allow::ALL).is_empty());
    }

    /// A live user holding `password`, with `tags`.
    fn live_user(name: &str, tags: &[&str], password: &str) -> crate::model::User {
        let mut user = crate::model::User::new(name);
        user.tags = tags.iter().map(|t| t.to_string()).collect();
        user.credential = Some(crate::model::Credential::Hash {
            hash: crate::model::Secret::new(crate::password::hash(
                password,
                [1, 2, 3, 4],
                crate::password::HashingAlgorithm::Sha256,
            )),
            algorithm: Some("rabbit_password_hashing_sha256".into()),
        });
        user
    }

    /// `users` as a file declares them, each password resolved.
    fn file_users(users: &[(&str, &[&str], &str)]) -> Topology {
        let mut t = topology("vhosts: [{name: /}]\nusers: []");
        for (name, tags, password) in users {
            let mut user = crate::model::User::new(*name);
            user.tags = tags.iter().map(|t| t.to_string()).collect();
            user.password_env = Some("X".into());
            user.credential = Some(crate::model::Credential::Password(
                crate::model::Secret::new(*password),
            ));
            t.users.as_mut().unwrap().push(user);
        }
        t
    }

    #[test]
    fn no_plan_locks_out_the_connected_user_or_leaves_no_administrator() {
        let mut live = topology("vhosts: [{name: /}]\nusers: []");
        live.users = Some(vec![
            live_user("admin", &["administrator"], "a"),
            live_user("other", &["administrator"], "o"),
        ]);
        let mut inputs = broker("3.10.8");
        inputs.prune_users = true;
        let check = |desired: &Topology, inputs: PlanInputs| {
            plan_changes(desired, &live, inputs)
                .check_access("admin", &live)
                .map_err(|e| e.to_string())
        };
        // As it is: nothing to refuse.
        let same = file_users(&[
            ("admin", &["administrator"], "a"),
            ("other", &["administrator"], "o"),
        ]);
        assert_eq!(check(&same, inputs.clone()), Ok(()));
        // Its tag taken, its password changed, itself pruned.
        let untagged = file_users(&[("admin", &[], "a"), ("other", &["administrator"], "o")]);
        assert!(
            check(&untagged, inputs.clone())
                .unwrap_err()
                .contains("takes the tags administrator from user 'admin'")
        );
        let repassed = file_users(&[
            ("admin", &["administrator"], "b"),
            ("other", &["administrator"], "o"),
        ]);
        assert!(
            check(&repassed, inputs.clone())
                .unwrap_err()
                .contains("changes the password of user 'admin'")
        );
        let pruned = file_users(&[("other", &["administrator"], "o")]);
        assert!(
            check(&pruned, inputs.clone())
                .unwrap_err()
                .contains("deletes user 'admin'")
        );
        // Another administrator untagged is fine while one is left...
        let one_left = file_users(&[("admin", &["administrator"], "a"), ("other", &[], "o")]);
        assert_eq!(check(&one_left, inputs.clone()), Ok(()));
        // ...and not when none is (connected as a third, plain user).
        let plan = plan_changes(
            &file_users(&[("admin", &[], "a"), ("other", &[], "o")]),
            &live,
            inputs,
        );
        let none = plan
            .check_access("someone-else", &live)
            .unwrap_err()
            .to_string();
        assert!(
            none.contains("leaves the broker without a user tagged administrator"),
            "{none}"
        );
    }

    #[test]
    fn a_narrower_permission_of_the_connected_user_in_a_vhost_it_creates_is_refused() {
        let live = topology("vhosts: [{name: /}]\npermissions: []");
        let check = |yaml: &str, connected: &str| {
            plan_changes(&topology(yaml), &live, broker("3.10.8"))
                .check_access(connected, &live)
                .map_err(|e| e.to_string())
        };
        let narrow = "vhosts: [{name: /}, {name: new}]\npermissions: [{user: admin, vhost: new, configure: '^$', write: '.*', read: '.*'}]";
        let refused = check(narrow, "admin").unwrap_err();
        assert!(
            refused.contains("it narrows the permission of user 'admin' in vhost 'new'"),
            "{refused}"
        );
        // Another user's, or the full one, or in a vhost that exists.
        assert_eq!(check(narrow, "someone-else"), Ok(()));
        assert_eq!(check(&narrow.replace("'^$'", "'.*'"), "admin"), Ok(()));
        let existing = "vhosts: [{name: /}]\npermissions: [{user: admin, vhost: /, configure: '^$', write: '.*', read: '.*'}]";
        assert_eq!(check(existing, "admin"), Ok(()));
    }

    #[test]
    fn an_empty_queue_can_be_pruned_without_allow_data_loss() {
        let live = topology(FULL);
        let mut inputs = broker("3.10.8");
        inputs.prune = true;
        let mut plan = plan_changes(&topology("vhosts: [{name: /}]"), &live, inputs);
        plan.set_message_counts(&BTreeMap::from([(("/".into(), "q".into()), Some(0))]));
        assert!(plan.refusals(Allow::default()).is_empty());
    }

    // Regression: a quorum queue that had just received a message read 0
    // and was pruned without --allow-data-loss, losing the message.
    #[test]
    fn a_quorum_queue_s_zero_count_is_not_trusted() {
        let live =
            topology("queues: [{name: qq, arguments: {x-queue-type: quorum}}, {name: classic}]");
        let mut inputs = broker("3.10.8");
        inputs.prune = true;
        let mut plan = plan_changes(&Topology::default(), &live, inputs);
        plan.set_message_counts(&BTreeMap::from([
            (("/".into(), "qq".into()), Some(0)),
            (("/".into(), "classic".into()), Some(0)),
        ]));
        let refused: Vec<String> = plan
            .refusals(Allow::default())
            .iter()
            .map(|r| format!("{} {}: {}", r.id, r.why, r.flag.as_str()))
            .collect();
        assert_eq!(
            refused,
            [
                "queue qq may hold messages that would be lost (a quorum queue counts them up to 5 s late): --allow-data-loss"
            ]
        );
        plan.set_message_counts(&BTreeMap::from([
            (("/".into(), "qq".into()), Some(3)),
            (("/".into(), "classic".into()), Some(0)),
        ]));
        assert_eq!(
            plan.refusals(Allow::default())[0].why,
            "holds 3 messages that would be lost"
        );
    }

    #[test]
    fn dropping_a_queue_with_consumers_needs_allow_consumer_cancel() {
        let live = topology("queues: [{name: q}, {name: idle}, {name: fresh}]");
        let mut inputs = broker("3.10.8");
        inputs.prune = true;
        let mut plan = plan_changes(&Topology::default(), &live, inputs);
        let queue = |name: &str| ("/".to_string(), name.to_string());
        plan.set_message_counts(&BTreeMap::from([
            (queue("q"), Some(0)),
            (queue("idle"), Some(0)),
            (queue("fresh"), Some(0)),
        ]));
        plan.set_consumer_counts(&BTreeMap::from([
            (queue("q"), Some(2)),
            (queue("idle"), Some(0)),
            (queue("fresh"), None),
        ]));
        let refusals = plan.refusals(Allow::default());
        let refused: Vec<String> = refusals
            .iter()
            .map(|r| format!("{} {}: {}", r.id, r.why, r.flag.as_str()))
            .collect();
        assert_eq!(
            refused,
            ["queue q has 2 consumers that would be cancelled: --allow-consumer-cancel"]
        );
        let allow = Allow {
            consumer_cancel: true,
            ..Allow::default()
        };
        assert!(plan.refusals(allow).is_empty());
    }

    #[test]
    fn an_unknown_message_count_is_treated_as_holding_messages() {
        let live = topology("queues: [{name: s, arguments: {x-queue-type: stream}}]");
        let mut inputs = broker("3.10.8");
        inputs.prune = true;
        let mut plan = plan_changes(&Topology::default(), &live, inputs);
        plan.set_message_counts(&BTreeMap::from([(("/".into(), "s".into()), None)]));
        assert_eq!(plan.refusals(Allow::default())[0].flag, Flag::AllowDataLoss);
    }
}
