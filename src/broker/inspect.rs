//! Reading the broker: its version, its vhosts, the live topology of chosen
//! vhosts, and live message counts.
//!
//! The per-kind listings of every vhost are requested concurrently (bounded)
//! with stats disabled and only the columns the model needs, then filtered
//! into the same [`Topology`] model the files load into. The broker's own
//! objects (the default and `amq.*` exchanges, default-exchange bindings,
//! exclusive and server-named queues) never enter it. `GET
//! /api/definitions` is never used: it needs the administrator tag. Nothing
//! here decides what a difference means.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::client::{Client, Listing, Request, UnreadableObject, encode};
use super::error::Error;
use super::wire;
use crate::model::{self, BrokerVersion, DestinationType, ObjectId, Topology, Unreadable};

/// What the broker reports about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overview {
    /// `3.10.8`
    pub rabbitmq_version: String,
    pub management_version: String,
    /// The exchange types it offers: AMQP's and those of enabled plugins.
    pub exchange_types: Vec<String>,
}

/// What a read of the broker takes besides the objects of each vhost.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reading {
    /// Every queue's live message count, read in the same queue listing
    /// (`enable_queue_totals`): for a plan that may drop queues, such as a
    /// prune, where a separate count would cost the broker a second
    /// listing of every queue.
    pub message_counts: bool,
    /// The vhosts' limits (one `GET /api/vhost-limits`): for files that
    /// manage them, and for an export. A vhost without limits has none
    /// (`None`) either way.
    pub vhost_limits: bool,
    /// Every user, with its limits (`GET /api/users`, `/api/user-limits`:
    /// the administrator tag).
    pub users: bool,
    /// The permissions in the vhosts read (`GET /api/permissions`).
    pub permissions: bool,
    /// The topic permissions in the vhosts read.
    pub topic_permissions: bool,
    /// The runtime parameters of the vhosts read, of the components warren
    /// manages (`GET /api/parameters`).
    pub parameters: bool,
    /// The global parameters a person sets (`GET /api/global-parameters`).
    pub global_parameters: bool,
}

/// The live state of some vhosts.
#[derive(Debug, Clone, PartialEq)]
pub struct Live {
    /// The managed objects of the vhosts that exist, in the model's terms.
    pub topology: Topology,
    /// Each binding's `properties_key` as the broker reported it: the only
    /// key that deletes it (never compute one).
    pub binding_keys: BTreeMap<ObjectId, String>,
    /// The broker's version (`rabbitmq_version`).
    pub version: BrokerVersion,
    /// The exchange types it offers.
    pub exchange_types: Vec<String>,
    /// The management extensions it serves (`shovel.js`, …), read with
    /// the parameters (`None` otherwise).
    pub extensions: Option<Vec<String>>,
    /// The objects the broker holds with a value warren cannot read: left
    /// out of `topology`, shown by the plan.
    pub unreadable: Vec<Unreadable>,
    /// The live message count of every managed queue (`None` for a
    /// stream), when the read was asked to count them
    /// ([`Client::inspect_counting`]).
    pub message_counts: Option<BTreeMap<(String, String), Option<u64>>>,
}

const QUEUE_COLUMNS: &str = "name,vhost,durable,auto_delete,exclusive,arguments,type";
/// With `enable_queue_totals`, `messages` is the live count.
const COUNTED_QUEUE_COLUMNS: &str =
    "name,vhost,durable,auto_delete,exclusive,arguments,type,messages";
const EXCHANGE_COLUMNS: &str = "name,vhost,type,durable,auto_delete,internal,arguments";
// Verified on 3.10.8: `columns` applies to bindings and policies too.
const BINDING_COLUMNS: &str =
    "source,destination,destination_type,routing_key,arguments,properties_key";
const POLICY_COLUMNS: &str = "name,pattern,apply-to,definition,priority";
/// From how many vhosts a read may take the broker-wide listings instead
/// of four listings per vhost (see `list_vhosts_and_objects`; measured with
/// `scripts/bench --works vhosts`).
const BROKER_WIDE_FROM: usize = 32;

impl Client {
    /// The broker's and the management plugin's versions. An answer that
    /// names neither is not RabbitMQ's (a server that answers `[]` or `{}`
    /// to everything would otherwise look like an empty broker).
    pub async fn overview(&self) -> Result<Overview, Error> {
        let request = Request::get("/api/overview".into(), "read the broker's overview".into())
            // Without stats the broker answers at once; with them it sums
            // every queue's (30 to 120 ms at 5,000 queues, measured).
            .query(&[
                ("disable_stats", "true"),
                (
                    "columns",
                    "rabbitmq_version,management_version,exchange_types",
                ),
            ]);
        let answer: serde_json::Value = self.fetch_json(request).await?;
        let overview: Option<wire::Overview> = answer
            .is_object()
            .then(|| serde_json::from_value(answer.clone()).ok())
            .flatten()
            .filter(|o: &wire::Overview| {
                [&o.rabbitmq_version, &o.management_version]
                    .iter()
                    .any(|v| v.as_deref().is_some_and(|v| !v.is_empty()))
            });
        let Some(overview) = overview else {
            let mut said = answer.to_string();
            if said.len() > 80 {
                let cut = (0..=80)
                    .rev()
                    .find(|&i| said.is_char_boundary(i))
                    .unwrap_or(0);
                said.truncate(cut);
                said.push('…');
            }
            return Err(Error::NotRabbitMq {
                url: self.display_url().to_string(),
                answer: self.scrub(&said),
            });
        };
        let management_version = overview.management_version.unwrap_or_default();
        Ok(Overview {
            // A user that may not see the node version still sees the plugin's,
            // which is released with it.
            rabbitmq_version: overview
                .rabbitmq_version
                .unwrap_or_else(|| management_version.clone()),
            management_version,
            exchange_types: overview
                .exchange_types
                .unwrap_or_default()
                .into_iter()
                .filter(|t| t.enabled != Some(false))
                .map(|t| t.name)
                .collect(),
        })
    }

