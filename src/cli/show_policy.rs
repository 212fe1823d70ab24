//! `backlint check --show-policy`: the policy that checking the first path would use, and where each
//! setting and rule change comes from.

use super::rules::{discovered_policy, load_policy_files};
use super::ui::{EXIT_CLEAN, EXIT_ERROR, Ui};
use std::path::{Path, PathBuf};

/// `check --show-policy`: the policy that checking the first path would use.
pub fn run(ui: &mut Ui, paths: &[PathBuf], explicit: Option<&Path>) -> i32 {
    let start = paths.first().cloned().unwrap_or_else(|| PathBuf::from("."));
    let path = explicit.map(Path::to_path_buf).or_else(|| discovered_policy(ui, &start));
    let Some((policy, files)) = load_policy_files(ui, path.as_deref()) else { return EXIT_ERROR };
    ui.say("policy files, applied in this order:");
    ui.say("  built-in rules (rules/*/*.policy, embedded)");
    for name in &files {
        ui.say(&format!("  {name}"));
    }
    let s = &policy.settings;
    let text = |v: &Option<String>| v.as_ref().map_or("none".to_string(), |t| format!("{t:?}"));
    let stories = match s.stories {
        None => "auto".to_string(),
        Some(on) => if on { "on" } else { "off" }.to_string(),
    };
    let values = [
        ("product_owner", text(&s.product_owner)),
        ("near", s.near.to_string()),
        ("distant", s.distant.to_string()),
        ("fail_on", s.fail_on.to_string()),
        ("done_statuses", format!("{:?}", s.done_statuses)),
        ("stories", stories),
        ("product_goal", text(&s.product_goal)),
        ("goal_milestone", text(&s.goal_milestone)),
        ("exclude", format!("{:?}", s.exclude)),
    ];
    ui.say("settings:");
    for (name, value) in values {
        let from = policy
            .origins
            .iter()
            .rev()
            .find(|(n, _, _)| n == name)
            .map_or("default".to_string(), |(_, _, at)| at.clone());
        ui.say(&format!("  {:<44} ({from})", format!("{name} = {value}")));
    }
    let changes: Vec<_> =
        policy.origins.iter().filter(|(n, _, _)| !crate::policy::check::SETTINGS.contains(&n.as_str())).collect();
    if !changes.is_empty() {
        ui.say("rules changed or added by the policy:");
        for (what, value, at) in changes {
            ui.say(&format!("  {:<44} ({at})", format!("{what} = {value}")));
        }
    }
    EXIT_CLEAN
}
