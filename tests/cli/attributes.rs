//! Checkout conversions on write: what `to`, `files` and `undo` write is
//! what git's own checkout writes (`git cat-file --filters`), for eol
//! attributes, `text=auto` with `core.autocrlf`, `ident`, clean/smudge
//! filters and git-lfs.

use crate::support::TestRepo;

/// basic.sh plus files under attributes, a clean checkpoint `c`, then a
/// commit that changes every one of them.
fn converted() -> TestRepo {
    let repo = TestRepo::fixture("basic");
    repo.write(
        ".gitattributes",
        "*.crlf text eol=crlf\n*.auto text=auto\n*.up filter=up\n*.id ident\n",
    );
    repo.git(&["config", "filter.up.clean", "tr a-z A-Z"]);
    repo.git(&["config", "filter.up.smudge", "tr A-Z a-z"]);
    repo.git(&["config", "core.autocrlf", "true"]);
    repo.write("doc.crlf", "one\ntwo\n");
    repo.write("notes.auto", "auto\nlines\n");
    repo.write("shout.up", "hello\n");
    repo.write("version.id", "$Id$\nfirst\n");
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "-m", "attributes"]);
    checked_out_by_git(&repo);
    repo.rollback(&["checkpoint", "c"]).ok();
    repo.write("doc.crlf", "one\r\ntwo\r\nthree\r\n");
    repo.write("notes.auto", "auto\r\nlines\r\nmore\r\n");
    repo.write("shout.up", "hello again\n");
    repo.write("version.id", "$Id$\nsecond\n");
    repo.git(&["commit", "-q", "-am", "change them"]);
    checked_out_by_git(&repo);
    repo
}

/// The converted files as git's own checkout writes them.
fn checked_out_by_git(repo: &TestRepo) {
    for path in CONVERTED {
        std::fs::remove_file(repo.path.join(path)).unwrap();
    }
    repo.git(&["checkout", "--", "."]);
}

/// Each file is what git's checkout of `revision` writes.
#[track_caller]
fn as_git_writes_them(repo: &TestRepo, revision: &str, paths: &[&str]) {
    for path in paths {
        let expected = repo.git(&["cat-file", "--filters", &format!("{revision}:{path}")]);
        assert_eq!(repo.read(path), expected, "{path}");
    }
}

const CONVERTED: [&str; 4] = ["doc.crlf", "notes.auto", "shout.up", "version.id"];

#[test]
fn to_and_undo_write_what_git_checkout_writes() {
    let repo = converted();
    as_git_writes_them(&repo, "HEAD", &CONVERTED);
    let before = repo.observe_user();
    let status_at_checkpoint = repo.status();
    repo.rollback(&["to", "c"]).ok();
    assert_eq!(repo.read("doc.crlf"), "one\r\ntwo\r\n");
    as_git_writes_them(&repo, "HEAD", &CONVERTED);
    assert_eq!(repo.status(), status_at_checkpoint);
    assert_eq!(repo.status(), "");
    repo.rollback(&["undo"]).ok();
    as_git_writes_them(&repo, "HEAD", &CONVERTED);
    assert_eq!(repo.observe_user(), before);
}

#[test]
fn files_writes_what_git_checkout_writes() {
    let repo = converted();
    repo.rollback(&["files", "doc.crlf", "shout.up", "--from", "c", "--no-test"])
        .ok();
    as_git_writes_them(&repo, "checkpoint/c^{commit}", &["doc.crlf", "shout.up"]);
    assert_eq!(repo.read("doc.crlf"), "one\r\ntwo\r\n");
    assert_eq!(repo.status(), "M  doc.crlf\nM  shout.up\n");
}