    /// Every vhost the user can see, sorted by name.
    pub async fn list_vhosts(&self) -> Result<Vec<model::Vhost>, Error> {
        let request = Request::get("/api/vhosts".into(), "list the vhosts".into()).query(&[
            ("disable_stats", "true"),
            ("columns", "name,description,tags,default_queue_type"),
        ]);
        // A vhost deleted while the broker lists them comes back as `[]`:
        // it is gone, not a protocol error.
        let vhosts: Vec<wire::Listed<wire::Vhost>> = self.fetch_json(request).await?;
        let mut vhosts: Vec<model::Vhost> = vhosts
            .into_iter()
            .filter_map(wire::Listed::present)
            .map(live_vhost)
            .collect();
        vhosts.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(vhosts)
    }

    /// The limits set on each vhost the user can see (`GET
    /// /api/vhost-limits`, one request for all; a vhost without limits is
    /// absent).
    pub async fn vhost_limits(&self) -> Result<BTreeMap<String, model::Arguments>, Error> {
        let request = Request::get("/api/vhost-limits".into(), "list the vhost limits".into());
        // The endpoint came with RabbitMQ 3.7: without it, no limits.
        let listed: Vec<wire::VhostLimits> = self
            .fetch_json_or_missing(request)
            .await?
            .unwrap_or_default();
        Ok(listed.into_iter().map(|l| (l.vhost, l.value)).collect())
    }

    /// The live topology of the named vhosts, without what is read only
    /// on demand ([`Reading`]). A vhost that does not exist, or that
    /// vanishes while it is read, is absent from the result, not an error;
    /// one that exists but gives the user no permissions is
    /// [`Error::VhostAccessDenied`].
    pub async fn inspect(&self, vhosts: &[String]) -> Result<Live, Error> {
        self.read(vhosts, Reading::default()).await
    }

    /// [`Client::inspect`], reading what `reading` asks for besides.
    pub async fn read(&self, vhosts: &[String], reading: Reading) -> Result<Live, Error> {
        self.read_with(vhosts, reading, std::future::ready(BrokerWide::default()))
            .await
    }

    /// [`Client::read`], taking the broker-wide listings `early` gives
    /// ([`Client::read_broker_wide`], asked for while the files were
    /// parsed and perhaps still on their way) instead of asking again. The
    /// vhosts are read meanwhile; what `early` lacks is asked for once it
    /// is in.
    pub async fn read_with(
        &self,
        vhosts: &[String],
        reading: Reading,
        early: impl Future<Output = BrokerWide>,
    ) -> Result<Live, Error> {
        let counting = reading.message_counts;
        let vhost_limits = reading.vhost_limits;
        // One round trip: the lists are asked for while the vhosts are
        // listed. A vhost that does not exist answers 404 and is dropped;
        // one that exists but is not the user's answers 401 (the vhost list
        // leaves it out), which fails the read with what to do about it.
        let wanted: BTreeSet<&str> = vhosts.iter().map(String::as_str).collect();
        let names: Vec<String> = wanted.iter().map(|v| v.to_string()).collect();
        let limits = async {
            if vhost_limits {
                self.vhost_limits().await
            } else {
                Ok(BTreeMap::new())
            }
        };
        let extensions = async {
            if reading.parameters {
                self.extensions().await.map(Some)
            } else {
                Ok(None)
            }
        };
        // The broker-wide listings (users, permissions, parameters) go in
        // the same round trip; they are kept to the vhosts read after.
        let broker_wide = async {
            let early = early.await;
            let rest = self.read_broker_wide(early.missing(reading)).await?;
            Ok(early.or(rest))
        };
        let (overview, (existing, all), mut limits, broker_wide, extensions) = tokio::try_join!(
            self.overview(),
            self.list_vhosts_and_objects(&names, counting),
            limits,
            broker_wide,
            extensions
        )?;
        let chosen: Vec<model::Vhost> = existing
            .into_iter()
            .filter(|v| wanted.contains(v.name.as_str()))
            .map(|mut v| {
                v.limits = limits.remove(&v.name).filter(|l| !l.is_empty());
                v
            })
            .collect();

        let mut listings = BTreeMap::new();
        for (vhost, listing) in all {
            let entry: &mut Option<VhostListing> = listings
                .entry(vhost)
                .or_insert_with(|| Some(VhostListing::default()));
            match (entry.as_mut(), listing) {
                (Some(into), Some(listing)) => into.merge(listing),
                // One of its listings found the vhost gone: drop it whole.
                (_, None) => *entry = None,
                (None, Some(_)) => {}
            }
        }

        let mut live = Live {
            topology: Topology::default(),
            binding_keys: BTreeMap::new(),
            version: overview.rabbitmq_version.into(),
            exchange_types: overview.exchange_types,
            extensions,
            unreadable: Vec::new(),
            message_counts: counting.then(BTreeMap::new),
        };
        let present: BTreeSet<String> = chosen.iter().map(|v| v.name.clone()).collect();
        for vhost in chosen {
            if let Some(Some(listing)) = listings.remove(&vhost.name) {
                add_vhost(&mut live, vhost, listing);
            }
        }
        add_broker_wide(broker_wide, reading, &present, &mut live.topology);
        live.topology.sort_by_identity();
        Ok(live)
    }

