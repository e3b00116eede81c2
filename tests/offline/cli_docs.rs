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

/// The options bash completes after `warren COMMAND`: the `opts` line of
/// the command's case in the script.
fn bash_options(script: &str, command: &str) -> String {
    // `warren__subcmd__plan)` (or `warren__plan)` as older clap_complete
    // wrote it), not `warren__subcmd__help__subcmd__plan)`.
    let cases = [
        format!("warren__subcmd__{command})"),
        format!("warren__{command})"),
    ];
    let mut lines = script
        .lines()
        .skip_while(|l| !cases.iter().any(|case| l.trim() == case));
    lines
        .find(|l| l.trim().starts_with("opts=\""))
        .unwrap_or_else(|| panic!("no case for {command} in:\n{script}"))
        .to_string()
}

/// The connection options are completed where they are used: on the
/// commands that talk to a broker, not on the offline ones (which accept
/// them, hidden, so that `WARREN_URL` in the environment is no error).
#[test]
fn completions_offer_the_connection_options_only_on_the_commands_that_use_them() {
    let script = warren(&["completions", "bash"]);
    for command in ["plan", "apply", "drift", "export"] {
        let options = bash_options(&script, command);
        for option in ["--url", "--username", "--password-file", "--ca-cert"] {
            assert!(options.contains(option), "{command}: {options}");
        }
    }
    for command in [
        "validate", "diff", "fmt", "graph", "route", "schema", "init",
    ] {
        let options = bash_options(&script, command);
        assert!(!options.contains("--url"), "{command}: {options}");
        assert!(!options.contains("--password"), "{command}: {options}");
        assert!(options.contains("--format"), "{command}: {options}");
    }
    for shell in ["zsh", "fish"] {
        let script = warren(&["completions", shell]);
        assert!(
            script.contains("--url") || script.contains("-l url"),
            "{shell}"
        );
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
      --format <FORMAT>          Output format: text, json, or markdown (plan, drift, diff);
                                 mermaid, dot or json for graph [default: text] [possible values:
                                 text, json, markdown, mermaid, dot]
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