/// Real git-lfs (a long-running `process` filter): the work tree gets the
/// content from `.git/lfs/objects`, never the pointer file.
#[test]
fn git_lfs_content_comes_back_not_its_pointer() {
    let probe = std::process::Command::new("git")
        .args(["lfs", "version"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!("SKIPPED git_lfs_content_comes_back_not_its_pointer: git-lfs is not installed (.ci/run installs it)");
        return;
    }
    let repo = TestRepo::fixture("basic");
    repo.git(&["lfs", "install", "--local"]);
    repo.git(&["lfs", "track", "*.bin"]);
    let first: Vec<u8> = (0..3000u32).map(|i| (i * 7 % 256) as u8).collect();
    let second: Vec<u8> = (0..5000u32).map(|i| (i * 13 % 256) as u8).collect();
    std::fs::write(repo.path.join("asset.bin"), &first).unwrap();
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "-m", "asset"]);
    repo.rollback(&["checkpoint", "c"]).ok();
    std::fs::write(repo.path.join("asset.bin"), &second).unwrap();
    repo.git(&["commit", "-q", "-am", "asset v2"]);
    let before = repo.observe_user();
    repo.rollback(&["to", "c"]).ok();
    assert_eq!(std::fs::read(repo.path.join("asset.bin")).unwrap(), first);
    assert_eq!(repo.status(), "");
    assert!(repo.git(&["lfs", "ls-files"]).contains("asset.bin"));
    repo.rollback(&["undo"]).ok();
    assert_eq!(std::fs::read(repo.path.join("asset.bin")).unwrap(), second);
    assert_eq!(repo.observe_user(), before);
}

/// A `required` filter whose smudge fails: refused before the first write,
/// naming the path, nothing changed.
#[test]
fn a_failing_required_filter_is_refused_before_anything_is_written() {
    let repo = with_required_filter();
    repo.write("key.sec", "v2\n");
    repo.write("src/a.rs", "pub fn a() { 2 }\n");
    repo.git(&["commit", "-q", "-am", "v2"]);
    repo.git(&["config", "filter.sec.smudge", "false"]);
    let before = repo.observe_user();
    let ledger = repo.git(&["rev-parse", "refs/notes/rollback"]);
    repo.rollback(&["to", "c"])
        .fails(3, "the checkout filter of 'key.sec' fails");
    assert_eq!(repo.observe_user(), before);
    assert_eq!(repo.git(&["rev-parse", "refs/notes/rollback"]), ledger);
    repo.rollback(&["files", "key.sec", "--from", "c", "--no-test"])
        .fails(3, "key.sec");
    assert_eq!(repo.observe_user(), before);
}

/// A required smudge filter that passes the check before the first write,
/// then dies (SIGKILL) in the middle of the checkout: the rollback fails
/// with exit 1 naming the undo, and one `undo` gives back every byte.
#[test]
fn a_smudge_filter_that_dies_mid_checkout_is_undone() {
    let repo = TestRepo::fixture("basic");
    repo.write(".gitattributes", "*.x filter=x\n");
    repo.git(&["config", "filter.x.clean", "cat"]);
    repo.git(&["config", "filter.x.smudge", "cat"]);
    repo.git(&["config", "filter.x.required", "true"]);
    for name in ["a", "b", "c"] {
        repo.write(&format!("{name}.x"), &format!("{name} v1\n"));
    }
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "-m", "v1"]);
    repo.rollback(&["checkpoint", "base"]).ok();
    for name in ["a", "b", "c"] {
        repo.write(&format!("{name}.x"), &format!("{name} v2\n"));
    }
    repo.git(&["commit", "-q", "-am", "v2"]);
    repo.write("untracked.txt", "work\n");
    let before = repo.observe_user();
    // Calls 1-3 are the check before writing; the 5th, during the
    // checkout, kills the filter. gix's checkout runs filters on several
    // threads, so each call takes its number with an atomic mkdir.
    let calls = repo.path.parent().unwrap().join("smudge-calls");
    std::fs::create_dir_all(&calls).unwrap();
    let smudge = format!(
        "input=$(cat); i=1; while ! mkdir {0}/$i 2>/dev/null; do i=$((i+1)); done; [ $i -eq 5 ] && kill -9 $$; printf '%s\\n' \"$input\"",
        calls.display()
    );
    repo.git(&["config", "filter.x.smudge", &smudge]);
    let run = repo.rollback(&["to", "base"]).fails(1, "error: ");
    assert!(
        run.stderr().contains("`git rollback undo "),
        "{}",
        run.stderr()
    );
    assert_ne!(repo.observe_user(), before, "part of it was written");
    repo.git(&["config", "filter.x.smudge", "cat"]);
    let undo = repo.rollback(&["undo"]).ok();
    assert!(
        undo.stderr().contains("did not finish"),
        "{}",
        undo.stderr()
    );
    assert_eq!(repo.observe_user(), before);
    repo.fsck();
}