    /// Every vhost the user sees, and the objects of the `wanted` ones.
    /// A few vhosts are listed one by one, each kind of each in its own
    /// request, all at once with the vhost list. From
    /// [`BROKER_WIDE_FROM`] vhosts on, once the vhost list shows they are
    /// at least half of the broker's, the four broker-wide listings cost
    /// less than four requests per vhost: those are read instead, and only
    /// the wanted vhosts the list does not show are asked for one by one
    /// (each answers that it does not exist, or that it is not the
    /// user's).
    async fn list_vhosts_and_objects(
        &self,
        wanted: &[String],
        counting: bool,
    ) -> Result<(Vec<model::Vhost>, Vec<(String, Option<VhostListing>)>), Error> {
        if wanted.len() < BROKER_WIDE_FROM {
            return tokio::try_join!(self.list_vhosts(), self.list_all(wanted, counting));
        }
        // The vhost list first: whether the broker-wide listings are worth
        // it depends on how many vhosts the broker holds. (Asking for them
        // at the same time, to drop them when not, cost a plan of 16 of 65
        // vhosts 64 ms instead of 37.)
        let existing = self.list_vhosts().await?;
        let listed: BTreeSet<&str> = existing.iter().map(|v| v.name.as_str()).collect();
        let (present, absent): (Vec<String>, Vec<String>) = wanted
            .iter()
            .cloned()
            .partition(|v| listed.contains(v.as_str()));
        if present.len() * 2 < existing.len() {
            let all = self.list_all(wanted, counting).await?;
            return Ok((existing, all));
        }
        // The vhosts the list does not show take the answer of their own.
        let (mut all, one_by_one) = tokio::try_join!(
            self.list_broker_wide_kinds(&present, counting),
            self.list_all(&absent, counting)
        )?;
        all.extend(one_by_one);
        Ok((existing, all))
    }

    /// The names of the broker's users (`GET /api/users`, names only).
    pub async fn user_names(&self) -> Result<BTreeSet<String>, Error> {
        #[derive(serde::Deserialize)]
        struct Named {
            name: String,
        }
        let request = Request::get(
            "/api/users?columns=name".to_string(),
            "list the users".to_string(),
        );
        let users: Vec<Named> = self.fetch_json(request).await?;
        Ok(users.into_iter().map(|u| u.name).collect())
    }

    /// The kinds besides the vhosts' objects that `reading` asks for (users,
    /// permissions, parameters; not the vhosts' limits or message counts);
    /// each listing is one request for the whole broker, in parallel.
    pub async fn read_broker_wide(&self, reading: Reading) -> Result<BrokerWide, Error> {
        let (users, user_limits, permissions, topic_permissions, parameters, global) = tokio::try_join!(
            self.list_when::<wire::User>(reading.users, "/api/users", "list the users"),
            self.list_when::<wire::UserLimits>(
                reading.users,
                "/api/user-limits",
                "list the user limits"
            ),
            self.list_when::<wire::Permission>(
                reading.permissions,
                "/api/permissions",
                "list the permissions"
            ),
            self.list_when::<wire::TopicPermission>(
                reading.topic_permissions,
                "/api/topic-permissions",
                "list the topic permissions"
            ),
            self.list_when::<wire::Parameter>(
                reading.parameters,
                "/api/parameters",
                "list the parameters"
            ),
            self.list_when::<wire::GlobalParameter>(
                reading.global_parameters,
                "/api/global-parameters",
                "list the global parameters"
            ),
        )?;
        Ok(BrokerWide {
            users,
            user_limits,
            permissions,
            topic_permissions,
            parameters,
            global,
        })
    }

    /// The runtime parameters of the components warren manages, in the
    /// vhosts `present` (`GET /api/parameters`: the policymaker tag).
    pub async fn parameters_of(
        &self,
        present: &BTreeSet<String>,
    ) -> Result<Vec<model::Parameter>, Error> {
        let listed: Vec<wire::Parameter> = self
            .list_when(true, "/api/parameters", "list the parameters")
            .await?
            .unwrap_or_default();
        Ok(live_parameters(listed, present))
    }

    /// The management extensions the broker serves (`GET
    /// /api/extensions`): `shovel.js` with the shovel plugin's management,
    /// `federation.js` with federation's.
    pub async fn extensions(&self) -> Result<Vec<String>, Error> {
        let listed: Vec<serde_json::Value> = self
            .list_when(true, "/api/extensions", "list the management extensions")
            .await?
            .unwrap_or_default();
        Ok(listed
            .iter()
            .filter_map(|e| e.get("javascript")?.as_str().map(String::from))
            .collect())
    }

    /// `GET path` as a list when `wanted`, else nothing (no request).
    async fn list_when<T: serde::de::DeserializeOwned>(
        &self,
        wanted: bool,
        path: &str,
        action: &str,
    ) -> Result<Option<Vec<T>>, Error> {
        if !wanted {
            return Ok(None);
        }
        let request = Request::get(path.to_string(), action.to_string());
        self.fetch_json(request).await.map(Some)
    }

