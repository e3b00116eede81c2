//! The command line: clap definitions, environment variables and flag
//! conflicts. Nothing here does any work; `commands` takes the parsed values.

use std::path::PathBuf;

use clap::error::ErrorKind;
use clap::parser::ValueSource;
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use crate::broker::{ConnectionOptions, OnCommandLine};

/// RabbitMQ topology as code: plan, apply, drift and diff for exchanges,
/// queues, bindings and policies.
#[derive(Debug, Parser)]
#[command(name = "warren", version, propagate_version = true)]
#[command(after_help = "Exit codes: 0 success and nothing to report, 1 error, \
2 changes or drift found (plan --detailed-exitcode, drift, diff).")]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// The commands that talk to a broker, the only ones whose help lists the
/// connection options. Every other command, a new one included, never
/// reads them and hides them (see [`command`]).
pub const BROKER_COMMANDS: &[&str] = &["plan", "apply", "drift", "export"];

/// The command line as clap sees it: [`Cli`]'s definitions, with the
/// connection options left out of the help (and the man page) of every
/// command not in [`BROKER_COMMANDS`] (the completions come from
/// [`completion_command`]). They are global options, so clap
/// would copy them into every command; an offline command gets a hidden
/// copy of its own instead (clap copies no option a command already
/// has). It still accepts them, so `WARREN_URL` in the environment or
/// `warren --url … validate` in a script is no error, only unused.
pub fn command() -> clap::Command {
    let hidden_connection: Vec<clap::Arg> =
        ConnectionArgs::augment_args(clap::Command::new("connection"))
            .get_arguments()
            .map(|arg| arg.clone().hide(true))
            .collect();
    let mut command = Cli::command();
    let offline: Vec<String> = command
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .filter(|name| !BROKER_COMMANDS.contains(&name.as_str()))
        .collect();
    for name in offline {
        command = command.mut_subcommand(name, |sub| sub.args(hidden_connection.iter().cloned()));
    }
    command
}

/// The command line the shell completions are generated from: the
/// connection options only where they are used (before the command, and
/// on each of [`BROKER_COMMANDS`]). Not global there, so no offline command
/// gets a copy: the bash generator would offer a hidden copy anyway.
pub fn completion_command() -> clap::Command {
    let connection: Vec<clap::Arg> = ConnectionArgs::augment_args(clap::Command::new("connection"))
        .get_arguments()
        .map(|arg| arg.clone().global(false))
        .collect();
    let mut command = Cli::command();
    for arg in &connection {
        command = command.mut_arg(arg.get_id(), |arg| arg.global(false));
    }
    for name in BROKER_COMMANDS {
        command = command.mut_subcommand(name, |sub| sub.args(connection.iter().cloned()));
    }
    command
}

impl Cli {
    /// Parses `args` (the program name first). `--password` and
    /// `--password-file` on one command line are refused, checked here
    /// because clap's `conflicts_with` counts a `WARREN_PASSWORD` value as
    /// `--password`, while a file named on the command line wins over the
    /// environment.
    pub fn try_parse_args<I, T>(args: I) -> Result<Cli, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let mut command = command();
        let matches = command.try_get_matches_from_mut(args)?;
        let given = |id: &str| matches.value_source(id) == Some(ValueSource::CommandLine);
        if given("password") && given("password_file") {
            return Err(command.error(
                ErrorKind::ArgumentConflict,
                "the argument '--password <PASSWORD>' cannot be used with '--password-file <PASSWORD_FILE>'",
            ));
        }
        let mut cli = Cli::from_arg_matches(&matches).map_err(|e| e.format(&mut command))?;
        cli.global.connection.on_command_line = OnCommandLine {
            password: given("password"),
            url: given("url"),
        };
        let format_given = matches.value_source("format") != Some(ValueSource::DefaultValue);
        cli.global.format = format_for(&cli.command, cli.global.format, format_given)
            .map_err(|message| command.error(ErrorKind::InvalidValue, message))?;
        Ok(cli)
    }
}

