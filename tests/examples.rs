//! The sample files under `examples/` and the README commands that run them: every
//! `cartflow run --input examples/...` line of the README runs here as written (with
//! the output sent to a temporary directory), must succeed without a rejected row,
//! and must write the reports its format yields. The samples themselves must be what
//! `cartflow gen` makes, so they can always be made again.

mod common;

use std::path::Path;

use common::*;

/// The README's example commands: (format, the arguments after `cartflow`).
fn readme_commands() -> Vec<(String, Vec<String>)> {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    readme
        .lines()
        .filter_map(|line| line.trim().strip_prefix("cartflow run --input examples/"))
        .map(|rest| {
            let args: Vec<String> =
                format!("run --input examples/{rest}").split_whitespace().map(String::from).collect();
            let format = args.iter().skip_while(|a| *a != "--format").nth(1).expect("a --format").clone();
            (format, args)
        })
        .collect()
}

#[test]
fn every_readme_example_runs_and_writes_its_reports() {
    let commands = readme_commands();
    let formats: Vec<&str> = commands.iter().map(|(f, _)| f.as_str()).collect();
    for format in ["qcompany", "kiosk", "techco"] {
        assert!(formats.contains(&format), "the README has a command for examples/{format}: {formats:?}");
    }
    let tmp = tempfile::tempdir().unwrap();
    let root = env!("CARGO_MANIFEST_DIR");
    for (format, mut args) in commands {
        let out = tmp.path().join(&format);
        let at = args.iter().position(|a| a == "--out").expect("an --out") + 1;
        args[at] = out.display().to_string();
        let output = std::process::Command::new(cartflow_bin()).args(&args).current_dir(root).output().unwrap();
        assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
        let quality = std::fs::read_to_string(out.join("_quality.csv")).unwrap();
        for row in quality.lines().skip(1) {
            let fields: Vec<&str> = row.split(',').collect();
            assert!(fields[3] == "0" && fields[1] == fields[2], "{format}: every sample row is accepted: {row}");
        }
        let top = std::fs::read_to_string(out.join("top_products.csv")).unwrap();
        assert!(top.lines().count() > 5, "{format}: top_products has rows:\n{top}");
        assert!(top.lines().skip(1).all(|row| !row.contains(",,")), "{format}: every product has a name:\n{top}");
    }
}

#[test]
fn the_samples_are_what_gen_makes() {
    let tmp = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    for format in ["qcompany", "kiosk", "techco"] {
        let out = tmp.path().join(format);
        let out_text = out.display().to_string();
        cartflow_ok(&["gen", "--format", format, "--events", "400", "--seed", "1", "--out", &out_text, "--quiet"]);
        if format == "qcompany" {
            // The company's app logs sit beside its transactions.
            cartflow_ok(&[
                "gen",
                "--format",
                "qcompany-app",
                "--events",
                "400",
                "--seed",
                "1",
                "--out",
                &out_text,
                "--quiet",
            ]);
        }
        let mut made: Vec<_> = walk(&out);
        let mut kept: Vec<_> = walk(&root.join(format));
        made.sort();
        kept.sort();
        assert_eq!(made.iter().map(|(n, _)| n).collect::<Vec<_>>(), kept.iter().map(|(n, _)| n).collect::<Vec<_>>());
        for ((name, a), (_, b)) in made.iter().zip(&kept) {
            assert!(a == b, "examples/{format}/{name} differs from what `cartflow gen` makes now");
        }
    }
}

/// Every file under `dir`, as (path relative to it, bytes).
fn walk(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = vec![];
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            let sub = path.file_name().unwrap().to_string_lossy().into_owned();
            files.extend(walk(&path).into_iter().map(|(n, b)| (format!("{sub}/{n}"), b)));
        } else {
            files.push((path.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&path).unwrap()));
        }
    }
    files
}