    /// The number of messages in each queue, read live: one listing of
    /// each vhost with `disable_stats&enable_queue_totals`, which counts
    /// live where the default listing lags by the stats interval. One
    /// listing costs the broker what a single paginated or name-filtered
    /// query does (it lists the whole vhost before it filters), so it beats
    /// both as soon as there are two queues to count. `None` for a stream,
    /// which has no count; a queue that does not exist is absent. Quorum
    /// queues report their count a few seconds late.
    pub async fn queue_message_counts(
        &self,
        queues: &[(String, String)],
    ) -> Result<BTreeMap<(String, String), Option<u64>>, Error> {
        self.counts_by_vhost(queues, |client, vhost| async move {
            client.vhost_message_counts(&vhost).await
        })
        .await
    }

    /// The consumers of these queues (vhost, name), which deleting them
    /// cancels: one listing with statistics per vhost, the count the
    /// broker's statistics hold (up to 5 s late; a queue younger than that
    /// has none reported, counted as 0). Visible to every user with access
    /// to the vhost, where `GET /api/consumers` shows a user who is not a
    /// monitoring or administrator user only its own (verified on 3.10.8).
    pub async fn queue_consumer_counts(
        &self,
        queues: &[(String, String)],
    ) -> Result<BTreeMap<(String, String), Option<u64>>, Error> {
        self.counts_by_vhost(queues, |client, vhost| async move {
            client.vhost_consumer_counts(&vhost).await
        })
        .await
    }

    /// A count for each of `queues`, from one listing per vhost (`list`),
    /// the vhosts read concurrently, bounded.
    async fn counts_by_vhost<F, Fut>(
        &self,
        queues: &[(String, String)],
        list: F,
    ) -> Result<BTreeMap<(String, String), Option<u64>>, Error>
    where
        F: Fn(Client, String) -> Fut,
        Fut: std::future::Future<Output = Result<BTreeMap<String, Option<u64>>, Error>>
            + Send
            + 'static,
    {
        let mut by_vhost: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (vhost, name) in queues {
            by_vhost
                .entry(vhost.clone())
                .or_default()
                .insert(name.clone());
        }
        let limit = Arc::new(Semaphore::new(self.concurrency()));
        let mut tasks = JoinSet::new();
        for (vhost, names) in by_vhost {
            let limit = Arc::clone(&limit);
            let listing = list(self.clone(), vhost.clone());
            tasks.spawn(async move {
                let _permit = limit
                    .acquire_owned()
                    .await
                    .expect("the semaphore is never closed");
                let all = listing.await?;
                Ok::<_, Error>(
                    names
                        .into_iter()
                        .filter_map(|name| {
                            let count = *all.get(&name)?;
                            Some(((vhost.clone(), name), count))
                        })
                        .collect::<Vec<_>>(),
                )
            });
        }
        let mut counts = BTreeMap::new();
        while let Some(joined) = tasks.join_next().await {
            counts.extend(joined_task(joined)?);
        }
        Ok(counts)
    }

    /// The consumers of every queue of `vhost`; empty when the vhost does
    /// not exist.
    async fn vhost_consumer_counts(
        &self,
        vhost: &str,
    ) -> Result<BTreeMap<String, Option<u64>>, Error> {
        let request = Request::get(
            format!("/api/queues/{}", encode(vhost)),
            format!("count the consumers of the queues in vhost '{vhost}'"),
        )
        .vhost_listing(vhost)
        .query(&[("columns", "name,consumers")]);
        let queues: Vec<wire::QueueConsumers> = self
            .fetch_json_or_missing(request)
            .await?
            .unwrap_or_default();
        // None reported yet is none known: the delete's `if-unused` guard
        // checks a classic queue live.
        Ok(queues
            .into_iter()
            .map(|q| (q.name, Some(q.consumers.unwrap_or(0))))
            .collect())
    }

    /// The live message count of every queue of `vhost`; empty when the
    /// vhost does not exist.
    async fn vhost_message_counts(
        &self,
        vhost: &str,
    ) -> Result<BTreeMap<String, Option<u64>>, Error> {
        let request = Request::get(
            format!("/api/queues/{}", encode(vhost)),
            format!("count the messages of the queues in vhost '{vhost}'"),
        )
        .vhost_listing(vhost)
        .query(&[
            ("disable_stats", "true"),
            ("enable_queue_totals", "true"),
            ("columns", "name,messages"),
        ]);
        let queues: Vec<wire::QueueCount> = self
            .fetch_json_or_missing(request)
            .await?
            .unwrap_or_default();
        Ok(queues.into_iter().map(|q| (q.name, q.messages)).collect())
    }

