//! What the broker commands share: connecting (with the connection's
//! warnings shown), a runtime, and planning the files against the live
//! state.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::panic::resume_unwind;

use super::{Failure, Sources, load_sources, report_load};
use crate::broker::{BrokerWide, Client, Connection, Live, Reading};
use crate::cli::GlobalArgs;
use crate::execute::reading_of;
use crate::load::{Foreseen, Loaded, foresee};
use crate::normalize::{Normal, normalize};
use crate::plan::{
    BrokerInfo, Desired, Direction, Managed, MigrationFacts, Plan, PlanInputs, Prune,
    migrated_queue_of, plan_changes, shovel_name,
};
use crate::render::{self, notices};
use crate::rules::{BrokerFacts, undeclared_grantees};

/// Runs `future` on a fresh multi-threaded runtime.
pub fn block_on<T, F: Future<Output = Result<T, Failure>>>(future: F) -> Result<T, Failure> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| match e.raw_os_error() {
            Some(23 | 24) => Failure::new(
                "warren ran out of file handles (too many open files) before it could start: \
                 raise the open-file limit (ulimit -n)",
            ),
            _ => Failure::new(format!("warren cannot start its runtime: {e}")),
        })?;
    let result = runtime.block_on(future);
    if result.is_ok() {
        // Every task of the command is done; what is left (the idle
        // connections) ends with the process, without the 2-3 ms of
        // closing each of them (measured at 5,000 queues).
        runtime.shutdown_background();
    }
    // After an error some requests may still be on their way: dropping the
    // runtime stops its threads before the error is printed, so nothing
    // they log (a `-v` line of a request cut short) comes after it.
    result
}

/// Frees `value` on a thread of its own. The big values of a command (the
/// loaded files, the live topology) are hundreds of thousands of small
/// allocations; freeing them takes longer than the rest of the command
/// (15 to 20 ms each at 20,000 queues, measured), and the process ends
/// right after, which frees them anyway.
pub fn free_in_background<T: Send + 'static>(value: T) {
    // Should the system refuse a thread, the value is freed here.
    let _ = std::thread::Builder::new().spawn(move || drop(value));
}

/// A client for the connection options, after printing their warnings
/// (an insecure connection says so on every run).
pub fn connect(global: &GlobalArgs) -> Result<Client, Failure> {
    let connection = Connection::from_options(&global.connection.options())?;
    notices::connection_warnings(
        connection.warnings(),
        connection.insecure(),
        connection.display_url(),
    );
    Ok(Client::new(&connection)?
        .with_verbose(global.verbose)
        .with_node_notices(std::sync::Arc::new(notices::node_event)))
}

/// [`connect`], for a command that reads files too: when the connection
/// options are wrong, errors in the files are reported first (they are
/// what the user is editing).
pub fn connect_after_files(global: &GlobalArgs, sources: Sources<'_>) -> Result<Client, Failure> {
    connect(global).map_err(|failure| match load_sources(sources) {
        Err(file_failure) => file_failure,
        Ok(_) => failure,
    })
}

/// The files' paths as the plan records them.
pub fn file_names(loaded: &Loaded) -> Vec<String> {
    loaded
        .files
        .iter()
        .map(|f| f.display().to_string())
        .collect()
}

/// Loads the files, then reads the broker's side of the vhosts they
/// declare and plans one against the other. A file error wins over
/// anything the broker would say: the broker is not read then. Returns the
/// plan and the live topology it was computed from.
pub async fn load_and_plan(
    client: &Client,
    sources: Sources<'_>,
    prune: Prune,
) -> Result<(Plan, Normal), Failure> {
    let (loaded, early) = load_reading_ahead(client, sources).await?;
    plan_loaded_with(client, loaded, prune, early.listed()).await
}

/// [`load_on_the_side`], asking the broker meanwhile for the broker-wide
/// kinds each file seems to declare ([`foresee`]): for a file of thousands
/// of users the parse takes as long as the broker's answer, and the two
/// overlap. Only a file that declares such kinds changes what is asked,
/// and nothing is asked that the read after the parse would not ask: a
/// listing the files turn out not to need is dropped, one that fails is
/// asked again by that read (which reports the failure), and a file error
/// still wins over anything the broker says.
async fn load_reading_ahead(
    client: &Client,
    sources: Sources<'_>,
) -> Result<(Loaded, EarlyReads), Failure> {
    let (guesses, mut guessed) = tokio::sync::mpsc::unbounded_channel();
    let paths = sources.paths.to_vec();
    let variables = sources.variables.cloned();
    let loading = tokio::task::spawn_blocking(move || {
        let observe = |bytes: &[u8]| {
            let _ = guesses.send(foresee(bytes));
        };
        report_load(crate::load::load_observing(
            &paths,
            variables.as_ref(),
            observe,
        ))
    });
    let mut asked = Foreseen::default();
    let mut early = Vec::new();
    while let Some(guess) = guessed.recv().await {
        let new = guess.without(asked);
        if new.any() {
            asked = asked.union(new);
            let client = client.clone();
            early.push(tokio::spawn(async move {
                client.read_broker_wide(reading_of_guess(new)).await
            }));
        }
    }
    let loaded = loading
        .await
        .unwrap_or_else(|e| resume_unwind(e.into_panic()));
    let mut loaded = match loaded {
        Ok(loaded) => loaded,
        Err(failure) => {
            early.iter().for_each(|task| task.abort());
            return Err(failure);
        }
    };
    if let Err(failure) = resolve_secrets(&mut loaded) {
        early.iter().for_each(|task| task.abort());
        return Err(failure);
    }
    Ok((loaded, EarlyReads(early)))
}

