//! The live topology as a topology file (`warren export`): objects sorted,
//! defaults left out, so the file reads like one written by hand and
//! plans as no changes against the broker it came from.

use crate::model::Topology;
use crate::normalize::normalize;

/// `topology` as YAML, preceded by `header` lines as comments.
pub fn render_topology_yaml(topology: &Topology, header: &[String]) -> String {
    let mut t = normalize(topology);
    t.routes.clear();
    // Normalising makes the queue type explicit; a classic queue needs none.
    let mut out = String::new();
    for line in header {
        out.push_str("# ");
        out.push_str(line);
        out.push('\n');
    }
    out.push_str(&serde_yaml::to_string(&t).expect("topologies serialise to YAML"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_left_out_and_the_file_reads_back() {
        let t: Topology = serde_yaml::from_str(
            "vhosts: [{name: /}]\nexchanges: [{name: events, type: topic, durable: true}]\nqueues: [{name: jobs, arguments: {x-queue-type: classic}}]",
        )
        .unwrap();
        let yaml = render_topology_yaml(&t, &["exported".into()]);
        assert_eq!(
            yaml,
            "# exported\nvhosts:\n- name: /\nexchanges:\n- name: events\n  type: topic\nqueues:\n- name: jobs\n"
        );
        let back: Topology = serde_yaml::from_str(&yaml).unwrap();
        assert_eq!(normalize(&back), normalize(&t));
    }
}
