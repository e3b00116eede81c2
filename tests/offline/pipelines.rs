//! The pipeline examples in `examples/ci/`, and warren's GitHub Action
//! (`action.yml`, which the GitHub example uses), are checked, not only shown:
//! the YAML files parse, the systemd units and the crontab have the shape
//! their programs need, no credential is written inline, every `warren …`
//! command line in any of them is accepted by warren's own argument parser,
//! and the review (`diff`, the shown plan) and the apply of a pipeline
//! agree on `--prune`; the action is a composite action whose every input
//! used is declared, whose scripts are valid bash, and which the example
//! calls with inputs it has. A command that fails fails the test with its
//! file and line. (`actionlint` checks the workflow too: tests/tools/.)
//!
//! The commands are found with a small shell splitter ([`shell_commands`]):
//! quotes, backslashes, `\`-newline continuations, comments, `;` `&&` `||`
//! `|` and redirections, the commands inside `$(…)` and `sh -c '…'`. No
//! broker is needed.

use std::collections::BTreeMap;
use std::path::Path;

use clap::FromArgMatches;
use serde_yaml::Value;
use warren::cli::{Cli, Command, Format};

const CI_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/ci");

/// The action, named as [`Found::place`] names files: from `examples/ci/`.
const ACTION: &str = "../../action.yml";

/// A `warren …` command line found in a file.
#[derive(Debug, Clone)]
struct Found {
    file: String,
    /// 1-based; 0 when the line could not be told.
    line: usize,
    words: Vec<String>,
}

impl Found {
    fn place(&self) -> String {
        match self.line {
            0 => format!("examples/ci/{}", self.file),
            n => format!("examples/ci/{}:{n}", self.file),
        }
    }
}

// ---------------------------------------------------------------------------
// A small shell splitter.

