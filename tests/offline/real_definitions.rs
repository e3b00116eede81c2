//! Every real definitions file of `../shared/real-definitions/`, as it is:
//! `warren validate` accepts it, or refuses it **only** for what RabbitMQ's
//! own import refuses in it too. The table says, per file, what each
//! refusal matches on the broker's side (3.10.8, verified by importing the
//! file with `POST /api/definitions`).

use crate::common::real_definitions::{corpus, number_of};
use crate::common::warren::Test;

/// What `validate` says of one file: the errors it gives (each a fragment
/// of the message), and the broker's own refusal each one matches.
struct Expected {
    number: &'static str,
    errors: &'static [(&'static str, &'static str)],
}

/// warren's own refusal, which the broker's import does not make: a
/// password in plain text in a file that is reviewed and kept in git.
const PLAIN_PASSWORD: (&str, &str) = (
    "a password written in the file is refused",
    "none: RabbitMQ's import takes a plain password; warren refuses it in a reviewed file and \
     takes it by reference (password_env, password_file) or as a salted hash",
);

/// The broker refuses a hash that is not base64 (18 and 20 are templates
/// whose hash is a `${…}` placeholder).
const NOT_BASE64: (&str, &str) = (
    "password_hash is not base64",
    "[not_base64, <the hash>] (verified: POST /api/definitions with the user answers 400)",
);

const EXPECTED: &[Expected] = &[
    Expected {
        number: "01",
        errors: &[],
    },
    Expected {
        number: "02",
        errors: &[],
    },
    Expected {
        number: "03",
        errors: &[],
    },
    Expected {
        number: "04",
        errors: &[],
    },
    Expected {
        number: "05",
        errors: &[],
    },
    Expected {
        number: "06",
        errors: &[],
    },
    Expected {
        number: "07",
        errors: &[],
    },
    Expected {
        number: "08",
        errors: &[],
    },
    Expected {
        number: "09",
        errors: &[],
    },
    Expected {
        number: "10",
        errors: &[PLAIN_PASSWORD],
    },
    Expected {
        number: "11",
        errors: &[],
    },
    Expected {
        number: "12",
        errors: &[NOT_BASE64],
    },
    Expected {
        number: "13",
        errors: &[PLAIN_PASSWORD],
    },
    Expected {
        number: "14",
        errors: &[],
    },
    Expected {
        number: "15",
        errors: &[],
    },
    Expected {
        number: "16",
        errors: &[
            (
                "uri holds credentials",
                "none: the import takes amqp://admin:admin@…; warren takes a URI with credentials \
                 by reference (uri_env, uri_file) only",
            ),
            (
                "the broker refuses 'x-queue-type' in a policy",
                "[{<<\"x-queue-type\">>,<<\"classic\">>}] are not recognised policy settings",
            ),
            (
                "the broker refuses 'max-priority' in a policy",
                "[{<<\"max-priority\">>,10}, …] are not recognised policy settings",
            ),
            (
                "the broker refuses 'x-max-in-memory-length' in a policy",
                "[…, {<<\"x-max-in-memory-length\">>,1000}, …] are not recognised policy settings",
            ),
            (
                "x-max-priority is not supported by quorum queues",
                "invalid arg 'x-max-priority' for queue 'job.high' … of queue type \
                 rabbit_quorum_queue",
            ),
            (
                "x-delivery-limit is not supported by classic queues",
                "invalid arg 'x-delivery-limit' for queue 'job.low' … of queue type \
                 rabbit_classic_queue",
            ),
        ],
    },
    Expected {
        number: "17",
        errors: &[],
    },
    Expected {
        number: "18",
        errors: &[NOT_BASE64],
    },
    Expected {
        number: "19",
        errors: &[PLAIN_PASSWORD],
    },
    Expected {
        number: "20",
        errors: &[NOT_BASE64],
    },
    Expected {
        number: "21",
        errors: &[],
    },
    Expected {
        number: "22",
        errors: &[PLAIN_PASSWORD],
    },
    Expected {
        number: "23",
        errors: &[],
    },
    Expected {
        number: "24",
        errors: &[],
    },
];

#[test]
fn every_real_file_is_valid_or_refused_only_for_what_rabbitmqs_import_refuses() {
    let files = corpus();
    assert_eq!(files.len(), EXPECTED.len());
    let mut failures = Vec::new();
    for (file, expected) in files.iter().zip(EXPECTED) {
        assert_eq!(
            number_of(file),
            expected.number,
            "the table follows the corpus"
        );
        let status = if expected.errors.is_empty() { 0 } else { 1 };
        let run = Test::new()
            .args(["--format", "json", "validate"])
            .arg(file)
            .status(status)
            .stdout_any()
            .run();
        let report = run.json();
        let errors: Vec<String> = report["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["message"].as_str().unwrap().to_string())
            .collect();
        for error in &errors {
            if !expected
                .errors
                .iter()
                .any(|(fragment, _)| error.contains(fragment))
            {
                failures.push(format!(
                    "{}: an error the table does not expect: {error}",
                    file.display()
                ));
            }
        }
        for (fragment, broker) in expected.errors {
            if !errors.iter().any(|e| e.contains(fragment)) {
                failures.push(format!(
                    "{}: no error '{fragment}' (the broker's import refuses: {broker})",
                    file.display()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// One cause, one error: a refused key or object is reported once, and
/// everything that refers to it is still checked against it. File 06
/// (670 bindings) gave 1,346 errors for 3 causes; now it is valid.
#[test]
fn a_file_gives_at_most_one_error_per_cause() {
    let file = crate::common::real_definitions::numbered("06");
    let run = Test::new()
        .args(["--format", "json", "validate"])
        .arg(&file)
        .any_status()
        .stdout_any()
        .run();
    let errors = run.json()["errors"].as_array().unwrap().clone();
    let messages: Vec<&str> = errors
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert!(messages.is_empty(), "{messages:#?}");
}