    /// Every (vhost, kind) listing, concurrently, bounded.
    async fn list_all(
        &self,
        vhosts: &[String],
        counting: bool,
    ) -> Result<Vec<(String, Option<VhostListing>)>, Error> {
        let limit = Arc::new(Semaphore::new(self.concurrency()));
        let mut tasks = JoinSet::new();
        for vhost in vhosts {
            for kind in [
                ListKind::Exchanges,
                ListKind::Queues,
                ListKind::Bindings,
                ListKind::Policies,
            ] {
                let client = self.clone();
                let limit = Arc::clone(&limit);
                let vhost = vhost.clone();
                tasks.spawn(async move {
                    let _permit = limit
                        .acquire_owned()
                        .await
                        .expect("the semaphore is never closed");
                    let listing = client.list_kind(&vhost, kind, counting).await;
                    listing.map(|listing| (vhost, listing))
                });
            }
        }
        let mut results = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            results.push(joined_task(joined)?);
        }
        Ok(results)
    }

    async fn list_kind(
        &self,
        vhost: &str,
        kind: ListKind,
        counting: bool,
    ) -> Result<Option<VhostListing>, Error> {
        let (path, columns, what) = kind.listed(counting);
        let mut query = vec![("disable_stats", "true"), ("columns", columns)];
        if counting && matches!(kind, ListKind::Queues) {
            query.push(("enable_queue_totals", "true"));
        }
        let request = Request::get(
            format!("/api/{path}/{}", encode(vhost)),
            format!("list the {what} of vhost '{vhost}'"),
        )
        .vhost_listing(vhost)
        .query(&query);
        // Each listing is converted as it arrives, while the others (the
        // bindings, the largest, come last) are still on their way.
        let mut listing = VhostListing::default();
        let found = match kind {
            ListKind::Exchanges => (self.fetch_listing_or_missing(request).await?)
                .map(|l| listing.add_exchanges(vhost, l)),
            ListKind::Queues => (self.fetch_listing_or_missing(request).await?)
                .map(|l| listing.add_queues(vhost, l)),
            ListKind::Bindings => (self.fetch_json_or_missing(request).await?)
                .map(|l| listing.bindings = live_bindings(vhost, l)),
            ListKind::Policies => (self.fetch_listing_or_missing(request).await?)
                .map(|l| listing.add_policies(vhost, l)),
        };
        Ok(found.map(|()| listing))
    }

    /// What [`Client::list_all`] reads, from the broker-wide listings
    /// (`GET /api/exchanges`, …: four requests whatever the number of
    /// vhosts), split by vhost. Every vhost in `vhosts` gets a listing.
    async fn list_broker_wide_kinds(
        &self,
        vhosts: &[String],
        counting: bool,
    ) -> Result<Vec<(String, Option<VhostListing>)>, Error> {
        let wanted: BTreeSet<String> = vhosts.iter().cloned().collect();
        let request = |kind: ListKind| {
            let (path, columns, what) = kind.listed(counting);
            // The bindings' and the policies' own columns leave the vhost out.
            let columns = match kind {
                ListKind::Bindings | ListKind::Policies => format!("{columns},vhost"),
                _ => columns.to_string(),
            };
            let mut query = vec![("disable_stats", "true".to_string()), ("columns", columns)];
            if counting && matches!(kind, ListKind::Queues) {
                query.push(("enable_queue_totals", "true".to_string()));
            }
            let query: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
            Request::get(format!("/api/{path}"), format!("list the {what}")).query(&query)
        };
        let (exchanges, queues, bindings, policies) = tokio::try_join!(
            self.fetch_listing_by_vhost::<wire::Exchange>(request(ListKind::Exchanges), &wanted),
            self.fetch_listing_by_vhost::<wire::Queue>(request(ListKind::Queues), &wanted),
            self.fetch_listing_by_vhost::<wire::Binding>(request(ListKind::Bindings), &wanted),
            self.fetch_listing_by_vhost::<wire::Policy>(request(ListKind::Policies), &wanted),
        )?;
        let (mut exchanges, mut queues, mut bindings, mut policies) =
            (exchanges, queues, bindings, policies);
        let mut all = Vec::new();
        for vhost in wanted {
            let mut listing = VhostListing::default();
            if let Some(l) = exchanges.remove(&vhost) {
                listing.add_exchanges(&vhost, l);
            }
            if let Some(l) = queues.remove(&vhost) {
                listing.add_queues(&vhost, l);
            }
            if let Some(l) = bindings.remove(&vhost) {
                listing.bindings = live_bindings(&vhost, l.items);
            }
            if let Some(l) = policies.remove(&vhost) {
                listing.add_policies(&vhost, l);
            }
            all.push((vhost, Some(listing)));
        }
        Ok(all)
    }
}

#[derive(Debug, Clone, Copy)]
enum ListKind {
    Exchanges,
    Queues,
    Bindings,
    Policies,
}

impl ListKind {
    /// The API path, the columns asked for, and the kind in words.
    fn listed(self, counting: bool) -> (&'static str, &'static str, &'static str) {
        match self {
            ListKind::Exchanges => ("exchanges", EXCHANGE_COLUMNS, "exchanges"),
            ListKind::Queues if counting => ("queues", COUNTED_QUEUE_COLUMNS, "queues"),
            ListKind::Queues => ("queues", QUEUE_COLUMNS, "queues"),
            ListKind::Bindings => ("bindings", BINDING_COLUMNS, "bindings"),
            ListKind::Policies => ("policies", POLICY_COLUMNS, "policies"),
        }
    }
}

/// The listings of one vhost, in the model's terms, without the broker's
/// own objects.
#[derive(Debug, Default)]
struct VhostListing {
    exchanges: Vec<model::Exchange>,
    /// Each with its live message count, when the listing counted them.
    queues: Vec<(model::Queue, Option<u64>)>,
    /// Each with the `properties_key` the broker reported. Bindings to
    /// queues that are not managed are dropped when the vhost is added.
    bindings: Vec<(model::Binding, String)>,
    policies: Vec<model::Policy>,
    /// The objects of the listings that could not be read.
    unreadable: Vec<Unreadable>,
    /// Exchanges a plugin made for itself: their bindings are left out.
    plugin_exchanges: HashSet<String>,
}

impl VhostListing {
    fn add_exchanges(&mut self, vhost: &str, listed: Listing<wire::Exchange>) {
        (self.exchanges, self.plugin_exchanges) = live_exchanges(vhost, listed.items);
        self.unreadable
            .extend(unreadable(vhost, listed.unreadable, |vhost, name| {
                ObjectId::Exchange { vhost, name }
            }));
    }

    fn add_queues(&mut self, vhost: &str, listed: Listing<wire::Queue>) {
        self.queues = live_queues(vhost, listed.items);
        self.unreadable
            .extend(unreadable(vhost, listed.unreadable, |vhost, name| {
                ObjectId::Queue { vhost, name }
            }));
    }