/// A shell script cut into simple commands, each with the 0-based line it
/// starts on and its words, the way `sh` would cut it:
/// - `'…'` is literal; in `"…"` a backslash escapes `$`, `` ` ``, `"`, `\`;
///   an unquoted backslash escapes any character; `\`-newline joins lines;
/// - `#` at the start of a word comments out the rest of the line;
/// - newlines, `;`, `;;`, `&`, `&&`, `|`, `||`, `(` and `)` end a command;
/// - redirections (`> f`, `2> f`, `2>&1`, `< f`, `&> f`) are dropped;
/// - `$VAR`, `${…}` and `$(…)` are kept as written (a parser accepts them as
///   values), and the commands inside `$(…)` and backquotes are returned too.
///
/// Here-documents are refused rather than misread.
fn shell_commands(script: &str) -> Result<Vec<(usize, Vec<String>)>, String> {
    let chars: Vec<char> = script.chars().collect();
    let mut commands = Vec::new();
    let mut substitutions: Vec<(usize, String)> = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut word: Option<String> = None;
    let mut line = 0;
    let mut start_line = 0;
    let mut skip_next_word = false;
    let mut i = 0;

    // Ends the current word (a redirection's target is dropped).
    let end_word = |word: &mut Option<String>, words: &mut Vec<String>, skip: &mut bool| {
        if let Some(w) = word.take() {
            if *skip {
                *skip = false;
            } else {
                words.push(w);
            }
        }
    };
    let end_command = |words: &mut Vec<String>, commands: &mut Vec<(usize, Vec<String>)>, at| {
        if !words.is_empty() {
            commands.push((at, std::mem::take(words)));
        }
    };

    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if word.is_none() && words.is_empty() && !c.is_whitespace() {
            start_line = line;
        }
        match c {
            '\\' if next == Some('\n') => {
                line += 1;
                i += 2;
                continue;
            }
            '\\' => {
                let escaped = next.ok_or("a backslash at the end of the script")?;
                word.get_or_insert_default().push(escaped);
                i += 2;
                continue;
            }
            '\'' => {
                let end = (i + 1..chars.len())
                    .find(|&j| chars[j] == '\'')
                    .ok_or(format!("an unclosed ' on line {}", line + 1))?;
                let text: String = chars[i + 1..end].iter().collect();
                line += text.matches('\n').count();
                word.get_or_insert_default().push_str(&text);
                i = end + 1;
                continue;
            }
            '"' => {
                let w = word.get_or_insert_default();
                i += 1;
                loop {
                    let Some(&d) = chars.get(i) else {
                        return Err(format!("an unclosed \" on line {}", line + 1));
                    };
                    match d {
                        '"' => break,
                        '\\' => match chars.get(i + 1) {
                            Some('\n') => {
                                line += 1;
                                i += 2;
                            }
                            Some(&e @ ('$' | '`' | '"' | '\\')) => {
                                w.push(e);
                                i += 2;
                            }
                            _ => {
                                w.push('\\');
                                i += 1;
                            }
                        },
                        '$' if chars.get(i + 1) == Some(&'(') => {
                            let (inner, end) = substitution(&chars, i + 2)?;
                            w.push_str(&format!("$({inner})"));
                            substitutions.push((line, inner.clone()));
                            line += inner.matches('\n').count();
                            i = end + 1;
                        }
                        _ => {
                            if d == '\n' {
                                line += 1;
                            }
                            w.push(d);
                            i += 1;
                        }
                    }
                }
                i += 1;
                continue;
            }
            '$' if next == Some('(') => {
                let (inner, end) = substitution(&chars, i + 2)?;
                word.get_or_insert_default()
                    .push_str(&format!("$({inner})"));
                substitutions.push((line, inner.clone()));
                line += inner.matches('\n').count();
                i = end + 1;
                continue;
            }
            '$' if next == Some('{') => {
                let mut depth = 0;
                let end = (i + 1..chars.len())
                    .find(|&j| {
                        match chars[j] {
                            '{' => depth += 1,
                            '}' => depth -= 1,
                            _ => {}
                        }
                        depth == 0
                    })
                    .ok_or(format!("an unclosed ${{ on line {}", line + 1))?;
                let text: String = chars[i..=end].iter().collect();
                word.get_or_insert_default().push_str(&text);
                i = end + 1;
                continue;
            }
            '`' => {
                let end = (i + 1..chars.len())
                    .find(|&j| chars[j] == '`' && chars[j - 1] != '\\')
                    .ok_or(format!("an unclosed ` on line {}", line + 1))?;
                let inner: String = chars[i + 1..end].iter().collect();
                word.get_or_insert_default().push_str(&format!("`{inner}`"));
                substitutions.push((line, inner));
                i = end + 1;
                continue;
            }
            '#' if word.is_none() => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
                continue;
            }
            ' ' | '\t' => end_word(&mut word, &mut words, &mut skip_next_word),
            '\n' => {
                end_word(&mut word, &mut words, &mut skip_next_word);
                end_command(&mut words, &mut commands, start_line);
                line += 1;
            }
            ';' | '|' | '(' | ')' => {
                end_word(&mut word, &mut words, &mut skip_next_word);
                end_command(&mut words, &mut commands, start_line);
                if matches!((c, next), (';', Some(';')) | ('|', Some('|'))) {
                    i += 1;
                }
            }
            '&' if next != Some('>') => {
                end_word(&mut word, &mut words, &mut skip_next_word);
                end_command(&mut words, &mut commands, start_line);
                if next == Some('&') {
                    i += 1;
                }
            }
            '>' | '<' | '&' => {
                // An all-digit word just before is the redirected descriptor.
                if word
                    .as_deref()
                    .is_some_and(|w| w.chars().all(|d| d.is_ascii_digit()))
                {
                    word = None;
                } else {
                    end_word(&mut word, &mut words, &mut skip_next_word);
                }
                if c == '<' && next == Some('<') {
                    return Err(format!("a here-document on line {}", line + 1));
                }
                if c == '&' {
                    i += 1; // `&>`: the `>` follows
                }
                if matches!(chars.get(i + 1), Some('>' | '&' | '|')) {
                    i += 1;
                }
                skip_next_word = true;
            }
            _ => word.get_or_insert_default().push(c),
        }
        i += 1;
    }
    end_word(&mut word, &mut words, &mut skip_next_word);
    end_command(&mut words, &mut commands, start_line);

    for (at, inner) in substitutions {
        for (offset, command) in shell_commands(&inner)? {
            commands.push((at + offset, command));
        }
    }
    Ok(commands)
}

/// The text of a `$(…)` whose body starts at `start`, and the index of its
/// closing parenthesis. Quotes and nested parentheses are skipped over.
fn substitution(chars: &[char], start: usize) -> Result<(String, usize), String> {
    let mut depth = 1;
    let mut quote = None;
    let mut i = start;
    while i < chars.len() {
        match (quote, chars[i]) {
            (None, '\'' | '"') => quote = Some(chars[i]),
            (Some(q), c) if c == q => quote = None,
            (Some('"') | None, '\\') => i += 1,
            (None, '(') => depth += 1,
            (None, ')') => {
                depth -= 1;
                if depth == 0 {
                    return Ok((chars[start..i].iter().collect(), i));
                }
            }
            _ => {}
        }
        i += 1;
    }
    Err("an unclosed $(".to_string())
}

/// The `warren …` commands in a script, with their 0-based lines: a command
/// whose program is `warren` (or a path to it), after any `NAME=value`
/// assignments and words such as `then`, `exec` or `{`; scripts given to
/// `sh -c` are searched too.
fn warren_commands(script: &str) -> Result<Vec<(usize, Vec<String>)>, String> {
    const PREFIXES: &[&str] = &[
        "if", "then", "else", "elif", "do", "while", "until", "!", "{", "}", "exec", "command",
        "time", "nohup",
    ];
    let mut found = Vec::new();
    for (line, words) in shell_commands(script)? {
        let mut words = words.as_slice();
        while let Some(first) = words.first() {
            let assignment = first
                .split_once('=')
                .is_some_and(|(name, _)| is_variable_name(name));
            if !assignment && !PREFIXES.contains(&first.as_str()) {
                break;
            }
            words = &words[1..];
        }
        let Some(program) = words.first() else {
            continue;
        };
        let program = program.rsplit('/').next().unwrap_or(program);
        if program == "warren" {
            let mut command = vec!["warren".to_string()];
            command.extend_from_slice(&words[1..]);
            found.push((line, command));
        } else if matches!(program, "sh" | "bash" | "dash")
            && words.get(1).is_some_and(|w| w == "-c")
        {
            let inner = words.get(2).ok_or("sh -c without a script")?;
            for (offset, command) in warren_commands(inner)? {
                found.push((line + offset, command));
            }
        }
    }
    Ok(found)
}

fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

// ---------------------------------------------------------------------------
// The files.

fn ci_files() -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(CI_DIR)
        .expect("examples/ci/ exists")
        .map(|entry| {
            let path = entry.expect("a directory entry").path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
            (name, text)
        })
        .collect();
    files.sort();
    files
}

fn read(name: &str) -> String {
    std::fs::read_to_string(Path::new(CI_DIR).join(name))
        .unwrap_or_else(|e| panic!("read examples/ci/{name}: {e}"))
}

/// The keys whose values CI systems run as shell scripts.
const SHELL_KEYS: &[&str] = &["run", "script", "before_script", "after_script"];

/// The shell scripts of a CI YAML file, in document order. A string
/// elsewhere that looks like a warren command is an error: it would escape
/// the check.
fn yaml_scripts(file: &str, text: &str) -> Vec<String> {
    fn walk(value: &Value, scripts: &mut Vec<String>, stray: &mut Vec<String>) {
        match value {
            Value::Mapping(map) => {
                for (key, value) in map {
                    let shell = key.as_str().is_some_and(|k| SHELL_KEYS.contains(&k));
                    match (shell, value) {
                        (true, Value::String(s)) => scripts.push(s.clone()),
                        (true, Value::Sequence(items)) => {
                            for item in items {
                                match item {
                                    Value::String(s) => scripts.push(s.clone()),
                                    other => walk(other, scripts, stray),
                                }
                            }
                        }
                        _ => walk(value, scripts, stray),
                    }
                }
            }
            Value::Sequence(items) => items.iter().for_each(|v| walk(v, scripts, stray)),
            Value::Tagged(tagged) => walk(&tagged.value, scripts, stray),
            Value::String(s) if looks_like_a_warren_command(s) => stray.push(s.clone()),
            _ => {}
        }
    }
    let doc: Value = serde_yaml::from_str(text)
        .unwrap_or_else(|e| panic!("examples/ci/{file} is not valid YAML: {e}"));
    let (mut scripts, mut stray) = (Vec::new(), Vec::new());
    walk(&doc, &mut scripts, &mut stray);
    assert!(
        stray.is_empty(),
        "examples/ci/{file}: warren commands outside {SHELL_KEYS:?}, which this test would not check: {stray:?}"
    );
    scripts
}

fn looks_like_a_warren_command(s: &str) -> bool {
    let subcommands = warren::cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect::<Vec<_>>();
    s.split_whitespace()
        .collect::<Vec<_>>()
        .windows(2)
        .any(|w| w[0].ends_with("warren") && subcommands.iter().any(|s| s == w[1]))
}

/// The warren commands of a YAML file, each placed on its line by finding
/// its script line in the file (scripts come in document order).
fn yaml_commands(file: &str, text: &str) -> Vec<Found> {
    let file_lines: Vec<&str> = text.lines().collect();
    let mut cursor = 0;
    let mut found = Vec::new();
    for script in yaml_scripts(file, text) {
        let script_lines: Vec<&str> = script.lines().collect();
        let commands = warren_commands(&script).unwrap_or_else(|e| {
            panic!("examples/ci/{file}: cannot split a script ({e}):\n{script}")
        });
        for (at, words) in commands {
            let wanted = script_lines.get(at).map_or("", |l| l.trim());
            let line = (cursor..file_lines.len())
                .find(|&n| !wanted.is_empty() && file_lines[n].contains(wanted))
                .map_or(0, |n| {
                    cursor = n;
                    n + 1
                });
            found.push(Found {
                file: file.to_string(),
                line,
                words,
            });
        }
    }
    found
}

/// A systemd unit: sections of `key=value` entries with their lines.
type Unit = BTreeMap<String, Vec<(usize, String, String)>>;

/// Parses a unit file the way systemd reads one: `[Section]` headers,
/// `key=value` lines, `#` and `;` comments, trailing-backslash continuations
/// (the backslash becomes a space).
fn parse_unit(file: &str, text: &str) -> Unit {
    let mut unit = Unit::new();
    let mut section: Option<String> = None;
    let mut lines = text.lines().enumerate();
    while let Some((n, raw)) = lines.next() {
        let mut line = raw.trim().to_string();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        while let Some(head) = line.strip_suffix('\\') {
            let (_, more) = lines
                .next()
                .unwrap_or_else(|| panic!("examples/ci/{file}:{}: continues past the end", n + 1));
            line = format!("{head} {}", more.trim());
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = Some(name.to_string());
            unit.entry(name.to_string()).or_default();
        } else if let Some((key, value)) = line.split_once('=') {
            let section = section.as_ref().unwrap_or_else(|| {
                panic!("examples/ci/{file}:{}: a key before any [Section]", n + 1)
            });
            unit.get_mut(section).unwrap().push((
                n + 1,
                key.trim().to_string(),
                value.trim().to_string(),
            ));
        } else {
            panic!(
                "examples/ci/{file}:{}: neither [Section] nor key=value: {raw}",
                n + 1
            );
        }
    }
    unit
}

