//! The steps around a rollback (.rollback.toml `before`, `after`, `notify`,
//! `verify_retries`): what each gets, what a failure does, what is recorded.

use crate::support::TestRepo;

/// basic.sh with a checkpoint `base`, a broken file, and `toml` as
/// .rollback.toml (committed at the checkpoint, so `to` keeps it).
fn with_steps(toml: &str) -> TestRepo {
    let repo = TestRepo::fixture("basic");
    repo.write(".rollback.toml", toml);
    repo.git(&["add", ".rollback.toml"]);
    repo.git(&["commit", "-q", "-m", "steps"]);
    repo.rollback(&["checkpoint", "base"]).ok();
    repo.write("src/a.rs", "broken\n");
    repo
}

#[test]
fn a_failing_before_step_stops_the_rollback_before_anything_changes() {
    let repo = with_steps("before = \"echo stopping the service; exit 4\"\n");
    let before = repo.observe();
    let run = repo.rollback(&["to", "base"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    assert_eq!(
        run.stderr(),
        "stopping the service\n\
         error: the before step `echo stopping the service; exit 4` failed (exit 4); nothing was changed\n\
         hint: fix it, or run the rollback with --no-steps\n"
    );
    assert_eq!(
        repo.observe(),
        before,
        "no file, index entry, ref or note changed"
    );
    // --no-steps skips it.
    repo.rollback(&["to", "base", "--no-steps"]).ok();
    assert_eq!(repo.read("src/a.rs"), "pub fn a() { 1 }\n");
}

#[test]
fn after_verify_and_notify_run_in_order_and_are_recorded() {
    let repo = with_steps(
        r#"before = "echo before >> .git/steps.log"
after = "echo after >> .git/steps.log; echo rebuilt"
verify = "echo verify >> .git/steps.log; n=$(cat .git/tries 2>/dev/null || echo 0); n=$((n+1)); echo $n > .git/tries; test $n -ge 3"
verify_retries = 3
verify_interval = "10ms"
notify = "cat > .git/notified.json; echo notify >> .git/steps.log"
"#,
    );
    let json = repo.rollback(&["to", "base", "--json"]).ok().json();
    let id = json["id"].as_str().unwrap();
    assert_eq!(
        std::fs::read_to_string(repo.path.join(".git/steps.log")).unwrap(),
        "before\nafter\nverify\nverify\nverify\nnotify\n",
        "verify failed twice and passed on its third try"
    );
    assert_eq!(json["checks"][0]["ok"], true, "{json}");
    let names: Vec<&str> = json["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["before", "after", "notify"]);
    assert_eq!(json["steps"][1]["output"], serde_json::json!(["rebuilt"]));
    assert!(json["recovery_ms"].as_u64().is_some(), "{json}");

    // notify got the event (with its id) and the result so far, as JSON.
    let notified: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo.path.join(".git/notified.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(notified["id"], id);
    assert_eq!(notified["kind"], "to");
    assert_eq!(notified["checkpoint"], "base");
    assert_eq!(notified["result"]["checks"][0]["ok"], true);

    // The result line keeps every step; the report lists them.
    let report = repo.rollback(&["report", id]).ok().stdout();
    for line in [
        "| before | `echo before",
        "| after | `echo after",
        "| notify | `cat",
    ] {
        assert!(report.contains(line), "{line}\n{report}");
    }
    assert!(report.contains("| rebuilt |"), "{report}");
    assert!(report.contains("Recovered and verified in"), "{report}");
}

#[test]
fn a_failing_notify_is_recorded_never_fatal_and_bad_step_settings_are_refused() {
    let repo = with_steps("notify = \"exit 7\"\n");
    let json = repo.rollback(&["to", "base", "--json"]).ok().json();
    assert_eq!(json["steps"][0]["name"], "notify");
    assert_eq!(json["steps"][0]["status"], 7);
    assert_eq!(repo.read("src/a.rs"), "pub fn a() { 1 }\n");

    let repo = with_steps("verify_interval = \"soon\"\n");
    let before = repo.observe();
    repo.rollback(&["to", "base"])
        .fails(2, "verify_interval = 'soon' is not a duration");
    repo.rollback(&["to", "base", "--no-steps"])
        .fails(2, "verify_interval = 'soon' is not a duration");
    assert_eq!(repo.observe(), before);

    let repo = with_steps("");
    let before = repo.observe();
    repo.rollback_env(
        &[("GIT_CONFIG_PARAMETERS", "'rollback.verifyinterval'='later'")],
        &["to", "base"],
    )
    .fails(2, "rollback.verifyInterval: 'later' is not a duration");
    assert_eq!(repo.observe(), before);

    let repo = with_steps("after = \"no-such-program-here --restart\"\n");
    let before = repo.observe();
    repo.rollback(&["to", "base"]).fails(
        2,
        "after command 'no-such-program-here --restart' cannot run",
    );
    assert_eq!(repo.observe(), before);
}

#[test]
fn a_stage_has_its_own_steps() {
    let repo = with_steps(
        r#"after = "echo top >> .git/steps.log"

[[stage]]
name = "api"
checkpoint = "base"
paths = ["src"]
after = "echo stage >> .git/steps.log"
"#,
    );
    repo.rollback(&["stage", "api", "--level", "code"]).ok();
    assert_eq!(
        std::fs::read_to_string(repo.path.join(".git/steps.log")).unwrap(),
        "stage\n"
    );
}
