//! `warren completions` and `warren man`: generated from the command line,
//! so they always list every command.

use assert_cmd::Command;

fn warren(args: &[&str]) -> String {
    let out = Command::cargo_bin("warren")
        .unwrap()
        .args(args)
        .assert()
        .success();
    String::from_utf8(out.get_output().stdout.clone()).unwrap()
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
    Command::cargo_bin("warren")
        .unwrap()
        .args(["completions", "cmd.exe"])
        .assert()
        .code(1);
}

/// Regression: clap exits 2 on a usage error, which cron and CI would read
/// as "drift found".
#[test]
fn a_usage_error_exits_1_not_2() {
    let out = Command::cargo_bin("warren")
        .unwrap()
        .args(["drift", "--bogus"])
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(stderr.contains("--bogus"), "{stderr}");
}

#[test]
fn help_and_version_exit_0_on_stdout() {
    for args in [&["--help"][..], &["--version"], &["plan", "--help"]] {
        let out = Command::cargo_bin("warren")
            .unwrap()
            .args(args)
            .assert()
            .code(0);
        assert!(!out.get_output().stdout.is_empty(), "{args:?}");
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