/// The format `command` runs with: `graph` draws Mermaid (its default) or
/// DOT, or writes its nodes and edges as JSON; no other command draws.
/// `given` says whether `--format` was on the command line (a `text` that
/// is only the default is `graph`'s Mermaid).
fn format_for(command: &Command, format: Format, given: bool) -> Result<Format, String> {
    let draws = matches!(format, Format::Mermaid | Format::Dot);
    match command {
        Command::Graph { .. } if draws || format == Format::Json => Ok(format),
        Command::Graph { .. } if !given => Ok(Format::Mermaid),
        Command::Graph { .. } => Err(format!(
            "warren graph draws --format mermaid or --format dot, or writes --format json, not {}",
            format.as_str()
        )),
        _ if draws => Err(format!(
            "--format {} is for warren graph; this command writes text, json or markdown",
            format.as_str()
        )),
        _ => Ok(format),
    }
}

/// Options every command takes.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Output format: text, json, or markdown (plan, drift, diff); mermaid,
    /// dot or json for graph.
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// Log requests and decisions to stderr (passwords are never logged).
    #[arg(short, long, global = true)]
    pub verbose: bool,

    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// How to reach the management API.
#[derive(Debug, Clone, Args)]
pub struct ConnectionArgs {
    /// Management API base URL; or the URLs of several nodes of one
    /// cluster, comma-separated: the first that answers is used, and the
    /// next when it fails a request that may be repeated.
    #[arg(
        long,
        global = true,
        env = "WARREN_URL",
        default_value = "http://localhost:15672",
        hide_env_values = true
    )]
    pub url: String,

    /// Management user.
    #[arg(long, global = true, env = "WARREN_USERNAME")]
    pub username: Option<String>,

    /// Management password (prefer WARREN_PASSWORD or --password-file).
    #[arg(long, global = true, env = "WARREN_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,

    /// Read the password from this file (first line); wins over
    /// WARREN_PASSWORD.
    #[arg(long, global = true)]
    pub password_file: Option<PathBuf>,

    /// Trust this PEM CA certificate for https URLs.
    #[arg(long, global = true)]
    pub ca_cert: Option<PathBuf>,

    /// Do not verify TLS certificates (says so loudly on every run).
    #[arg(long, global = true)]
    pub insecure: bool,

    /// Seconds to wait for each request.
    #[arg(long, global = true, default_value_t = 30)]
    pub timeout: u64,

    /// Which of the options above came from the command line.
    #[arg(skip)]
    pub on_command_line: OnCommandLine,
    /// What named `password_file` when not the command line (a target of
    /// warren.yaml), for its errors.
    #[arg(skip)]
    pub password_file_named_by: Option<String>,
}

impl ConnectionArgs {
    /// The options as the broker client takes them.
    pub fn options(&self) -> ConnectionOptions {
        ConnectionOptions {
            url: self.url.clone(),
            username: self.username.clone(),
            password: self.password.clone(),
            password_file: self.password_file.clone(),
            password_file_named_by: self.password_file_named_by.clone(),
            ca_cert: self.ca_cert.clone(),
            insecure: self.insecure,
            timeout: self.timeout,
            on_command_line: self.on_command_line,
        }
    }
}

/// Which targets of the project file (warren.yaml) a command runs for.
#[derive(Debug, Clone, Default, Args)]
pub struct TargetArgs {
    /// Run for this target of warren.yaml (repeatable): its URLs,
    /// credentials, files and variables.
    #[arg(long = "target", value_name = "NAME", conflicts_with = "paths")]
    pub names: Vec<String>,
    /// Run for every target of warren.yaml, in one report.
    #[arg(long, conflicts_with_all = ["names", "paths"])]
    pub all_targets: bool,
    /// The project file (default: ./warren.yaml).
    #[arg(long, env = "WARREN_PROJECT", value_name = "FILE")]
    pub project: Option<PathBuf>,
}

/// The target of warren.yaml whose files (and variables) an offline
/// command reads instead of files named on the command line.
#[derive(Debug, Clone, Args)]
pub struct FilesOfTarget {
    /// Read the files of this target of warren.yaml, with its variables.
    #[arg(long = "target", value_name = "NAME", conflicts_with = "paths")]
    pub name: Option<String>,
    /// The project file (default: ./warren.yaml).
    #[arg(long, env = "WARREN_PROJECT", value_name = "FILE")]
    pub project: Option<PathBuf>,
}