/// The broker-wide listings asked for while the files were parsed, some
/// perhaps still on their way: the vhosts are read meanwhile.
struct EarlyReads(Vec<tokio::task::JoinHandle<Result<BrokerWide, crate::broker::Error>>>);

impl EarlyReads {
    /// What the listings gave once all are in. One that failed is left
    /// out: the read asks for it again, and reports its failure.
    async fn listed(self) -> BrokerWide {
        let mut listed = BrokerWide::default();
        for task in self.0 {
            if let Ok(Ok(more)) = task.await {
                listed = listed.or(more);
            }
        }
        listed
    }
}

/// What a read asks for the kinds `guess` names.
fn reading_of_guess(guess: Foreseen) -> Reading {
    Reading {
        users: guess.users,
        permissions: guess.permissions,
        topic_permissions: guess.topic_permissions,
        parameters: guess.parameters,
        global_parameters: guess.global_parameters,
        ..Reading::default()
    }
}

/// Loads the files on a thread of the runtime's blocking pool; a file
/// error is shown and fails the command.
pub async fn load_on_the_side(sources: Sources<'_>) -> Result<Loaded, Failure> {
    let paths = sources.paths.to_vec();
    let variables = sources.variables.cloned();
    let loading = move || report_load(crate::load::load_with(&paths, variables.as_ref()));
    let mut loaded = tokio::task::spawn_blocking(loading)
        .await
        .unwrap_or_else(|e| resume_unwind(e.into_panic()))?;
    resolve_secrets(&mut loaded)?;
    Ok(loaded)
}