fn unit_value<'a>(unit: &'a Unit, file: &str, section: &str, key: &str) -> &'a str {
    unit.get(section)
        .and_then(|entries| entries.iter().find(|(_, k, _)| k == key))
        .map(|(_, _, v)| v.as_str())
        .unwrap_or_else(|| panic!("examples/ci/{file}: no {key}= in [{section}]"))
}

const EXEC_KEYS: &[&str] = &[
    "ExecCondition",
    "ExecStartPre",
    "ExecStart",
    "ExecStartPost",
    "ExecReload",
    "ExecStop",
    "ExecStopPost",
];

fn unit_commands(file: &str, text: &str) -> Vec<Found> {
    let mut found = Vec::new();
    for (line, key, value) in parse_unit(file, text).values().flatten() {
        if !EXEC_KEYS.contains(&key.as_str()) {
            continue;
        }
        // systemd's own prefixes (-, @, :, +, !) and escapes ($$, %%).
        let command = value
            .trim_start_matches(['-', '@', ':', '+', '!', '|'])
            .replace("$$", "$")
            .replace("%%", "%");
        let commands = warren_commands(&command)
            .unwrap_or_else(|e| panic!("examples/ci/{file}:{line}: cannot split ({e}): {value}"));
        for (_, words) in commands {
            found.push(Found {
                file: file.to_string(),
                line: *line,
                words,
            });
        }
    }
    found
}

/// A crontab job line: its schedule and its command.
struct CronJob {
    line: usize,
    schedule: Vec<String>,
    command: String,
}

/// Parses a crontab: comments, `NAME=value` lines, and jobs of five time
/// fields (or one `@daily`-style nickname) followed by a command.
fn parse_crontab(file: &str, text: &str) -> Vec<CronJob> {
    let mut jobs = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line
            .split_once('=')
            .is_some_and(|(name, _)| is_variable_name(name.trim()))
        {
            continue;
        }
        assert!(
            !line.ends_with('\\'),
            "examples/ci/{file}:{}: cron has no line continuations",
            n + 1
        );
        let fields = if line.starts_with('@') { 1 } else { 5 };
        let mut rest = line;
        let mut schedule = Vec::new();
        for _ in 0..fields {
            let (field, tail) = rest.split_once(char::is_whitespace).unwrap_or_else(|| {
                panic!("examples/ci/{file}:{}: a schedule without a command", n + 1)
            });
            schedule.push(field.to_string());
            rest = tail.trim_start();
        }
        jobs.push(CronJob {
            line: n + 1,
            schedule,
            command: rest.to_string(),
        });
    }
    jobs
}

fn crontab_commands(file: &str, text: &str) -> Vec<Found> {
    let mut found = Vec::new();
    for job in parse_crontab(file, text) {
        let commands = warren_commands(&job.command)
            .unwrap_or_else(|e| panic!("examples/ci/{file}:{}: cannot split ({e})", job.line));
        for (_, words) in commands {
            found.push(Found {
                file: file.to_string(),
                line: job.line,
                words,
            });
        }
    }
    found
}

/// Every warren command in examples/ci/, by file. A file of a kind this
/// test does not know fails it, so a new pipeline file cannot go unchecked.
fn all_commands() -> BTreeMap<String, Vec<Found>> {
    let mut files = ci_files();
    files.push((ACTION.to_string(), read(ACTION)));
    files
        .into_iter()
        .map(|(name, text)| {
            let found = if name.ends_with(".yml") || name.ends_with(".yaml") {
                yaml_commands(&name, &text)
            } else if name.ends_with(".service") || name.ends_with(".timer") {
                unit_commands(&name, &text)
            } else if name == "crontab" {
                crontab_commands(&name, &text)
            } else {
                panic!(
                    "examples/ci/{name}: a kind of file tests/offline/pipelines.rs does not check"
                )
            };
            (name, found)
        })
        .collect()
}

