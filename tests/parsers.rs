//! A bounded run of the fuzz targets (`fuzz/`, see fuzz/README.md) in
//! `cargo test`: each parser of untrusted input gets its seed corpus
//! (`fuzz/corpus/<target>/`) and a few thousand deterministic mutations of
//! it, and must not panic. The long, coverage-guided runs are `cargo fuzz`.

use std::path::Path;

use git_rollback::fuzz;

/// xorshift64*: the same mutations on every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Bytes that matter to these formats.
const INTERESTING: &[&[u8]] = &[
    b"\n",
    b"\"",
    b"{",
    b"}",
    b"[",
    b"]",
    b"=",
    b"..",
    b"/",
    b".git",
    b"\\",
    b"\0",
    b"\xff",
    b"\r\n",
    b"99999999999999999999",
    b"-1",
    b"[[migration]]",
    b"\"id\":",
    b"#",
];

fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut out = seed.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(out.len() + 1);
        match rng.below(6) {
            0 if !out.is_empty() => {
                let i = rng.below(out.len());
                out[i] ^= 1 << rng.below(8);
            }
            1 => out.insert(at, rng.next() as u8),
            2 if at < out.len() => {
                let len = rng.below(out.len() - at).min(64);
                out.drain(at..at + len);
            }
            3 => out.truncate(at),
            4 => {
                let piece = INTERESTING[rng.below(INTERESTING.len())];
                out.splice(at..at, piece.iter().copied());
            }
            _ => {
                // Repeat a slice: nesting and long lines.
                let end = (at + rng.below(32)).min(out.len());
                let slice = out[at..end].to_vec();
                out.splice(at..at, slice.iter().copied().cycle().take(slice.len() * 8));
            }
        }
    }
    out
}

fn run<T>(target: &str, parse: fn(&[u8]) -> T, extra_seeds: Vec<Vec<u8>>, mutations: usize) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut seeds = extra_seeds;
    for entry in std::fs::read_dir(&dir).unwrap() {
        seeds.push(std::fs::read(entry.unwrap().path()).unwrap());
    }
    assert!(!seeds.is_empty(), "no seeds for {target}");
    seeds.push(Vec::new());
    for seed in &seeds {
        let _ = parse(seed);
    }
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ target.len() as u64);
    for _ in 0..mutations {
        let seed = &seeds[rng.below(seeds.len())];
        let _ = parse(&mutate(&mut rng, seed));
    }
}

#[test]
fn manifest() {
    let seed = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/manifest/basic");
    assert!(
        fuzz::manifest(&std::fs::read(seed).unwrap()),
        "the seed manifest reads"
    );
    run("manifest", fuzz::manifest, Vec::new(), 3000);
}

#[test]
fn archive() {
    let seed = fuzz::valid_archive().expect("the seed backup is written");
    assert!(
        fuzz::archive(&seed),
        "the seed archive verifies: mutations start deep"
    );
    let stored = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/archive/valid.tar.gz");
    assert_eq!(
        std::fs::read(stored).unwrap(),
        seed,
        "the corpus seed is this build's"
    );
    run("archive", fuzz::archive, vec![seed], 1500);
    fuzz::remove_valid_backup();
}

#[test]
fn map() {
    run("map", fuzz::map, Vec::new(), 5000);
}

#[test]
fn config() {
    run("config", fuzz::config, Vec::new(), 5000);
}

#[test]
fn ledger() {
    run("ledger", fuzz::ledger, Vec::new(), 5000);
}

#[test]
fn entry_path() {
    run("entry_path", fuzz::entry_path, Vec::new(), 5000);
}

/// `cargo test --test parsers -- --ignored`: write the archive target's
/// valid seed (the backup the target reads against) into its corpus.
#[test]
#[ignore]
fn write_the_archive_seed() {
    let seed = fuzz::valid_archive().unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/archive");
    std::fs::write(dir.join("valid.tar.gz"), seed).unwrap();
}

#[test]
fn pre_push() {
    run("pre_push", fuzz::pre_push, Vec::new(), 5000);
}
