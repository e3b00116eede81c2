//! `warren completions`, `warren man` and `--help`: generated from the
//! command line, so they always list every command, and each command's
//! help lists the options it uses.

use crate::common::warren::Test;

/// The stdout of `warren ARGS`, which must succeed without a word on stderr.
fn warren(args: &[&str]) -> String {
    Test::new().args(args).stdout_any().run().stdout
}

const COMMANDS: &[&str] = &[
    "init", "validate", "plan", "apply", "drift", "diff", "export", "route", "schema",
];

#[test]
fn completions_cover_every_command_for_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let script = warren(&["completions", shell]);
        for command in COMMANDS {
            assert!(
                script.contains(command),
                "{shell} completion lacks {command}"
            );
        }
        assert!(script.contains("allow-data-loss"), "{shell}: apply's flags");
    }
}

#[test]
fn the_bash_completion_is_valid_bash() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("warren.bash");
    std::fs::write(&path, warren(&["completions", "bash"])).unwrap();
    let status = std::process::Command::new("bash")
        .arg("-n")
        .arg(&path)
        .status()
        .unwrap();
    assert!(status.success(), "bash -n rejects the completion script");
}

#[test]
fn an_unknown_shell_is_refused() {
    Test::new()
        .args(["completions", "cmd.exe"])
        .status(1)
        .stderr(
            "error: invalid value 'cmd.exe' for '<SHELL>'\n  \
             [possible values: bash, elvish, fish, powershell, zsh]\n\n\
             For more information, try '--help'.\n",
        )
        .run();
}

/// Regression: clap exits 2 on a usage error, which cron and CI would read
/// as "drift found".
#[test]
fn a_usage_error_exits_1_not_2() {
    Test::new()
        .args(["drift", "--bogus"])
        .status(1)
        .stderr(
            "error: unexpected argument '--bogus' found\n\n  \
             tip: to pass '--bogus' as a value, use '-- --bogus'\n\n\
             Usage: warren drift [OPTIONS] [PATHS]...\n\n\
             For more information, try '--help'.\n",
        )
        .run();
}

#[test]
fn help_and_version_exit_0_on_stdout() {
    for args in [&["--help"][..], &["--version"], &["plan", "--help"]] {
        let run = Test::new().args(args).stdout_any().run();
        assert!(!run.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn the_man_page_is_roff_and_lists_the_commands() {
    let page = warren(&["man"]);
    assert!(page.starts_with(".ie"), "roff preamble: {}", &page[..40]);
    assert!(page.contains(".TH warren 1"));
    for command in COMMANDS {
        assert!(page.contains(command), "the man page lacks {command}");
    }
}

#[test]
fn every_command_has_an_example_in_its_help() {
    for command in COMMANDS {
        let help = warren(&[command, "--help"]);
        assert!(
            help.contains("Example"),
            "`warren {command} --help` has no example"
        );
    }
}

/// The connection options, as `--help` lists them.
const CONNECTION_OPTIONS: &[&str] = &[
    "--url <URL>",
    "--username <USERNAME>",
    "--password <PASSWORD>",
    "--password-file <PASSWORD_FILE>",
    "--ca-cert <CA_CERT>",
    "--insecure",
    "--timeout <TIMEOUT>",
];

#[test]
fn only_the_commands_that_talk_to_a_broker_list_the_connection_options() {
    const BROKER: &[&str] = &["plan", "apply", "drift", "export"];
    for command in BROKER {
        let help = warren(&[command, "--help"]);
        for option in CONNECTION_OPTIONS {
            assert!(
                help.contains(option),
                "`warren {command} --help` lacks {option}"
            );
        }
    }
    // Every other command, a new one included: init, validate, diff, …
    let offline: Vec<String> = warren::cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .filter(|name| !BROKER.contains(&name.as_str()))
        .collect();
    assert!(offline.len() >= 7, "{offline:?}");
    for command in &offline {
        let help = warren(&[command, "--help"]);
        for option in CONNECTION_OPTIONS {
            assert!(
                !help.contains(option),
                "`warren {command} --help` lists {option}, which it never uses:\n{help}"
            );
        }
    }
    // They are global options: `warren --help` lists them.
    let help = warren(&["--help"]);
    assert!(
        CONNECTION_OPTIONS.iter().all(|o| help.contains(o)),
        "{help}"
    );
}

#[test]
fn the_diff_help_offers_prune_and_no_broker() {
    Test::new()
        .args(["diff", "--help"])
        .env("COLUMNS", "100")
        .stdout(
            "Compare two versions of the files offline; exit 2 when they differ

Usage: warren diff [OPTIONS] <OLD> <NEW>

Arguments:
  <OLD>  The old topology: a file, a directory, or a definitions export
  <NEW>  The new topology: a file, a directory, or a definitions export

Options:
      --format <FORMAT>          Output format: text, json, or markdown (plan, drift, diff); mermaid
                                 or dot for graph [default: text] [possible values: text, json,
                                 markdown, mermaid, dot]
      --prune                    Show what `apply --prune` does: objects NEW no longer declares are
                                 deleted. Without it they stay on the broker, no longer managed
      --prune-users              Show what `apply --prune-users` does
  -v, --verbose                  Log requests and decisions to stderr (passwords are never logged)
      --prune-global-parameters  Show what `apply --prune-global-parameters` does
  -h, --help                     Print help
  -V, --version                  Print version

Example:
  git worktree add /tmp/base main
  warren diff /tmp/base/topologies topologies --format markdown
",
        )
        .run();
}