/// The vhosts the files declare, sorted, each once.
pub fn declared_vhosts(loaded: &Loaded) -> Vec<String> {
    loaded
        .topology
        .vhosts
        .iter()
        .map(|v| v.name.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// [`load_and_plan`] once the files are loaded.
pub async fn plan_loaded(
    client: &Client,
    loaded: Loaded,
    prune: Prune,
) -> Result<(Plan, Normal), Failure> {
    plan_loaded_with(
        client,
        loaded,
        prune,
        std::future::ready(BrokerWide::default()),
    )
    .await
}

/// [`plan_loaded`], with the broker-wide listings `early` gives (asked
/// for while the files were parsed).
async fn plan_loaded_with(
    client: &Client,
    loaded: Loaded,
    prune: Prune,
    early: impl Future<Output = BrokerWide> + Send + 'static,
) -> Result<(Plan, Normal), Failure> {
    let wanted = declared_vhosts(&loaded);
    let reading = reading_of(Managed::of(&loaded.topology), prune.objects);
    let reading = {
        let client = client.clone();
        tokio::spawn(async move { client.read_with(&wanted, reading, early).await })
    };
    // The files' side of the plan is worked out while the broker is read.
    let desired = Desired::new(&loaded.topology);
    let live = reading
        .await
        .unwrap_or_else(|e| resume_unwind(e.into_panic()))?;
    refuse_what_the_broker_would(client, &loaded, &live).await?;
    let files = file_names(&loaded);
    let planned = plan_from_live(client, desired, live, files, prune).await;
    free_in_background(loaded);
    planned
}

/// What the shovel plugin's management adds to `GET /api/extensions`.
const SHOVEL_EXTENSION: &str = "shovel.js";

/// Reads the broker's extensions when `plan` has migrations and the live
/// read did not list them, and marks each as refused when the broker has
/// no shovel plugin (its management part, which
/// `rabbitmq_shovel_management` adds, is what the API shows).
pub async fn check_shovel_plugin(client: &Client, plan: &mut Plan) -> Result<(), Failure> {
    if plan.migrations.is_empty() || plan.shovel_plugin_known {
        return Ok(());
    }
    let extensions = client.extensions().await?;
    plan.note_migration_facts(MigrationFacts {
        shovel_plugin: extensions.iter().any(|e| e == SHOVEL_EXTENSION),
    });
    Ok(())
}

/// Reads the passwords and URIs the files name by reference (environment
/// variables, files): an error for each that cannot be read, before the
/// broker is.
pub fn resolve_secrets(loaded: &mut Loaded) -> Result<(), Failure> {
    match loaded.resolve_secrets() {
        Ok(warnings) => {
            render::show_diagnostics(&warnings, &[]);
            Ok(())
        }
        Err(errors) => {
            render::show_diagnostics(&[], &errors);
            Err(Failure::reported(render::error_count_line(&errors)))
        }
    }
}

/// Fails, naming each object and key, when the files hold what the broker
/// just read would refuse (its version, its plugins, its vhosts' default
/// queue types, the users it lacks): before anything is planned, so
/// nothing changes.
async fn refuse_what_the_broker_would(
    client: &Client,
    loaded: &Loaded,
    live: &Live,
) -> Result<(), Failure> {
    // The users the files grant permissions to without declaring them must
    // be on the broker: read from its users when the files manage them,
    // else listed for this.
    let users = if undeclared_grantees(&loaded.topology).is_empty() {
        None
    } else if let Some(users) = &live.topology.users {
        Some(users.iter().map(|u| u.name.clone()).collect())
    } else {
        Some(client.user_names().await?)
    };
    let facts = BrokerFacts {
        users,
        version: live.version.clone(),
        exchange_types: live.exchange_types.clone(),
        extensions: live.extensions.clone(),
        default_queue_types: live
            .topology
            .vhosts
            .iter()
            .filter_map(|v| Some((v.name.clone(), v.default_queue_type.clone()?)))
            .collect(),
    };
    let refused = loaded.refused_by(&facts);
    if refused.is_empty() {
        return Ok(());
    }
    let summary = render::show_broker_refusals(&refused, client.display_url(), &live.version);
    Err(Failure::reported(summary))
}

/// Plans `desired` against the live state read from `client`, with live
/// message counts and the consumers for every queue the plan would drop.
/// Gives the live topology back, in normal form.
async fn plan_from_live(
    client: &Client,
    desired: Desired<'_>,
    live: Live,
    files: Vec<String>,
    prune: Prune,
) -> Result<(Plan, Normal), Failure> {
    let Live {
        topology,
        binding_keys,
        version,
        message_counts,
        exchange_types: _,
        extensions,
        unreadable,
    } = live;
    let topology = normalize(topology);
    let mut plan = plan_changes(
        desired,
        &topology,
        PlanInputs {
            broker: Some(BrokerInfo {
                url: client.display_url().to_string(),
                version,
            }),
            files,
            prune: prune.objects,
            prune_users: prune.users,
            prune_global_parameters: prune.global_parameters,
            binding_keys,
            unreadable,
            connected_user: Some(client.username().to_string()),
        },
    );
    let dropped = plan.queues_dropped();
    // Temporary queues a stopped migration left: counted too.
    let temporaries: Vec<(String, String)> = topology
        .queues
        .iter()
        .filter(|q| migrated_queue_of(&q.name).is_some())
        .map(|q| (q.vhost.clone(), q.name.clone()))
        .collect();
    let counted: Vec<(String, String)> = dropped.iter().chain(&temporaries).cloned().collect();
    let messages = async {
        match message_counts {
            Some(counts) => Ok(counts),
            None if counted.is_empty() => Ok(BTreeMap::new()),
            None => client.queue_message_counts(&counted).await,
        }
    };
    let consumers = async {
        if dropped.is_empty() {
            Ok(BTreeMap::new())
        } else {
            client.queue_consumer_counts(&dropped).await
        }
    };
    let (messages, mut consumers) = tokio::try_join!(messages, consumers)?;
    // A stopped migration's shovel still moving a queue's messages is one
    // of its consumers: its own, not one the migration cancels.
    let vhosts_left: BTreeSet<&String> = temporaries.iter().map(|(vhost, _)| vhost).collect();
    for vhost in vhosts_left {
        for shovel in client.shovel_names(vhost).await? {
            let queue = shovel
                .strip_prefix(&shovel_name("", Direction::Out))
                .map(|q| (vhost.clone(), q.to_string()));
            if let Some(Some(n)) = queue.and_then(|q| consumers.get_mut(&q)) {
                *n = n.saturating_sub(1);
            }
        }
    }
    plan.set_message_counts(&messages);
    if !dropped.is_empty() {
        plan.set_consumer_counts(&consumers);
    }
    // The shovel plugin is looked for only when a migration is to be
    // shown or carried out ([`check_shovel_plugin`]), unless the read
    // already listed the broker's extensions: then it is known here.
    let facts = MigrationFacts {
        shovel_plugin: extensions
            .as_ref()
            .is_none_or(|listed| listed.iter().any(|e| e == SHOVEL_EXTENSION)),
    };
    plan.plan_migrations(&topology, &messages, facts);
    plan.shovel_plugin_known = extensions.is_some();
    Ok((plan, topology))
}