    fn add_policies(&mut self, vhost: &str, listed: Listing<wire::Policy>) {
        self.policies = live_policies(vhost, listed.items);
        self.unreadable
            .extend(unreadable(vhost, listed.unreadable, |vhost, name| {
                ObjectId::Policy { vhost, name }
            }));
    }

    fn merge(&mut self, other: VhostListing) {
        self.exchanges.extend(other.exchanges);
        self.queues.extend(other.queues);
        self.bindings.extend(other.bindings);
        self.policies.extend(other.policies);
        self.unreadable.extend(other.unreadable);
        self.plugin_exchanges.extend(other.plugin_exchanges);
    }
}

/// The unreadable objects of one listing of `vhost`, named by `id`. One
/// whose very name cannot be read is named by what could be.
fn unreadable(
    vhost: &str,
    objects: Vec<UnreadableObject>,
    id: fn(String, String) -> ObjectId,
) -> Vec<Unreadable> {
    objects
        .into_iter()
        .map(|o| Unreadable {
            id: id(
                vhost.to_string(),
                o.name.unwrap_or_else(|| "(name unreadable)".into()),
            ),
            field: o.field,
            value: o.value,
            problem: o.problem,
        })
        .collect()
}

/// The listed parameters of the components warren manages, in `present`.
fn live_parameters(
    listed: Vec<wire::Parameter>,
    present: &BTreeSet<String>,
) -> Vec<model::Parameter> {
    listed
        .into_iter()
        .filter(|p| present.contains(&p.vhost))
        .filter(|p| model::PARAMETER_COMPONENTS.contains(&p.component.as_str()))
        .map(|p| model::Parameter {
            component: p.component,
            vhost: p.vhost,
            name: p.name,
            value: p.value,
            resolved: None,
        })
        .collect()
}

/// A user as the broker holds it: its stored hash as its credential.
fn live_user(u: wire::User, limits: Option<model::Arguments>) -> model::User {
    let mut user = model::User::new(u.name);
    user.tags = u.tags;
    user.limits = limits.filter(|l| !l.is_empty());
    user.credential = Some(model::Credential::Hash {
        hash: model::Secret::new(u.password_hash.unwrap_or_default()),
        algorithm: u.hashing_algorithm,
    });
    user
}

fn live_vhost(v: wire::Vhost) -> model::Vhost {
    model::Vhost {
        name: v.name,
        description: v.description,
        tags: v.tags,
        default_queue_type: v
            .default_queue_type
            .filter(|t| !t.is_empty() && t != "undefined"),
        limits: None,
        metadata: None,
    }
}

/// The default exchange and the `amq.*` ones belong to the broker.
pub(crate) fn is_managed_exchange(name: &str) -> bool {
    !name.is_empty() && !model::is_reserved_name(name)
}

/// Exclusive queues belong to a connection, and `amq.*` queues (`amq.gen-…`)
/// are named by the server; no client can declare an `amq.` queue. The
/// apply lock is warren's own, there only while an apply runs. A plugin's
/// own queues (a federation link's) are its business.
fn is_managed_queue(queue: &wire::Queue) -> bool {
    queue.exclusive != Some(true)
        && !model::is_reserved_name(&queue.name)
        && queue.name != super::lock::LOCK_QUEUE
        && !is_internal_purpose(&queue.arguments)
}

/// The argument a plugin marks its own objects with (the federation
/// plugin's upstream exchanges and queues: `x-internal-purpose:
/// federation`).
fn is_internal_purpose(arguments: &model::Arguments) -> bool {
    arguments.contains_key("x-internal-purpose")
}

/// The model of a live queue. Its `x-queue-type` is the type the broker
/// reports, whatever was declared: a queue declared without it takes the
/// vhost's default type *at declaration*, which may have changed since.
fn live_queue(vhost: &str, q: wire::Queue) -> model::Queue {
    let mut arguments = q.arguments;
    if let Some(kind) = q.kind.filter(|k| !k.is_empty()) {
        arguments.insert("x-queue-type".to_string(), serde_json::Value::String(kind));
    }
    model::Queue {
        name: q.name,
        vhost: vhost.to_string(),
        durable: q.durable,
        auto_delete: q.auto_delete,
        arguments,
        declared_type: None,
    }
}

/// The exchanges warren manages, and the names of those a plugin made for
/// itself (whose bindings are its business too).
fn live_exchanges(
    vhost: &str,
    listed: Vec<wire::Exchange>,
) -> (Vec<model::Exchange>, HashSet<String>) {
    let (internal, listed): (Vec<wire::Exchange>, Vec<wire::Exchange>) = listed
        .into_iter()
        .partition(|e| is_internal_purpose(&e.arguments));
    let internal = internal.into_iter().map(|e| e.name).collect();
    let managed = listed
        .into_iter()
        .filter(|e| is_managed_exchange(&e.name))
        .map(|e| model::Exchange {
            name: e.name,
            vhost: vhost.to_string(),
            kind: e.kind,
            durable: e.durable,
            auto_delete: e.auto_delete,
            internal: e.internal,
            arguments: e.arguments,
        })
        .collect();
    (managed, internal)
}

fn live_queues(vhost: &str, listed: Vec<wire::Queue>) -> Vec<(model::Queue, Option<u64>)> {
    listed
        .into_iter()
        .filter(is_managed_queue)
        .map(|q| {
            let messages = q.messages;
            (live_queue(vhost, q), messages)
        })
        .collect()
}

