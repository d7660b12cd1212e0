//! The committed man page must match what the clap definitions generate.
//! Regenerate with: cargo run -q -- generate-man > man/git-rollback.1

#[test]
fn man_page_is_up_to_date() {
    let generated = std::process::Command::new(crate::support::BIN)
        .arg("generate-man")
        .output()
        .unwrap();
    assert!(generated.status.success());
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("man/git-rollback.1");
    let committed = std::fs::read(&path).unwrap_or_default();
    assert!(
        committed == generated.stdout,
        "man/git-rollback.1 is stale: run `cargo run -q -- generate-man > man/git-rollback.1`"
    );
}

#[test]
fn help_comes_from_the_doc_comments() {
    let out = std::process::Command::new(crate::support::BIN)
        .args(["to", "--help"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Roll HEAD, the index and the work tree back to a checkpoint"),
        "{text}"
    );
    assert!(
        text.contains("--dry-run") && text.contains("--reason"),
        "{text}"
    );
}

#[test]
fn completions_are_generated_for_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let out = std::process::Command::new(crate::support::BIN)
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(
            script.contains("git-rollback") && script.contains("checkpoint"),
            "{shell}:\n{script}"
        );
    }
    let out = std::process::Command::new(crate::support::BIN)
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