/// warren's own argument parser ([`warren::cli::command`], as
/// `Cli::try_parse_args` uses it) without its environment lookups: the
/// verdict on a file must not depend on the shell running the tests.
fn parse_cli(words: &[String]) -> Result<Cli, clap::Error> {
    let no_env = |arg: clap::Arg| arg.env(None::<&'static str>);
    let command = warren::cli::command()
        .mut_args(no_env)
        .mut_subcommands(|sub| sub.mut_args(no_env));
    let matches = command.try_get_matches_from(words)?;
    Cli::from_arg_matches(&matches)
}

/// Parses each command; the errors name the file and the line.
fn parse_all(found: &[Found]) -> Result<Vec<(Found, Cli)>, String> {
    let mut parsed = Vec::new();
    let mut errors = Vec::new();
    for f in found {
        match parse_cli(&f.words) {
            Ok(cli) => parsed.push((f.clone(), cli)),
            Err(e) => errors.push(format!(
                "{}: `{}` is refused by warren's argument parser:\n{}",
                f.place(),
                f.words.join(" "),
                e.render()
            )),
        }
    }
    if errors.is_empty() {
        Ok(parsed)
    } else {
        Err(errors.join("\n"))
    }
}

/// Where the commands of one pipeline file disagree on `--prune`: a review
/// (a `diff`, or a `plan` shown rather than saved) made without it beside
/// an apply made with it, or the other way round, shows the reviewer what
/// the apply will not do. An apply's `--prune` is its own or, for
/// `apply --plan FILE`, that of the `plan --out FILE` in the same file.
fn prune_disagreements(parsed: &[(Found, Cli)]) -> Vec<String> {
    let said = |prune: bool| {
        if prune {
            "with --prune"
        } else {
            "without --prune"
        }
    };
    let mut wrong = Vec::new();
    let mut applies = Vec::new();
    for (found, cli) in parsed {
        if let Command::Apply { prune, plan, .. } = &cli.command {
            let prune = match plan {
                None => *prune,
                Some(file) => {
                    let saved = parsed.iter().find_map(|(_, c)| match &c.command {
                        Command::Plan {
                            out: Some(out),
                            prune,
                            ..
                        } if out == file => Some(*prune),
                        _ => None,
                    });
                    let Some(prune) = saved else {
                        wrong.push(format!(
                            "{}: `{}` applies a plan no `warren plan --out {}` in the file saves",
                            found.place(),
                            found.words.join(" "),
                            file.display()
                        ));
                        continue;
                    };
                    prune
                }
            };
            applies.push((found, prune));
        }
    }
    for (found, cli) in parsed {
        let review = match &cli.command {
            Command::Diff { prune, .. }
            | Command::Plan {
                out: None, prune, ..
            } => *prune,
            _ => continue,
        };
        for (apply, applied) in &applies {
            if review != *applied {
                wrong.push(format!(
                    "{}: `{}` shows the changes {}, but {}: `{}` applies them {}",
                    found.place(),
                    found.words.join(" "),
                    said(review),
                    apply.place(),
                    apply.words.join(" "),
                    said(*applied)
                ));
            }
        }
    }
    wrong
}

// ---------------------------------------------------------------------------
// The tests.

#[test]
fn every_warren_command_in_the_pipelines_is_accepted_by_the_argument_parser() {
    let all = all_commands();
    let found: Vec<Found> = all.values().flatten().cloned().collect();
    if let Err(errors) = parse_all(&found) {
        panic!("{errors}");
    }
}

#[test]
fn each_pipeline_runs_the_commands_it_is_for() {
    let all = all_commands();
    let parsed = |file: &str| -> Vec<Cli> {
        let found = &all[file];
        parse_all(found)
            .unwrap_or_else(|e| panic!("{e}"))
            .into_iter()
            .map(|(_, cli)| cli)
            .collect()
    };
    // GitHub's pipeline runs warren through the action: its commands are
    // the action's, with the saved plan's file an input.
    for (file, plan_file) in [(ACTION, "$INPUT_PLAN_FILE"), ("gitlab-ci.yml", "plan.json")] {
        let commands = parsed(file);
        let has = |test: &dyn Fn(&Cli) -> bool| commands.iter().any(test);
        assert!(
            has(&|c| c.global.format == Format::Markdown
                && matches!(c.command, Command::Plan { out: None, .. })),
            "{file}: warren plan --format markdown for the review comment"
        );
        assert!(
            has(
                &|c| matches!(&c.command, Command::Plan { out: Some(p), .. } if p.as_os_str() == plan_file)
            ),
            "{file}: warren plan --out {plan_file} on merge"
        );
        assert!(
            has(
                &|c| matches!(&c.command, Command::Apply { plan: Some(p), .. } if p.as_os_str() == plan_file)
            ),
            "{file}: warren apply --plan {plan_file} on merge"
        );
        assert!(
            has(&|c| c.global.format == Format::Markdown
                && matches!(c.command, Command::Diff { .. })),
            "{file}: warren diff --format markdown for the review comment"
        );
    }
    assert!(has_validate(&parsed(ACTION)), "{ACTION}: warren validate");
    for file in ["crontab", "warren-drift.service"] {
        let commands = parsed(file);
        assert!(
            commands
                .iter()
                .any(|c| c.global.format == Format::Json
                    && matches!(c.command, Command::Drift { .. })),
            "{file}: warren drift --format json"
        );
    }
    // No terminal in a pipeline: an apply without --auto-approve always fails.
    for (found, cli) in parse_all(&all.values().flatten().cloned().collect::<Vec<_>>()).unwrap() {
        if let Command::Apply { auto_approve, .. } = cli.command {
            assert!(
                auto_approve,
                "{}: apply needs --auto-approve in a pipeline",
                found.place()
            );
        }
    }
}

fn has_validate(commands: &[Cli]) -> bool {
    commands
        .iter()
        .any(|c| matches!(c.command, Command::Validate { .. }))
}

/// Each `with:` of a step of `workflow` that uses warren's action.
fn action_uses(workflow: &Value) -> Vec<&serde_yaml::Mapping> {
    let mut uses = Vec::new();
    for (_, job) in workflow["jobs"].as_mapping().expect("jobs") {
        for step in job["steps"].as_sequence().expect("steps") {
            let Some(action) = step["uses"].as_str() else {
                continue;
            };
            if action
                .split('@')
                .next()
                .is_some_and(|a| a.ends_with("/warren"))
            {
                uses.push(step["with"].as_mapping().expect("the action's inputs"));
            }
        }
    }
    uses
}

#[test]
fn the_action_is_a_composite_action_whose_inputs_and_steps_are_declared() {
    let text = read(ACTION);
    let action: Value = serde_yaml::from_str(&text).unwrap();
    assert_eq!(action["runs"]["using"], "composite");
    assert!(action["name"].is_string() && action["description"].is_string());
    let inputs = action["inputs"].as_mapping().expect("inputs");
    for (name, input) in inputs {
        assert!(
            input["description"].is_string(),
            "input {name:?} has a description"
        );
    }
    let steps = action["runs"]["steps"].as_sequence().expect("steps");
    let ids: Vec<&str> = steps.iter().filter_map(|s| s["id"].as_str()).collect();
    for step in steps {
        assert!(
            step["run"].is_string() ^ step["uses"].is_string(),
            "each step has one of run and uses: {step:?}"
        );
        if step["run"].is_string() {
            assert!(
                step["shell"].is_string(),
                "a composite action's run step names its shell: {step:?}"
            );
        }
    }
    let used = regex::Regex::new(r"\$\{\{[^}]*?\b(inputs|steps)\.([A-Za-z0-9_-]+)").unwrap();
    for found in used.captures_iter(&text) {
        let (kind, name) = (&found[1], &found[2]);
        match kind {
            "inputs" => assert!(
                inputs.contains_key(name),
                "action.yml uses inputs.{name}, which it does not declare"
            ),
            _ => assert!(
                ids.contains(&name),
                "action.yml uses steps.{name}, which has no step"
            ),
        }
    }
    // Inputs reach the scripts through the environment, never pasted into
    // them, where a value could run as shell.
    for step in steps {
        if let Some(script) = step["run"].as_str() {
            assert!(
                !script.contains("${{"),
                "an expression inside a script: {script}"
            );
        }
    }
}

#[test]
fn the_actions_scripts_are_valid_bash() {
    let action: Value = serde_yaml::from_str(&read(ACTION)).unwrap();
    for step in action["runs"]["steps"].as_sequence().unwrap() {
        let Some(script) = step["run"].as_str() else {
            continue;
        };
        let output = std::process::Command::new("bash")
            .args(["-n", "-c", script])
            .output()
            .expect("bash runs");
        assert!(
            output.status.success(),
            "bash -n refuses the script of {:?}: {}",
            step["name"],
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn the_github_example_calls_the_action_with_inputs_it_has() {
    let action: Value = serde_yaml::from_str(&read(ACTION)).unwrap();
    let inputs = action["inputs"].as_mapping().unwrap();
    let workflow: Value = serde_yaml::from_str(&read("github-actions.yml")).unwrap();
    let uses = action_uses(&workflow);
    let version = format!("v{}", env!("CARGO_PKG_VERSION"));
    let text = read("github-actions.yml");
    assert!(
        text.contains(&format!("/warren@{version}")),
        "the example uses the action at this version, {version}"
    );
    let mut commands = Vec::new();
    for with in &uses {
        for (name, _) in with.iter() {
            assert!(
                inputs.contains_key(name),
                "github-actions.yml gives the action input {name:?}, which it does not have"
            );
        }
        let command = with["command"].as_str().expect("a command");
        assert!(
            matches!(command, "validate" | "plan" | "apply"),
            "{command}"
        );
        let plan_file = with.get("plan-file").and_then(Value::as_str);
        commands.push((command, plan_file));
    }
    assert!(commands.contains(&("validate", None)), "{commands:?}");
    assert!(
        commands.contains(&("plan", None)),
        "the plan comment: {commands:?}"
    );
    assert!(
        commands.contains(&("plan", Some("plan.json")))
            && commands.contains(&("apply", Some("plan.json"))),
        "the merge job plans into plan.json and applies it: {commands:?}"
    );
}

#[test]
fn the_review_and_the_apply_of_each_pipeline_agree_on_prune() {
    for (file, found) in all_commands() {
        let parsed = parse_all(&found).unwrap_or_else(|e| panic!("{e}"));
        let wrong = prune_disagreements(&parsed);
        assert!(
            wrong.is_empty(),
            "examples/ci/{file}:\n{}",
            wrong.join("\n")
        );
    }
}

#[test]
fn a_diff_without_prune_before_an_apply_with_it_is_named() {
    let yaml = "jobs:\n  review:\n    script:\n      - warren diff --format markdown base/ topologies/\n  \
                apply:\n    script:\n      - warren plan --prune --out plan.json\n      \
                - warren apply --plan plan.json --auto-approve\n";
    let parsed = parse_all(&yaml_commands("prunes.yml", yaml)).unwrap();
    assert_eq!(
        prune_disagreements(&parsed),
        [
            "examples/ci/prunes.yml:4: `warren diff --format markdown base/ topologies/` shows the changes \
             without --prune, but examples/ci/prunes.yml:8: `warren apply --plan plan.json --auto-approve` \
             applies them with --prune"
        ]
    );
    let agreeing = yaml.replace("warren diff", "warren diff --prune");
    let parsed = parse_all(&yaml_commands("prunes.yml", &agreeing)).unwrap();
    assert_eq!(prune_disagreements(&parsed), Vec::<String>::new());
}

#[test]
fn the_ci_files_are_valid_yaml_of_their_ci_system() {
    let github: Value = serde_yaml::from_str(&read("github-actions.yml")).unwrap();
    assert!(
        github["on"]["pull_request"].is_mapping(),
        "runs on pull requests"
    );
    assert_eq!(
        github["on"]["push"]["branches"][0], "main",
        "runs on merge to main"
    );
    let jobs = github["jobs"].as_mapping().expect("jobs");
    assert!(!jobs.is_empty());
    for (name, job) in jobs {
        assert!(job["runs-on"].is_string(), "job {name:?} has runs-on");
        let steps = job["steps"].as_sequence().expect("steps");
        for step in steps {
            assert!(
                step["run"].is_string() ^ step["uses"].is_string(),
                "job {name:?}: each step has one of run and uses: {step:?}"
            );
        }
    }
    assert_eq!(
        github["jobs"]["plan"]["permissions"]["pull-requests"], "write",
        "the plan job may comment"
    );

    let gitlab: Value = serde_yaml::from_str(&read("gitlab-ci.yml")).unwrap();
    let stages: Vec<&str> = gitlab["stages"]
        .as_sequence()
        .expect("stages")
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    for (name, job) in gitlab.as_mapping().unwrap() {
        let name = name.as_str().unwrap();
        if job.get("script").is_none() {
            continue; // stages, variables, hidden templates
        }
        let stage = job["stage"].as_str().unwrap_or("test");
        assert!(
            stages.contains(&stage),
            "job {name}: stage {stage} is declared"
        );
        assert!(job["rules"].is_sequence(), "job {name} says when it runs");
    }
}

#[test]
fn the_systemd_units_have_what_systemd_needs() {
    let service = parse_unit("warren-drift.service", &read("warren-drift.service"));
    let get = |section: &str, key: &str| unit_value(&service, "warren-drift.service", section, key);
    assert!(!get("Unit", "Description").is_empty());
    assert_eq!(get("Service", "Type"), "oneshot");
    assert!(
        get("Service", "ExecStart").starts_with('/'),
        "an absolute path"
    );
    assert!(get("Service", "EnvironmentFile").starts_with('/'));
    // Drift (2) is a finding, not a failure of the unit; errors (1) fail it.
    assert_eq!(get("Service", "SuccessExitStatus"), "2");
    let stop_post = get("Service", "ExecStopPost");
    assert!(
        stop_post.contains("$$EXIT_STATUS") && stop_post.contains("2)"),
        "ExecStopPost tells drift from errors by the exit status: {stop_post}"
    );

    let timer = parse_unit("warren-drift.timer", &read("warren-drift.timer"));
    let get = |section: &str, key: &str| unit_value(&timer, "warren-drift.timer", section, key);
    assert!(!get("Unit", "Description").is_empty());
    assert!(!get("Timer", "OnCalendar").is_empty());
    assert_eq!(get("Timer", "Unit"), "warren-drift.service");
    assert_eq!(get("Install", "WantedBy"), "timers.target");
}

#[test]
fn the_crontab_line_has_a_schedule_and_no_bare_percent_signs() {
    let jobs = parse_crontab("crontab", &read("crontab"));
    assert_eq!(jobs.len(), 1, "one job");
    for job in jobs {
        for field in &job.schedule {
            assert!(
                field.starts_with('@')
                    || field
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "*/,-".contains(c)),
                "crontab:{}: a time field: {field}",
                job.line
            );
        }
        // cron turns an unescaped % into a newline.
        let bare = job
            .command
            .match_indices('%')
            .any(|(i, _)| i == 0 || job.command.as_bytes()[i - 1] != b'\\');
        assert!(!bare, "crontab:{}: an unescaped % in the command", job.line);
    }
}

#[test]
fn no_pipeline_file_holds_a_credential() {
    let userinfo = regex::Regex::new(r"://[^/\s:@]+:[^/\s@]+@").unwrap();
    let mut files = ci_files();
    files.push((ACTION.to_string(), read(ACTION)));
    for (file, text) in files {
        for (n, line) in text.lines().enumerate() {
            let place = format!("examples/ci/{file}:{}", n + 1);
            let code = line.trim_start();
            if code.starts_with('#') {
                continue;
            }
            assert!(
                !code.contains("--password ") && !code.contains("--password="),
                "{place}: a password on a command line shows in ps and logs: {line}"
            );
            // A value for WARREN_PASSWORD may only come from a secret.
            if let Some((_, value)) = code
                .split_once("WARREN_PASSWORD:")
                .or_else(|| code.split_once("WARREN_PASSWORD="))
            {
                let value = value.trim();
                // The action exports its `password` input.
                assert!(
                    value.starts_with("${{ secrets.")
                        || value == "..."
                        || value == "\"$INPUT_PASSWORD\"",
                    "{place}: WARREN_PASSWORD set inline: {line}"
                );
            }
            if let Some(value) = code
                .strip_prefix("password:")
                .filter(|v| !v.trim().is_empty())
            {
                assert!(
                    value.trim().starts_with("${{ secrets."),
                    "{place}: the action's password input set inline: {line}"
                );
            }
            assert!(
                !userinfo.is_match(code),
                "{place}: credentials in a URL: {line}"
            );
        }
    }
}

// ---------------------------------------------------------------------------
// The splitter and the checker themselves.

fn words(script: &str) -> Vec<Vec<String>> {
    shell_commands(script)
        .unwrap()
        .into_iter()
        .map(|(_, w)| w)
        .collect()
}

#[test]
fn the_splitter_follows_shell_quoting() {
    assert_eq!(
        words(r#"warren plan --out 'my plan.json' "topo logies/" a\ b"#),
        [[
            "warren",
            "plan",
            "--out",
            "my plan.json",
            "topo logies/",
            "a b"
        ]]
    );
    assert_eq!(
        words(r#"echo "a \"b\" \$c \d""#),
        [["echo", r#"a "b" $c \d"#]]
    );
    assert_eq!(words("echo '' \"\""), [["echo", "", ""]]);
    assert_eq!(
        words("warren drift \\\n  --format json \\\n  topologies/"),
        [["warren", "drift", "--format", "json", "topologies/"]]
    );
    assert_eq!(words("warren plan # a comment\n"), [["warren", "plan"]]);
    assert_eq!(words("echo a#b"), [["echo", "a#b"]]);
}

#[test]
fn the_splitter_cuts_at_operators_and_drops_redirections() {
    assert_eq!(
        words("a x > out 2> err || b; c && d | e & f"),
        [
            vec!["a", "x"],
            vec!["b"],
            vec!["c"],
            vec!["d"],
            vec!["e"],
            vec!["f"]
        ]
    );
    assert_eq!(words("a 2>&1 x >>log <in y"), [["a", "x", "y"]]);
    assert_eq!(words("a &> all b"), [["a", "b"]]);
    assert_eq!(
        words("case $? in 0) ;; 2) alert x ;; esac"),
        [
            vec!["case", "$?", "in", "0"],
            vec!["2"],
            vec!["alert", "x"],
            vec!["esac"]
        ]
    );
    assert!(shell_commands("cat <<EOF\nx\nEOF").is_err());
    assert!(shell_commands("echo 'open").is_err());
}

#[test]
fn the_splitter_keeps_variables_and_looks_inside_substitutions() {
    assert_eq!(
        words(r#"x=$(warren plan --out "$DIR/p.json" ${{ a.b }}) "${X:-y z}""#),
        vec![
            vec![
                "x=$(warren plan --out \"$DIR/p.json\" ${{ a.b }})",
                "${X:-y z}"
            ],
            vec!["warren", "plan", "--out", "$DIR/p.json", "${{ a.b }}"],
        ]
    );
    assert_eq!(
        words(r#"logger "failed: $(head -c 5 "$HOME/e")""#),
        vec![
            vec!["logger", "failed: $(head -c 5 \"$HOME/e\")"],
            vec!["head", "-c", "5", "$HOME/e"],
        ]
    );
}

#[test]
fn warren_commands_are_found_after_assignments_and_inside_sh_c() {
    let found = warren_commands(
        "status=0\nA=1 B=2 /usr/local/bin/warren drift || status=$?\n\
         if true; then exec warren validate; fi\nsh -c 'echo; warren plan'\nnotwarren plan",
    )
    .unwrap();
    let lines: Vec<(usize, String)> = found.into_iter().map(|(l, w)| (l, w.join(" "))).collect();
    assert_eq!(
        lines,
        [
            (1, "warren drift".to_string()),
            (2, "warren validate".to_string()),
            (3, "warren plan".to_string())
        ]
    );
}

#[test]
fn a_refused_command_names_its_file_and_line() {
    let yaml = "jobs:\n  plan:\n    steps:\n      - run: |\n          echo start\n          warren plan --fromat markdown\n";
    let found = yaml_commands("broken.yml", yaml);
    let error = parse_all(&found).unwrap_err();
    assert!(
        error.starts_with("examples/ci/broken.yml:6: `warren plan --fromat markdown` is refused"),
        "{error}"
    );
    assert!(error.contains("--fromat"), "{error}");
}