/// The bindings between managed objects: not those of the default
/// exchange (one per queue, implied), nor to an unknown kind of
/// destination.
fn live_bindings(vhost: &str, listed: Vec<wire::Binding>) -> Vec<(model::Binding, String)> {
    listed
        .into_iter()
        .filter(|b| !b.source.is_empty())
        .filter_map(|b| {
            let destination_type = match b.destination_type.as_str() {
                "queue" => DestinationType::Queue,
                "exchange" => DestinationType::Exchange,
                _ => return None,
            };
            let binding = model::Binding {
                source: b.source,
                destination: b.destination,
                destination_type,
                routing_key: b.routing_key,
                arguments: b.arguments,
                vhost: vhost.to_string(),
            };
            Some((binding, b.properties_key))
        })
        .collect()
}

fn live_policies(vhost: &str, listed: Vec<wire::Policy>) -> Vec<model::Policy> {
    listed
        .into_iter()
        .map(|p| model::Policy {
            name: p.name,
            vhost: vhost.to_string(),
            pattern: p.pattern,
            apply_to: p.apply_to,
            priority: p.priority,
            definition: p.definition,
        })
        .collect()
}

/// Adds one vhost's listings to `live`.
fn add_vhost(live: &mut Live, vhost: model::Vhost, listing: VhostListing) {
    let VhostListing {
        exchanges,
        queues,
        bindings,
        policies,
        unreadable,
        plugin_exchanges,
    } = listing;
    let topology = &mut live.topology;
    topology.vhosts.push(vhost);
    topology.exchanges.extend(exchanges);
    // Bindings to queues that are not managed (or that appeared after the
    // queue listing was taken) stay out, so every binding's queue is there.
    // A queue that could not be read keeps its bindings: they are there.
    let unreadable_queues = unreadable.iter().filter_map(|u| match &u.id {
        ObjectId::Queue { name, .. } => Some(name.as_str()),
        _ => None,
    });
    let queue_names: HashSet<&str> = queues
        .iter()
        .map(|(q, _)| q.name.as_str())
        .chain(unreadable_queues)
        .collect();
    for (binding, properties_key) in bindings {
        if binding.destination_type == DestinationType::Queue
            && !queue_names.contains(binding.destination.as_str())
        {
            continue;
        }
        if plugin_exchanges.contains(&binding.source)
            || (binding.destination_type == DestinationType::Exchange
                && plugin_exchanges.contains(&binding.destination))
        {
            continue;
        }
        live.binding_keys.insert(binding.id(), properties_key);
        topology.bindings.push(binding);
    }
    for (queue, messages) in queues {
        if let Some(counts) = live.message_counts.as_mut() {
            counts.insert((queue.vhost.clone(), queue.name.clone()), messages);
        }
        topology.queues.push(queue);
    }
    topology.policies.extend(policies);
    live.unreadable.extend(unreadable);
}

/// A read task's result. A panic goes on (it is a bug); a task cancelled
/// because the runtime is stopping (the command has ended and its result
/// is decided) is an error, never a panic whose text reaches the user.
fn joined_task<T>(joined: Result<Result<T, Error>, tokio::task::JoinError>) -> Result<T, Error> {
    match joined {
        Ok(result) => result,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(_) => Err(Error::Stopped),
    }
}

/// The broker-wide listings, as the broker answered them: `None` for a
/// kind not listed.
#[derive(Debug, Default)]
pub struct BrokerWide {
    users: Option<Vec<wire::User>>,
    user_limits: Option<Vec<wire::UserLimits>>,
    permissions: Option<Vec<wire::Permission>>,
    topic_permissions: Option<Vec<wire::TopicPermission>>,
    parameters: Option<Vec<wire::Parameter>>,
    global: Option<Vec<wire::GlobalParameter>>,
}

impl BrokerWide {
    /// The broker-wide kinds `reading` asks for that these listings lack.
    pub fn missing(&self, reading: Reading) -> Reading {
        Reading {
            users: reading.users && (self.users.is_none() || self.user_limits.is_none()),
            permissions: reading.permissions && self.permissions.is_none(),
            topic_permissions: reading.topic_permissions && self.topic_permissions.is_none(),
            parameters: reading.parameters && self.parameters.is_none(),
            global_parameters: reading.global_parameters && self.global.is_none(),
            ..Reading::default()
        }
    }

    /// These listings, each kind they lack taken from `other`.
    pub fn or(self, other: BrokerWide) -> BrokerWide {
        let (users, user_limits) = match (self.users, self.user_limits) {
            (Some(users), Some(limits)) => (Some(users), Some(limits)),
            _ => (other.users, other.user_limits),
        };
        BrokerWide {
            users,
            user_limits,
            permissions: self.permissions.or(other.permissions),
            topic_permissions: self.topic_permissions.or(other.topic_permissions),
            parameters: self.parameters.or(other.parameters),
            global: self.global.or(other.global),
        }
    }
}