impl TargetArgs {
    /// Whether targets were asked for by name or all.
    pub fn any(&self) -> bool {
        self.all_targets || !self.names.is_empty()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
    Markdown,
    // Diagrams, for `graph` only (see [`format_for`]).
    Mermaid,
    Dot,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Markdown => "markdown",
            Format::Mermaid => "mermaid",
            Format::Dot => "dot",
        }
    }
}

/// The format of every command but `graph`, whose diagram formats the
/// parser never lets through to another command ([`format_for`]).
impl From<Format> for crate::render::Format {
    fn from(format: Format) -> crate::render::Format {
        match format {
            Format::Text | Format::Mermaid | Format::Dot => crate::render::Format::Text,
            Format::Json => crate::render::Format::Json,
            Format::Markdown => crate::render::Format::Markdown,
        }
    }
}

/// The diagram `graph` draws.
impl From<Format> for crate::render::GraphFormat {
    fn from(format: Format) -> crate::render::GraphFormat {
        match format {
            Format::Dot => crate::render::GraphFormat::Dot,
            Format::Json => crate::render::GraphFormat::Json,
            _ => crate::render::GraphFormat::Mermaid,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write topologies/default.yaml (the embedded default) into the current directory.
    #[command(after_help = "Example:\n  warren init && warren validate")]
    Init {
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },

    /// Check files offline; exit 0 valid, 1 invalid.
    #[command(after_help = "Example:\n  warren validate topologies/")]
    Validate {
        /// Topology files or directories (default: ./topologies/).
        paths: Vec<PathBuf>,
        #[command(flatten)]
        targets: TargetArgs,
    },

    /// Compare the files with the broker and print the plan.
    #[command(
        after_help = "Example:\n  warren plan --format markdown > plan.md\n  warren plan --out plan.json && warren apply --plan plan.json"
    )]
    Plan {
        /// Topology files or directories (default: ./topologies/).
        paths: Vec<PathBuf>,
        /// Plan deletion of objects the files do not declare, inside their vhosts.
        #[arg(long)]
        prune: bool,
        /// Plan deletion of users the files do not declare (never guest), and
        /// of permissions in their vhosts.
        #[arg(long)]
        prune_users: bool,
        /// Plan deletion of global parameters the files do not declare.
        #[arg(long)]
        prune_global_parameters: bool,
        /// Exit 2 when the plan has changes.
        #[arg(long)]
        detailed_exitcode: bool,
        /// Save the plan (JSON) for `warren apply --plan`.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Show how `apply --migrate` moves the messages of each replaced
        /// queue that holds some: its steps, consumers and risks.
        #[arg(long)]
        migrate: bool,
        #[command(flatten)]
        targets: TargetArgs,
    },

    /// Compute the plan (or read a saved one) and carry it out.
    #[command(after_help = "Example:\n  warren apply --auto-approve topologies/")]
    Apply {
        /// Topology files or directories (default: ./topologies/).
        #[arg(conflicts_with = "plan")]
        paths: Vec<PathBuf>,
        /// Carry out a plan saved by `warren plan --out`, only if it is exactly the plan its files and the broker give now.
        #[arg(long)]
        plan: Option<PathBuf>,
        /// Do not ask for confirmation.
        #[arg(long)]
        auto_approve: bool,
        /// Delete objects the files do not declare, inside their vhosts.
        #[arg(long, conflicts_with = "plan")]
        prune: bool,
        /// Delete users the files do not declare (never guest), and
        /// permissions in their vhosts.
        #[arg(long, conflicts_with = "plan")]
        prune_users: bool,
        /// Delete global parameters the files do not declare.
        #[arg(long, conflicts_with = "plan")]
        prune_global_parameters: bool,
        /// Allow deleting and re-creating exchanges and queues whose immutable properties changed.
        #[arg(long)]
        allow_recreate: bool,
        /// Allow deleting queues that hold messages.
        #[arg(long)]
        allow_data_loss: bool,
        /// Allow deleting queues that have consumers, which cancels them.
        #[arg(long)]
        allow_consumer_cancel: bool,
        /// Replace a queue that holds messages by moving its messages
        /// (through a temporary queue, with shovels) instead of dropping
        /// them; finishes a migration a stopped apply left. Still needs
        /// --allow-recreate, not --allow-data-loss.
        #[arg(long)]
        migrate: bool,
        /// With --migrate: stop a migration when its queue's message count
        /// has not changed for this many seconds (its consumers hold the
        /// messages left unacknowledged); every message stays where it is,
        /// and apply --migrate again goes on.
        #[arg(long, value_name = "SECONDS", default_value_t = 120, requires = "migrate", value_parser = clap::value_parser!(u64).range(1..))]
        migrate_stall_timeout: u64,
        /// How many requests to run at once within a phase.
        #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=256))]
        concurrency: u16,
        #[command(flatten)]
        targets: TargetArgs,
    },

