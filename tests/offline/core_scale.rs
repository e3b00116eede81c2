//! The pure core at 100,000 objects, offline: planning, scheduling and
//! simulating must stay near-linear. No timing is asserted (the machine is
//! shared); a quadratic step would make this test take minutes instead of
//! seconds, which CI's time limit and any reviewer notice.

use warren::diff::Action;
use warren::model::{Arguments, Binding, DestinationType, Exchange, Queue, Topology, Vhost};
use warren::plan::{Allow, PlanInputs, plan_changes, schedule, simulate};

const QUEUES: usize = 50_000;
const EXCHANGES: usize = 5_000;
const BINDINGS: usize = 45_000;

fn big() -> Topology {
    let exchanges: Vec<Exchange> = (0..EXCHANGES)
        .map(|i| Exchange {
            name: format!("ex-{i}"),
            vhost: "/".into(),
            kind: "topic".into(),
            durable: true,
            auto_delete: false,
            internal: false,
            arguments: Arguments::new(),
        })
        .collect();
    let queues: Vec<Queue> = (0..QUEUES)
        .map(|i| Queue {
            name: format!("q-{i}"),
            vhost: "/".into(),
            durable: true,
            auto_delete: false,
            arguments: Arguments::new(),
            declared_type: None,
        })
        .collect();
    let bindings: Vec<Binding> = (0..BINDINGS)
        .map(|i| Binding {
            source: format!("ex-{}", i % EXCHANGES),
            destination: format!("q-{i}"),
            destination_type: DestinationType::Queue,
            routing_key: format!("k.{i}.*"),
            arguments: Arguments::new(),
            vhost: "/".into(),
        })
        .collect();
    Topology {
        vhosts: vec![Vhost::new("/")],
        exchanges,
        queues,
        bindings,
        ..Topology::default()
    }
}

fn inputs(prune: bool) -> PlanInputs {
    PlanInputs {
        prune,
        ..PlanInputs::default()
    }
}

/// Set in the child process that does the work.
const IN_A_CHILD: &str = "WARREN_TEST_CORE_SCALE_CHILD";

#[test]
fn a_hundred_thousand_objects_plan_schedule_and_simulate() {
    // 700 MB at the peak: the work runs in a child (this test binary, on
    // this one test), so the offline binary stays small. bad_inputs
    // measures warren's peak memory, and Linux counts in a child's peak the
    // peak of the process it was spawned from.
    if std::env::var_os(IN_A_CHILD).is_none() {
        let name = module_path!().split_once("::").expect("in a module").1;
        let output = std::process::Command::new(std::env::current_exe().expect("this test binary"))
            .args(["--exact", "--nocapture"])
            .arg(format!(
                "{name}::a_hundred_thousand_objects_plan_schedule_and_simulate"
            ))
            .env(IN_A_CHILD, "1")
            .output()
            .expect("run the test in a child");
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(output.status.success(), "{all}");
        assert!(all.contains("1 passed"), "{all}");
        return;
    }
    let all = big();
    let only_vhost = Topology {
        vhosts: vec![Vhost::new("/")],
        ..Topology::default()
    };

    let create = plan_changes(&all, &only_vhost, inputs(false));
    assert_eq!(create.summary.create, QUEUES + EXCHANGES + BINDINGS);
    let steps = schedule(&create, Allow::default());
    assert_eq!(steps.steps.len(), QUEUES + EXCHANGES + BINDINGS);
    assert_eq!(simulate(&only_vhost, &create).bindings.len(), BINDINGS);

    let same = plan_changes(&all, &all, inputs(true));
    assert!(same.changes.is_empty());

    let prune = plan_changes(&only_vhost, &all, inputs(true));
    assert_eq!(prune.summary.delete, QUEUES + EXCHANGES + BINDINGS);
    // Bindings go with their queues and exchanges: no request of their own.
    let steps = schedule(&prune, Allow::default());
    assert_eq!(steps.steps.len(), QUEUES + EXCHANGES);
    let after = simulate(&all, &prune);
    assert!(after.queues.is_empty() && after.bindings.is_empty());

    // Every queue replaced: each binding comes back.
    let mut changed = all.clone();
    for q in &mut changed.queues {
        q.arguments.insert("x-max-length".into(), 10.into());
    }
    let replace = plan_changes(&changed, &all, inputs(false));
    assert_eq!(replace.summary.replace, QUEUES);
    assert_eq!(
        replace
            .changes
            .iter()
            .filter(|c| c.action == Action::Create)
            .count(),
        BINDINGS
    );
    assert_eq!(simulate(&all, &replace).bindings.len(), BINDINGS);
}