/// The kinds `reading` asked for into `topology`, kept to the vhosts
/// `present` where they belong to one.
fn add_broker_wide(
    listed: BrokerWide,
    reading: Reading,
    present: &BTreeSet<String>,
    topology: &mut Topology,
) {
    let BrokerWide {
        users,
        user_limits,
        permissions,
        topic_permissions,
        parameters,
        global,
    } = listed;
    let in_scope = |vhost: &str| present.contains(vhost);
    if reading.users {
        let mut limits: BTreeMap<String, model::Arguments> = user_limits
            .unwrap_or_default()
            .into_iter()
            .map(|l| (l.user, l.value))
            .collect();
        topology.users = Some(
            users
                .unwrap_or_default()
                .into_iter()
                .map(|u| {
                    let user_limits = limits.remove(&u.name);
                    live_user(u, user_limits)
                })
                .collect(),
        );
    }
    if reading.permissions {
        topology.permissions = Some(
            permissions
                .unwrap_or_default()
                .into_iter()
                .filter(|p| in_scope(&p.vhost))
                .map(|p| model::Permission {
                    user: p.user,
                    vhost: p.vhost,
                    configure: p.configure,
                    write: p.write,
                    read: p.read,
                })
                .collect(),
        );
    }
    if reading.topic_permissions {
        topology.topic_permissions = Some(
            topic_permissions
                .unwrap_or_default()
                .into_iter()
                .filter(|p| in_scope(&p.vhost))
                .map(|p| model::TopicPermission {
                    user: p.user,
                    vhost: p.vhost,
                    exchange: p.exchange,
                    write: p.write,
                    read: p.read,
                })
                .collect(),
        );
    }
    if reading.parameters {
        topology.parameters = Some(live_parameters(parameters.unwrap_or_default(), present));
    }
    if reading.global_parameters {
        topology.global_parameters = Some(
            global
                .unwrap_or_default()
                .into_iter()
                .filter(|p| !model::INTERNAL_GLOBAL_PARAMETERS.contains(&p.name.as_str()))
                .map(|p| model::GlobalParameter {
                    name: p.name,
                    value: p.value,
                })
                .collect(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue(name: &str, exclusive: Option<bool>, kind: &str, arguments: &str) -> wire::Queue {
        wire::Queue {
            name: name.to_string(),
            durable: true,
            auto_delete: false,
            exclusive,
            arguments: serde_json::from_str(arguments).unwrap(),
            kind: Some(kind.to_string()),
            messages: None,
        }
    }

    fn binding(source: &str, destination: &str, destination_type: &str) -> wire::Binding {
        wire::Binding {
            source: source.into(),
            destination: destination.into(),
            destination_type: destination_type.into(),
            routing_key: "k".into(),
            arguments: Default::default(),
            properties_key: "k".into(),
        }
    }

    #[test]
    fn server_named_and_exclusive_queues_are_not_managed() {
        assert!(!is_managed_queue(&queue(
            "amq.gen-JzTY20BRgKO-HjmUJj0wLg",
            Some(false),
            "classic",
            "{}"
        )));
        assert!(!is_managed_queue(&queue(
            "reply",
            Some(true),
            "classic",
            "{}"
        )));
        assert!(is_managed_queue(&queue(
            "jobs",
            Some(false),
            "classic",
            "{}"
        )));
        assert!(is_managed_queue(&queue("qq", None, "quorum", "{}")));
        assert!(is_managed_queue(&queue(
            "amq_not_reserved",
            None,
            "classic",
            "{}"
        )));
    }

    #[test]
    fn the_default_and_amq_exchanges_are_not_managed() {
        assert!(!is_managed_exchange(""));
        assert!(!is_managed_exchange("amq.topic"));
        assert!(is_managed_exchange("events"));
    }

    #[test]
    fn bindings_to_unmanaged_queues_and_from_the_default_exchange_are_dropped() {
        let mut live = Live {
            topology: Topology::default(),
            binding_keys: BTreeMap::new(),
            version: "3.10.8".into(),
            exchange_types: Vec::new(),
            extensions: None,
            unreadable: Vec::new(),
            message_counts: None,
        };
        let listing = VhostListing {
            exchanges: vec![],
            queues: live_queues(
                "v",
                vec![
                    queue("jobs", Some(false), "classic", "{}"),
                    queue("amq.gen-x", Some(true), "classic", "{}"),
                ],
            ),
            bindings: live_bindings(
                "v",
                vec![
                    binding("", "jobs", "queue"),
                    binding("amq.topic", "jobs", "queue"),
                    binding("amq.topic", "amq.gen-x", "queue"),
                    binding("events", "other", "exchange"),
                    binding("events", "gone", "queue"),
                ],
            ),
            policies: vec![],
            unreadable: vec![],
            plugin_exchanges: HashSet::new(),
        };
        add_vhost(&mut live, model::Vhost::new("v"), listing);
        let kept: Vec<(&str, &str)> = live
            .topology
            .bindings
            .iter()
            .map(|b| (b.source.as_str(), b.destination.as_str()))
            .collect();
        assert_eq!(kept, [("amq.topic", "jobs"), ("events", "other")]);
        assert_eq!(live.binding_keys.len(), 2);
        assert_eq!(live.topology.queues.len(), 1);
    }

    #[test]
    fn a_queue_carries_the_type_the_broker_reports() {
        let q = live_queue("v", queue("qq", None, "quorum", "{}"));
        assert_eq!(q.arguments["x-queue-type"], "quorum");
        // Classic even where the vhost's default type is now quorum.
        let q = live_queue("v", queue("c", Some(false), "classic", "{}"));
        assert_eq!(q.arguments["x-queue-type"], "classic");
        let q = live_queue(
            "v",
            queue(
                "s",
                None,
                "stream",
                r#"{"x-queue-type":"stream","x-max-age":"1D"}"#,
            ),
        );
        assert_eq!(q.arguments.len(), 2);
    }

    #[test]
    fn an_undefined_default_queue_type_is_none() {
        let v = live_vhost(wire::Vhost {
            name: "v".into(),
            description: String::new(),
            tags: vec![],
            default_queue_type: Some("undefined".into()),
        });
        assert_eq!(v.default_queue_type, None);
    }
}