    /// Report whether the broker still matches the files; exit 2 on drift.
    #[command(after_help = "Example (cron):\n  warren drift --format json topologies/ || alert")]
    Drift {
        /// Topology files or directories (default: ./topologies/).
        paths: Vec<PathBuf>,
        #[command(flatten)]
        targets: TargetArgs,
    },

    /// Compare two versions of the files offline; exit 2 when they differ.
    #[command(
        after_help = "Example:\n  git worktree add /tmp/base main\n  warren diff /tmp/base/topologies topologies --format markdown"
    )]
    Diff {
        /// The old topology: a file, a directory, or a definitions export.
        old: PathBuf,
        /// The new topology: a file, a directory, or a definitions export.
        new: PathBuf,
        /// Show what `apply --prune` does: objects NEW no longer declares are
        /// deleted. Without it they stay on the broker, no longer managed.
        #[arg(long)]
        prune: bool,
        /// Show what `apply --prune-users` does.
        #[arg(long)]
        prune_users: bool,
        /// Show what `apply --prune-global-parameters` does.
        #[arg(long)]
        prune_global_parameters: bool,
    },

    /// Write the live topology of vhosts as YAML.
    #[command(after_help = "Example:\n  warren export --vhost / --out topologies/live.yaml")]
    Export {
        /// Vhosts to export (default: every vhost but RabbitMQ's own).
        #[arg(long = "vhost")]
        vhosts: Vec<String>,
        /// Write to this file instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Export the users, and their permissions and topic permissions in
        /// the exported vhosts (needs the administrator tag). Each user's
        /// password is written as a reference to fill in (password_env).
        #[arg(long)]
        with_users: bool,
        /// With --with-users: write each user's salted password hash
        /// instead (which can be brute-forced: keep the file secret).
        #[arg(long, requires = "with_users")]
        with_password_hashes: bool,
        /// Export the global parameters (cluster_name, …).
        #[arg(long)]
        with_global_parameters: bool,
    },

    /// Show which queues a message would reach, from the files.
    #[command(
        after_help = "Example:\n  warren route --exchange events --routing-key order.created\n  warren route --exchange '' --routing-key jobs"
    )]
    Route {
        /// Topology files or directories (default: ./topologies/).
        paths: Vec<PathBuf>,
        /// The exchange published to ('' for the default exchange).
        #[arg(long)]
        exchange: String,
        /// The message's routing key.
        #[arg(long, default_value = "")]
        routing_key: String,
        /// The vhost of the exchange.
        #[arg(long, default_value = "/")]
        vhost: String,
        /// A message header, for headers exchanges (repeatable).
        #[arg(long = "header", value_name = "KEY=VALUE")]
        headers: Vec<String>,
        #[command(flatten)]
        target: FilesOfTarget,
    },

    /// Draw the routing (exchanges, queues, bindings) as a Mermaid or DOT diagram, offline.
    #[command(
        after_help = "Exchanges are hexagons, queues cylinders; bindings are arrows with their \
routing key or headers match, exchange-to-exchange bindings thick arrows, alternate and \
dead-letter exchanges dashed arrows. With --plan, what the plan adds is green, what it \
changes amber, what it removes red; a topology of more than 50 exchanges and queues is \
cut to what changes and its neighbours.\n\nExamples:\n  warren graph topologies/ > routing.mmd\n  \
warren graph --format dot topologies/ | dot -Tsvg > routing.svg\n  \
warren plan --out plan.json && warren graph --plan plan.json"
    )]
    Graph {
        /// Topology files or directories (default: ./topologies/, or the
        /// files the plan was made from).
        paths: Vec<PathBuf>,
        /// Only these vhosts (repeatable; default: every vhost).
        #[arg(long = "vhost")]
        vhosts: Vec<String>,
        /// Mark what a plan saved by `warren plan --out` adds, changes and removes.
        #[arg(long)]
        plan: Option<PathBuf>,
        #[command(flatten)]
        target: FilesOfTarget,
    },

    /// Rewrite topology files in the canonical form, comments kept.
    #[command(
        after_help = "Sections and keys in the schema's order, two-space indentation, one \
blank line between sections; comments, values, quoting and defaults stay as written. \
JSON files (definitions exports) are left as they are.\n\nExamples:\n  warren fmt\n  \
warren fmt --check topologies/   # exit 1 and list the files that differ\n  \
warren fmt --diff                # exit 1 and show how they differ"
    )]
    Fmt {
        /// Topology files or directories (default: ./topologies/).
        paths: Vec<PathBuf>,
        /// Change nothing: list the files that are not in the canonical
        /// form and exit 1 if there are any.
        #[arg(long)]
        check: bool,
        /// Change nothing: show how each file differs from its canonical
        /// form, as a unified diff, and exit 1 if any does.
        #[arg(long)]
        diff: bool,
        #[command(flatten)]
        target: FilesOfTarget,
    },

    /// Print the JSON Schema of the topology file (or of warren.yaml).
    #[command(
        after_help = "Examples:\n  warren schema > schemas/topology.schema.json\n  warren schema --project > schemas/warren.schema.json"
    )]
    Schema {
        /// The schema of the project file, warren.yaml, instead.
        #[arg(long)]
        project: bool,
    },

    /// Print a shell completion script.
    #[command(
        after_help = "Example:\n  warren completions bash > /etc/bash_completion.d/warren\n  warren completions zsh > \"${fpath[1]}/_warren\""
    )]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },

    /// Print the man page (roff).
    #[command(after_help = "Example:\n  warren man > /usr/local/share/man/man1/warren.1")]
    Man,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
        command().debug_assert();
    }

    #[test]
    fn every_broker_command_exists() {
        let command = command();
        for name in BROKER_COMMANDS {
            assert!(command.find_subcommand(name).is_some(), "{name}");
        }
    }

    #[test]
    fn an_offline_command_still_accepts_the_connection_options() {
        let cli = Cli::try_parse_args(["warren", "validate", "--url", "http://x:1"]).unwrap();
        assert_eq!(cli.global.connection.url, "http://x:1");
        let cli = Cli::try_parse_args(["warren", "--timeout", "5", "diff", "a", "b"]).unwrap();
        assert_eq!(cli.global.connection.timeout, 5);
    }

    #[test]
    fn graph_draws_mermaid_unless_told_dot_and_nothing_else_draws() {
        let format = |args: &[&str]| Cli::try_parse_args(args).map(|cli| cli.global.format);
        assert_eq!(format(&["warren", "graph"]).unwrap(), Format::Mermaid);
        assert_eq!(
            format(&["warren", "graph", "--format", "dot"]).unwrap(),
            Format::Dot
        );
        assert_eq!(
            format(&["warren", "--format", "mermaid", "graph"]).unwrap(),
            Format::Mermaid
        );
        let err = format(&["warren", "graph", "--format", "text"]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidValue);
        assert!(err.to_string().contains("mermaid or --format dot"), "{err}");
        let err = format(&["warren", "plan", "--format", "dot"]).unwrap_err();
        assert!(err.to_string().contains("is for warren graph"), "{err}");
        assert_eq!(
            format(&["warren", "plan", "--format", "markdown"]).unwrap(),
            Format::Markdown
        );
    }

    #[test]
    fn password_and_password_file_on_the_command_line_conflict() {
        for args in [
            ["warren", "--password", "x", "--password-file", "f", "plan"],
            ["warren", "plan", "--password", "x", "--password-file", "f"],
            ["warren", "--password-file", "f", "plan", "--password", "x"],
        ] {
            let err = Cli::try_parse_args(args).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::ArgumentConflict, "{args:?}");
            assert!(!err.to_string().contains("'x'"), "{err}");
        }
        let cli = Cli::try_parse_args(["warren", "plan", "--password-file", "f"]).unwrap();
        assert_eq!(
            cli.global.connection.password_file,
            Some(PathBuf::from("f"))
        );
    }
}
