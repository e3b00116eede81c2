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

/// The kinds warren does not manage yet are refused by name: the next
/// step (users, permissions, parameters) reads them.
const NOT_MANAGED_YET: &str = "is not managed by warren";

const NOT_YET: (&str, &str) = (
    NOT_MANAGED_YET,
    "none: users, permissions, parameters and global parameters are kinds warren does not \
     manage yet",
);

const EXPECTED: &[Expected] = &[
    Expected {
        number: "01",
        errors: &[],
    },
    Expected {
        number: "02",
        errors: &[NOT_YET],
    },
    Expected {
        number: "03",
        errors: &[NOT_YET],
    },
    Expected {
        number: "04",
        errors: &[NOT_YET],
    },
    Expected {
        number: "05",
        errors: &[NOT_YET],
    },
    Expected {
        number: "06",
        errors: &[NOT_YET],
    },
    Expected {
        number: "07",
        errors: &[NOT_YET],
    },
    Expected {
        number: "08",
        errors: &[NOT_YET],
    },
    Expected {
        number: "09",
        errors: &[NOT_YET],
    },
    Expected {
        number: "10",
        errors: &[NOT_YET],
    },
    Expected {
        number: "11",
        errors: &[NOT_YET],
    },
    Expected {
        number: "12",
        errors: &[NOT_YET],
    },
    Expected {
        number: "13",
        errors: &[NOT_YET],
    },
    Expected {
        number: "14",
        errors: &[NOT_YET],
    },
    Expected {
        number: "15",
        errors: &[],
    },
    Expected {
        number: "16",
        errors: &[
            NOT_YET,
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
        errors: &[NOT_YET],
    },
    Expected {
        number: "18",
        errors: &[NOT_YET],
    },
    Expected {
        number: "19",
        errors: &[NOT_YET],
    },
    Expected {
        number: "20",
        errors: &[NOT_YET],
    },
    Expected {
        number: "21",
        errors: &[NOT_YET],
    },
    Expected {
        number: "22",
        errors: &[NOT_YET],
    },
    Expected {
        number: "23",
        errors: &[NOT_YET],
    },
    Expected {
        number: "24",
        errors: &[NOT_YET],
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
/// (670 bindings) gave 1,346 errors for 3 causes.
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
    assert!(
        messages.iter().all(|m| m.contains(NOT_MANAGED_YET)) && messages.len() <= 2,
        "{messages:#?}"
    );
}
