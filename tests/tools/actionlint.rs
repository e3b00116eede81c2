//! actionlint on the GitHub example, which runs warren through its action:
//! expressions, contexts, `needs`, permissions and the rest of a
//! workflow's rules. (It does not read an action's own `action.yml`;
//! tests/offline/pipelines.rs checks that one.)

use std::process::Command;

use super::{repo, run, text, tool};

fn actionlint(file: &std::path::Path) -> (bool, String) {
    let output = run(Command::new(tool("actionlint")).arg(file));
    (
        output.status.success(),
        format!("{}{}", text(&output.stdout), text(&output.stderr)),
    )
}

#[test]
fn actionlint_accepts_the_github_example() {
    let dir = tempfile::tempdir().unwrap();
    let wrong = dir.path().join("wrong.yml");
    std::fs::write(
        &wrong,
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nothing }}\n",
    )
    .unwrap();
    let (passed, said) = actionlint(&wrong);
    assert!(
        !passed && said.contains("nothing"),
        "actionlint must refuse a wrong workflow: {said}"
    );

    let (passed, said) = actionlint(&repo().join("examples/ci/github-actions.yml"));
    assert!(
        passed,
        "actionlint on examples/ci/github-actions.yml:\n{said}"
    );
    assert_eq!(said, "");
}