/// `working-tree-encoding`: what `to` and `undo` write is what git's
/// checkout writes, for the UTF-16 forms (which gix alone writes as UTF-8)
/// and a single-byte one.
#[test]
fn working_tree_encoding_is_written_as_git_writes_it() {
    let repo = TestRepo::fixture("basic");
    repo.write(
        ".gitattributes",
        "*.le working-tree-encoding=UTF-16LE\n*.u16 working-tree-encoding=UTF-16\n*.be working-tree-encoding=UTF-16BE\n*.lat working-tree-encoding=ISO-8859-1\n",
    );
    let text = "h\u{e9}llo\nw\u{f6}rld\n";
    let utf16 = |bom: &[u8], be: bool| -> Vec<u8> {
        let mut out = bom.to_vec();
        for unit in text.encode_utf16() {
            out.extend_from_slice(&if be {
                unit.to_be_bytes()
            } else {
                unit.to_le_bytes()
            });
        }
        out
    };
    std::fs::write(repo.path.join("a.le"), utf16(&[], false)).unwrap();
    std::fs::write(repo.path.join("a.u16"), utf16(&[0xFF, 0xFE], false)).unwrap();
    std::fs::write(repo.path.join("a.be"), utf16(&[], true)).unwrap();
    let latin1: Vec<u8> = text.chars().map(|c| c as u32 as u8).collect();
    std::fs::write(repo.path.join("a.lat"), latin1).unwrap();
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "-m", "encoded"]);
    assert_eq!(repo.git(&["show", "HEAD:a.le"]), text, "git stores UTF-8");
    repo.rollback(&["checkpoint", "base"]).ok();
    repo.write("a.lat", "changed\n");
    for name in ["a.le", "a.u16", "a.be"] {
        std::fs::remove_file(repo.path.join(name)).unwrap();
    }
    repo.git(&["commit", "-q", "-am", "changed"]);
    let after = repo.observe_user();
    let same_bytes_as_git = || {
        for path in ["a.le", "a.u16", "a.be", "a.lat"] {
            let git = repo.git_run(&["cat-file", "--filters", &format!("HEAD:{path}")]);
            let written = std::fs::read(repo.path.join(path)).unwrap();
            assert_eq!(written, git.output.stdout, "{path}");
        }
    };
    repo.rollback(&["to", "base"]).ok();
    same_bytes_as_git();
    assert_eq!(repo.status(), "");
    repo.rollback(&["undo"]).ok();
    assert_eq!(repo.observe_user(), after);
    repo.rollback(&["redo"]).ok();
    same_bytes_as_git();
}

/// A `required` filter without its command (git refuses such files): the
/// capture refuses a file under it that has no clean command, the restore
/// one that has no smudge command; exit 3, nothing changed. Files under no
/// such filter go on as before.
#[test]
fn a_required_filter_without_its_command_is_refused() {
    let repo = with_required_filter();
    repo.write("key.sec", "v2\n");
    repo.git(&["commit", "-q", "-am", "v2"]);

    repo.git(&["config", "--unset", "filter.sec.clean"]);
    repo.write("key.sec", "v3, not yet added\n");
    let before = repo.observe();
    repo.rollback(&["checkpoint", "d"]).fails(
        3,
        "'key.sec' needs the required filter 'sec', which has no clean command",
    );
    repo.rollback(&["to", "c"])
        .fails(3, "which has no clean command");
    assert_eq!(repo.observe(), before);

    repo.git(&["config", "filter.sec.clean", "cat"]);
    repo.write("key.sec", "v2\n");
    repo.git(&["config", "--unset", "filter.sec.smudge"]);
    let before = repo.observe();
    repo.rollback(&["to", "c"]).fails(
        3,
        "'key.sec' needs the required filter 'sec', which has no smudge command",
    );
    assert_eq!(repo.observe(), before);
    repo.write("src/a.rs", "unrelated\n");
    repo.rollback(&["checkpoint", "unrelated"]).ok();
}

/// basic.sh with `key.sec` under the required filter `sec` (clean and
/// smudge `cat`), committed, and the checkpoint `c` of that state.
fn with_required_filter() -> TestRepo {
    let repo = TestRepo::fixture("basic");
    repo.write(".gitattributes", "*.sec filter=sec\n");
    repo.git(&["config", "filter.sec.clean", "cat"]);
    repo.git(&["config", "filter.sec.smudge", "cat"]);
    repo.git(&["config", "filter.sec.required", "true"]);
    repo.write("key.sec", "v1\n");
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "-m", "sec"]);
    repo.rollback(&["checkpoint", "c"]).ok();
    repo
}
